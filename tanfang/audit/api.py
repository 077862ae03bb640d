"""Audit log endpoints, scoped like the audit page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from tanfang.audit.models import AuditEvent
from tanfang.audit.selectors import audit_events_visible_to, filter_audit_events, get_audit_event_for
from tanfang.core.api_params import Day, PageNumber, PageSize, RecordId
from tanfang.core.paging import page_of
from tanfang.core.scope import actor_of

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    action_label: str
    subject_type: str
    subject_id: str
    subject_label: str
    changes: dict[str, Any]
    details: dict[str, Any]

    @staticmethod
    def of(event: AuditEvent) -> AuditEventOut:
        return AuditEventOut(
            id=event.pk,
            at=event.at,
            actor=event.actor_label,
            action=event.action,
            action_label=event.action_label,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            subject_label=event.subject_label,
            changes=event.changes,
            details=event.details,
        )


class AuditFilter(Schema):
    user: str = ""
    subject: str = ""
    action: str = ""
    date_from: Day | None = None
    date_to: Day | None = None
    page: PageNumber = 1
    page_size: PageSize = 50


class AuditPageOut(Schema):
    page: int
    page_size: int
    has_next: bool
    items: list[AuditEventOut]


@router.get("", response=AuditPageOut, summary="审计日志")
def list_audit_events(request: HttpRequest, filters: Query[AuditFilter]) -> AuditPageOut:
    events = filter_audit_events(
        audit_events_visible_to(actor_of(request)),
        actor_username=filters.user,
        subject=filters.subject,
        action=filters.action,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    page = page_of(events, page=filters.page, page_size=filters.page_size)
    return AuditPageOut(
        page=page.page,
        page_size=page.page_size,
        has_next=page.has_next,
        items=[AuditEventOut.of(e) for e in page.items],
    )


@router.get("/{event_id}", response=AuditEventOut, summary="一条审计事件")
def get_audit_event(request: HttpRequest, event_id: RecordId) -> AuditEventOut:
    return AuditEventOut.of(get_audit_event_for(actor_of(request), event_id))
