"""紧急事件 endpoints: open, read with the timeline, log calls, close, list."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tanfang.alerts.models import CallAttempt, Incident, TimelineEntry
from tanfang.alerts.selectors import get_incident_for, incidents_visible_to
from tanfang.alerts.services import CallInput, close_incident, log_call, open_incident
from tanfang.core.api_params import OneOf, PageNumber, PageSize, RecordId, RecordRef
from tanfang.core.errors import PermissionDenied
from tanfang.core.paging import page_of
from tanfang.core.roles import reads_incidents
from tanfang.core.scope import actor_of

router = Router(tags=["alerts"])


class CallOut(Schema):
    id: int
    at: dt.datetime
    caller: str
    target: str
    callee: str
    number: str = Field(..., description="拨打的号码（脱敏）")
    outcome: str
    outcome_label: str
    note: str

    @staticmethod
    def of(call: CallAttempt) -> CallOut:
        return CallOut(
            id=call.pk,
            at=call.at,
            caller=call.caller_label,
            target=call.target,
            callee=call.callee_label,
            number=call.number_masked,
            outcome=call.outcome,
            outcome_label=call.get_outcome_display(),
            note=call.note,
        )


class TimelineEntryOut(Schema):
    at: dt.datetime
    kind: str
    kind_label: str
    actor: str
    text: str

    @staticmethod
    def of(entry: TimelineEntry) -> TimelineEntryOut:
        return TimelineEntryOut(
            at=entry.at, kind=entry.kind, kind_label=entry.get_kind_display(), actor=entry.actor_label, text=entry.text
        )


class IncidentSummaryOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    region_code: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    opened_at: dt.datetime
    opened_by: str
    escalation_step: int
    next_escalation_at: dt.datetime | None
    closed_at: dt.datetime | None
    disposition: str
    disposition_label: str

    @staticmethod
    def fields_of(incident: Incident) -> dict[str, object]:
        return {
            "id": incident.pk,
            "elder_id": incident.elder_id,
            "elder_name": incident.elder.name,
            "region_code": incident.region_id,
            "kind": incident.kind,
            "kind_label": incident.get_kind_display(),
            "state": incident.state,
            "state_label": incident.get_state_display(),
            "opened_at": incident.opened_at,
            "opened_by": incident.opened_by_label,
            "escalation_step": incident.escalation_step,
            "next_escalation_at": incident.next_escalation_at,
            "closed_at": incident.closed_at,
            "disposition": incident.disposition,
            "disposition_label": incident.get_disposition_display() if incident.disposition else "",
        }

    @staticmethod
    def of(incident: Incident) -> IncidentSummaryOut:
        return IncidentSummaryOut(**IncidentSummaryOut.fields_of(incident))  # type: ignore[arg-type]


class IncidentOut(IncidentSummaryOut):
    description: str
    closed_by: str
    account: str
    calls: list[CallOut]
    timeline: list[TimelineEntryOut]

    @staticmethod
    def of(incident: Incident) -> IncidentOut:
        return IncidentOut(
            **IncidentSummaryOut.fields_of(incident),  # type: ignore[arg-type]
            description=incident.description,
            closed_by=incident.closed_by_label,
            account=incident.account,
            calls=[CallOut.of(c) for c in incident.calls.all()],
            timeline=[TimelineEntryOut.of(e) for e in incident.timeline.all()],
        )


class IncidentIn(Schema):
    kind: Annotated[str, OneOf(Incident.Kind)] = Field(
        ..., description="medical 医疗急症 / fall 跌倒 / fire_gas 火灾/燃气 / missing 走失 / other 其他"
    )
    description: str = Field("", max_length=1000, description="情况说明")


@router.post(
    "/elders/{int:elder_id}/incidents",
    response={200: IncidentOut, 201: IncidentOut},
    summary="报告紧急事件（该老人已有处理中的事件时返回该事件，200）",
)
def open_incident_endpoint(request: HttpRequest, elder_id: RecordId, payload: IncidentIn) -> Status[IncidentOut]:
    actor = actor_of(request)
    incident, created = open_incident(
        actor=actor, elder_id=elder_id, kind=payload.kind, description=payload.description
    )
    return Status(201 if created else 200, IncidentOut.of(get_incident_for(actor, incident.pk)))


class IncidentQuery(Schema):
    state: Annotated[str, OneOf(Incident.State, blank=True)] = Field("", description="open 处理中 / closed 已结案")
    page: PageNumber = 1
    page_size: PageSize = 50


class IncidentPageOut(Schema):
    page: int
    page_size: int
    has_next: bool
    items: list[IncidentSummaryOut]


@router.get("/incidents", response=IncidentPageOut, summary="紧急事件（处理中的在前）")
def list_incidents(request: HttpRequest, query: Query[IncidentQuery]) -> IncidentPageOut:
    actor = actor_of(request)
    if not reads_incidents(actor.role):
        raise PermissionDenied()
    incidents = incidents_visible_to(actor)
    if query.state:
        incidents = incidents.filter(state=query.state)
    page = page_of(incidents, page=query.page, page_size=query.page_size)
    return IncidentPageOut(
        page=page.page,
        page_size=page.page_size,
        has_next=page.has_next,
        items=[IncidentSummaryOut.of(i) for i in page.items],
    )


@router.get("/incidents/{int:incident_id}", response=IncidentOut, summary="紧急事件详情，含呼叫记录和时间线")
def get_incident(request: HttpRequest, incident_id: RecordId) -> IncidentOut:
    return IncidentOut.of(get_incident_for(actor_of(request), incident_id))


class CallIn(Schema):
    target: Annotated[str, OneOf(CallAttempt.Target)] = Field(
        ...,
        description="120 / 110 / 119 / elder 老人本人 / contact 紧急联系人（填 contact_id）/ other 其他号码",
    )
    contact_id: RecordRef | None = None
    number: str = Field("", max_length=20, description="拨打其他号码时的号码（只保存脱敏后的号码）")
    outcome: Annotated[str, OneOf(CallAttempt.Outcome)] = Field(
        ..., description="answered 已接通 / no_answer 无人接听 / wrong_number 号码错误"
    )
    note: str = Field("", max_length=500)


@router.post("/incidents/{int:incident_id}/calls", response={201: CallOut}, summary="记录一次紧急呼叫及其结果")
def log_call_endpoint(request: HttpRequest, incident_id: RecordId, payload: CallIn) -> Status[CallOut]:
    actor = actor_of(request)
    incident = get_incident_for(actor, incident_id)
    call = log_call(actor=actor, incident=incident, data=CallInput(**payload.dict()))
    return Status(201, CallOut.of(call))


class CloseIn(Schema):
    disposition: Annotated[str, OneOf(Incident.Disposition, blank=True)] = Field("", description="处置结果（必填）")
    account: str = Field("", max_length=4000, description="处置经过（必填）")


@router.post("/incidents/{int:incident_id}/close", response=IncidentOut, summary="结案：处置结果和处置经过")
def close_incident_endpoint(request: HttpRequest, incident_id: RecordId, payload: CloseIn) -> IncidentOut:
    actor = actor_of(request)
    incident = get_incident_for(actor, incident_id)
    close_incident(actor=actor, incident=incident, disposition=payload.disposition, account=payload.account)
    return IncidentOut.of(get_incident_for(actor, incident_id))
