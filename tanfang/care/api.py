"""Follow-up endpoints: list and open, one with its timeline, and the steps of its lifecycle."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tanfang.care.models import FollowUp, FollowUpKind, FollowUpState, ServiceKind
from tanfang.care.selectors import FollowUpFilters, follow_up_list, get_follow_up_for, is_overdue, timeline
from tanfang.care.services import (
    FollowUpInput,
    accept_follow_up,
    assign_follow_up,
    close_follow_up,
    complete_follow_up,
    open_follow_up,
)
from tanfang.core.api_params import PageNumber, PageSize, RecordId, RecordRef
from tanfang.core.paging import page_of
from tanfang.core.scope import actor_of
from tanfang.regions.scoping import get_region_for

router = Router(tags=["follow-ups"])


class FollowUpEventOut(Schema):
    at: dt.datetime
    kind: str
    kind_label: str
    actor: str
    note: str


class FollowUpOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    region_code: str
    kind: FollowUpKind
    kind_label: str
    service_kind: str
    title: str
    detail: str
    state: FollowUpState
    state_label: str
    overdue: bool
    owner_user_id: int | None
    owner_provider_id: int | None
    owner_contact: str
    visit_id: int | None
    rule: str
    opened_at: dt.datetime
    deadline: dt.datetime
    recheck_by: dt.date | None
    outcome: str
    outcome_note: str

    @staticmethod
    def of(fu: FollowUp) -> FollowUpOut:
        return FollowUpOut(
            id=fu.pk,
            elder_id=fu.elder_id,
            elder_name=fu.elder.name,
            region_code=fu.region_path.rstrip("/").rsplit("/", 1)[-1],
            kind=FollowUpKind(fu.kind),
            kind_label=str(fu.get_kind_display()),
            service_kind=fu.service_kind,
            title=fu.title,
            detail=fu.detail,
            state=FollowUpState(fu.state),
            state_label=str(fu.get_state_display()),
            overdue=is_overdue(fu),
            owner_user_id=fu.owner_user_id,
            owner_provider_id=fu.owner_provider_id,
            owner_contact=fu.owner_contact,
            visit_id=fu.visit_id,
            rule=fu.rule,
            opened_at=fu.opened_at,
            deadline=fu.deadline,
            recheck_by=fu.recheck_by,
            outcome=fu.outcome,
            outcome_note=fu.outcome_note,
        )


class FollowUpDetailOut(FollowUpOut):
    events: list[FollowUpEventOut]


class FollowUpPageOut(Schema):
    page: int
    page_size: int
    has_next: bool
    items: list[FollowUpOut]


class FollowUpQuery(Schema):
    state: Literal["live", "overdue", "open", "assigned", "accepted", "done", "closed", ""] = Field(
        "", description="live：未办结；overdue：已逾期；或某一状态"
    )
    kind: FollowUpKind | None = None
    region: str = Field("", max_length=12, pattern=r"^(\d{6}|\d{12})?$", description="区划代码")
    mine: bool = Field(False, description="只看我负责的（含我所在服务机构负责的）")
    page: PageNumber = 1
    page_size: PageSize = 50


@router.get("/follow-ups", response=FollowUpPageOut, summary="跟进事项列表（按办理时限排序）")
def list_follow_ups(request: HttpRequest, query: Query[FollowUpQuery]) -> FollowUpPageOut:
    actor = actor_of(request)
    region = get_region_for(actor, query.region) if query.region else None
    filters = FollowUpFilters(
        state=query.state, kind=query.kind or "", region_path=region.path if region else "", mine=query.mine
    )
    page = page_of(follow_up_list(actor, filters), page=query.page, page_size=query.page_size)
    return FollowUpPageOut(
        page=page.page,
        page_size=page.page_size,
        has_next=page.has_next,
        items=[FollowUpOut.of(f) for f in page.items],
    )


class FollowUpIn(Schema):
    elder_id: RecordRef
    kind: FollowUpKind
    title: str = Field(..., min_length=1, max_length=120)
    detail: str = Field("", max_length=2000)
    service_kind: ServiceKind | None = Field(None, description="转介服务机构（provider）时必填")


def _detail(request: HttpRequest, follow_up_id: int) -> FollowUpDetailOut:
    fu = get_follow_up_for(actor_of(request), follow_up_id)
    events = [FollowUpEventOut(**vars(step)) for step in timeline(fu)]
    return FollowUpDetailOut(**FollowUpOut.of(fu).dict(), events=events)


@router.post("/follow-ups", response={201: FollowUpDetailOut}, summary="手工发起跟进事项")
def create_follow_up(request: HttpRequest, payload: FollowUpIn) -> Status[FollowUpDetailOut]:
    fu = open_follow_up(
        actor=actor_of(request),
        elder_id=payload.elder_id,
        data=FollowUpInput(
            kind=payload.kind, title=payload.title, detail=payload.detail, service_kind=payload.service_kind or ""
        ),
    )
    return Status(201, _detail(request, fu.pk))


@router.get("/follow-ups/{follow_up_id}", response=FollowUpDetailOut, summary="跟进事项详情（含办理过程）")
def get_follow_up(request: HttpRequest, follow_up_id: RecordId) -> FollowUpDetailOut:
    return _detail(request, follow_up_id)


class AssignIn(Schema):
    user_id: RecordRef | None = Field(None, description="负责人（与 provider_id 二选一）")
    provider_id: RecordRef | None = Field(None, description="服务机构（与 user_id 二选一）")
    contact: str = Field("", max_length=50, description="机构联系人")


@router.post("/follow-ups/{follow_up_id}/assign", response=FollowUpDetailOut, summary="分派")
def assign_endpoint(request: HttpRequest, follow_up_id: RecordId, payload: AssignIn) -> FollowUpDetailOut:
    assign_follow_up(
        actor=actor_of(request),
        follow_up_id=follow_up_id,
        user_id=payload.user_id,
        provider_id=payload.provider_id,
        contact=payload.contact,
    )
    return _detail(request, follow_up_id)


@router.post("/follow-ups/{follow_up_id}/accept", response=FollowUpDetailOut, summary="负责人接收")
def accept_endpoint(request: HttpRequest, follow_up_id: RecordId) -> FollowUpDetailOut:
    accept_follow_up(actor=actor_of(request), follow_up_id=follow_up_id)
    return _detail(request, follow_up_id)


class DoneIn(Schema):
    note: str = Field(..., min_length=1, max_length=300, description="办理情况")


@router.post("/follow-ups/{follow_up_id}/done", response=FollowUpDetailOut, summary="办结")
def done_endpoint(request: HttpRequest, follow_up_id: RecordId, payload: DoneIn) -> FollowUpDetailOut:
    complete_follow_up(actor=actor_of(request), follow_up_id=follow_up_id, note=payload.note)
    return _detail(request, follow_up_id)


class CloseIn(Schema):
    outcome: Literal["resolved", "not_needed", "declined", "transferred", "other"] = Field(
        ...,
        description="resolved：问题已解决；not_needed：经核实无需跟进；declined：老人或家属拒绝；"
        "transferred：已转其他部门；other：其他（须说明）",
    )
    note: str = Field("", max_length=300)


@router.post("/follow-ups/{follow_up_id}/close", response=FollowUpDetailOut, summary="关闭（注明结果）")
def close_endpoint(request: HttpRequest, follow_up_id: RecordId, payload: CloseIn) -> FollowUpDetailOut:
    close_follow_up(actor=actor_of(request), follow_up_id=follow_up_id, outcome=payload.outcome, note=payload.note)
    return _detail(request, follow_up_id)
