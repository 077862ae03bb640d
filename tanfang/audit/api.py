"""Audit log endpoints, scoped like the audit page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Field, Query, Router, Schema

from tanfang.audit.actions import Action
from tanfang.audit.exports import CSV_CONTENT_TYPE, MAX_DAYS, AuditExportSpec, ExportFormat, export_audit_events
from tanfang.audit.models import AuditEvent
from tanfang.audit.selectors import audit_events_visible_to, filter_audit_events, get_audit_event_for
from tanfang.core.api_params import Day, OneOf, PageNumber, PageSize, RecordId
from tanfang.core.client_ip import client_ip
from tanfang.core.paging import page_of
from tanfang.core.scope import actor_of
from tanfang.core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE

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
            changes=event.shown_changes,
            details=event.shown_details,
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


class AuditExportQuery(Schema):
    date_from: Day = Field(description="开始日期（北京时间，含当天）")
    date_to: Day = Field(description=f"结束日期（北京时间，含当天），与开始日期相隔最多 {MAX_DAYS} 天")
    format: Annotated[str, OneOf(ExportFormat.values)] = Field(
        ExportFormat.CSV, description="csv（UTF-8 带 BOM，流式输出，适合大量数据）或 xlsx"
    )
    user: str = Field("", max_length=150, description="操作人（用户名）")
    subject: str = Field("", max_length=200, description="对象名称，或“类型:编号”")
    action: Annotated[str, OneOf(Action.values, blank=True)] = ""


_FILE_RESPONSES = {
    "responses": {
        "200": {
            "description": "审计日志文件（附件）",
            "content": {
                CSV_CONTENT_TYPE: {"schema": {"type": "string"}},
                XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


# Declared before "/{event_id}", which would otherwise take "export" for an id.
@router.get(
    "/export",
    summary="导出审计日志（按日期范围，CSV 或 Excel；记入审计）",
    description="审计管理员导出其管辖范围内、所选日期范围的审计日志，可按审计日志列表的条件筛选。导出本身记入审计日志。",
    openapi_extra=_FILE_RESPONSES,
)
def export_audit_events_endpoint(request: HttpRequest, query: Query[AuditExportQuery]) -> HttpResponseBase:
    export = export_audit_events(
        actor=actor_of(request),
        spec=AuditExportSpec(
            date_from=query.date_from,
            date_to=query.date_to,
            file_format=query.format,
            actor_username=query.user,
            subject=query.subject,
            action=query.action,
        ),
        ip_address=client_ip(request),
    )
    return export.as_response()


@router.get("/{event_id}", response=AuditEventOut, summary="一条审计事件")
def get_audit_event(request: HttpRequest, event_id: RecordId) -> AuditEventOut:
    return AuditEventOut.of(get_audit_event_for(actor_of(request), event_id))
