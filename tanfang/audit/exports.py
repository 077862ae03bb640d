"""The audit log as a file, for the audit administrator: a bounded range of days, scoped, audited.

- Who: roles with EXPORT_AUDIT, over the events they may read (`audit_events_visible_to`), with the
  audit page's filters.
- What: whole days in Asia/Shanghai, `date_from` to `date_to` inclusive, at most MAX_DAYS of them;
  oldest event first.
- How: CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese) is streamed row by row from a
  database cursor, so a range of millions of events never sits in memory. Excel (.xlsx) is written
  through core.xlsx in write-only mode and holds at most XLSX_MAX_ROWS events; a larger range is
  refused with a hint to choose CSV or fewer days.
- Every export is itself an audit event (AUDIT_EXPORTED: range, format, filters, client address),
  recorded before the first byte leaves. A CSV's length is not known then; an .xlsx's is, and is
  recorded.
- Cells are text as stored: in CSV a cell that spreadsheet programs would run as a formula (starting
  with = + - @, a tab or a carriage return) gets a leading apostrophe, so opening the file runs
  nothing an audited record happened to contain; core.xlsx does the same for Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.audit.selectors import audit_events_visible_to, filter_audit_events
from tanfang.audit.services import record_event
from tanfang.core.errors import FieldError, PermissionDenied, ValidationFailed
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import LOCAL_TZ
from tanfang.core.xlsx import CONTENT_TYPE as XLSX_CONTENT_TYPE
from tanfang.core.xlsx import XlsxWriter

MAX_DAYS = 366
XLSX_MAX_ROWS = 200_000  # beyond this a workbook takes too long and too much memory: CSV streams
CHUNK_SIZE = 2000  # rows fetched from the database at a time
ROWS_PER_WRITE = 500  # CSV rows sent to the client at a time
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(models.TextChoices):
    CSV = "csv", gettext_lazy("CSV（适合大量数据）")
    XLSX = "xlsx", gettext_lazy("Excel（.xlsx）")


def headers() -> list[str]:
    """The columns, in the user's language."""
    return [
        _("时间"),
        _("操作人"),
        _("操作"),
        _("对象类型"),
        _("对象编号"),
        _("对象"),
        _("区划路径"),
        _("IP 地址"),
        _("变更"),
        _("详情"),
    ]


@dataclass(frozen=True)
class AuditExportSpec:
    """What to export: the days (both inclusive) and the audit page's filters."""

    date_from: dt.date | None
    date_to: dt.date | None
    file_format: str = ExportFormat.CSV
    actor_username: str = ""
    subject: str = ""
    action: str = ""


@dataclass(frozen=True)
class AuditExport:
    """A file ready to send: its name, its type and its bytes, produced as they are read."""

    file_name: str
    content_type: str
    chunks: Iterable[bytes]
    streamed: bool  # produced while it is sent (CSV), or already whole (a workbook)
    rows: int | None = None  # known up front for .xlsx only

    def as_response(self) -> HttpResponseBase:
        """The download: streamed for CSV, whole for a workbook."""
        response: HttpResponseBase
        if self.streamed:
            response = StreamingHttpResponse(self.chunks, content_type=self.content_type)
        else:
            response = HttpResponse(b"".join(self.chunks), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.file_name}"'
        response["Cache-Control"] = "no-store"
        if self.rows is not None:
            response["X-Row-Count"] = str(self.rows)
        return response


def check_export_range(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    """Return the range, or refuse a missing, reversed or over-long one, naming the field at fault."""
    missing = [
        FieldError(name, _("请选择%(what)s") % {"what": what})
        for name, what, value in (("date_from", _("开始日期"), date_from), ("date_to", _("结束日期"), date_to))
        if value is None
    ]
    if date_from is None or date_to is None:
        raise ValidationFailed(errors=missing)
    if date_to < date_from:
        raise ValidationFailed(errors=[FieldError("date_to", _("结束日期不能早于开始日期"))])
    days = (date_to - date_from).days + 1
    if days > MAX_DAYS:
        raise ValidationFailed(
            errors=[
                FieldError(
                    "date_to",
                    _("一次最多导出 %(max)s 天的审计日志（所选为 %(days)s 天），请缩小日期范围后分次导出")
                    % {"max": MAX_DAYS, "days": days},
                )
            ]
        )
    return date_from, date_to


def export_audit_events(*, actor: Actor, spec: AuditExportSpec, ip_address: str | None = None) -> AuditExport:
    """Export the audit events of a range of days that the actor may read, as CSV or .xlsx.

    Records the export (AUDIT_EXPORTED) before any event leaves. Raises PermissionDenied for roles
    without EXPORT_AUDIT; ValidationFailed for a missing, reversed or over-long range (MAX_DAYS),
    an unknown format, or an .xlsx of more than XLSX_MAX_ROWS events.
    """
    if not has_permission(actor.role, Permission.EXPORT_AUDIT):
        raise PermissionDenied()
    date_from, date_to = check_export_range(spec.date_from, spec.date_to)
    if spec.file_format not in ExportFormat.values:
        raise ValidationFailed(errors=[FieldError("format", _("导出格式应为 CSV 或 Excel"))])
    events = filter_audit_events(
        audit_events_visible_to(actor),
        actor_username=spec.actor_username,
        subject=spec.subject,
        action=spec.action,
        date_from=date_from,
        date_to=date_to,
    ).order_by("at", "id")
    # Words are fixed now, in the asker's language: the CSV is written after this call returns.
    columns = headers()
    labels = {str(value): str(label) for value, label in Action.choices}
    name = f"audit-{date_from:%Y%m%d}-{date_to:%Y%m%d}.{spec.file_format}"
    details: dict[str, Any] = {"date_from": date_from, "date_to": date_to, "format": spec.file_format}
    filters = {"user": spec.actor_username, "subject": spec.subject, "action": spec.action}
    if any(filters.values()):
        # As asked, but storable: a NUL (which matches nothing) cannot be kept in a JSON column.
        details["filters"] = {k: v.replace("\x00", "\ufffd") for k, v in filters.items() if v}

    if spec.file_format == ExportFormat.XLSX:
        # Counting at most one row past the limit costs at most that many rows, never the range.
        if events[: XLSX_MAX_ROWS + 1].count() > XLSX_MAX_ROWS:
            raise ValidationFailed(
                errors=[
                    FieldError(
                        "format",
                        _("所选范围超过 %(max)s 条记录，不宜导出为 Excel：请改用 CSV 格式，或缩小日期范围")
                        % {"max": f"{XLSX_MAX_ROWS:,}"},
                    )
                ]
            )
        content, rows = _workbook(events[:XLSX_MAX_ROWS], columns, labels)
        details["rows"] = rows
        _record_export(actor, date_from, date_to, details, ip_address)
        return AuditExport(name, XLSX_CONTENT_TYPE, [content], streamed=False, rows=rows)

    _record_export(actor, date_from, date_to, details, ip_address)
    return AuditExport(name, CSV_CONTENT_TYPE, _csv_chunks(events, columns, labels), streamed=True)


def _record_export(
    actor: Actor, date_from: dt.date, date_to: dt.date, details: dict[str, Any], ip_address: str | None
) -> None:
    top = scope_of(actor).paths
    with transaction.atomic():
        record_event(
            actor=actor,
            action=Action.AUDIT_EXPORTED,
            subject_type=AuditEvent._meta.label_lower,
            subject_label=_("审计日志 %(from)s 至 %(to)s") % {"from": date_from, "to": date_to},
            region_path=top[0] if top else "",
            details=details,
            ip_address=ip_address,
        )


def _texts(event: AuditEvent, labels: dict[str, str]) -> list[str]:
    """Every column but the time, as text; an action code no longer known is shown as it is."""
    return [
        event.actor_label,
        labels.get(event.action, event.action),
        event.subject_type,
        event.subject_id,
        event.subject_label,
        event.region_path,
        event.ip_address or "",
        _json(event.shown_changes),
        _json(event.shown_details),
    ]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LOCAL_TZ)


def _workbook(events: QuerySet[AuditEvent], columns: list[str], labels: dict[str, str]) -> tuple[bytes, int]:
    book = XlsxWriter()
    book.sheet(_("审计日志"), columns)
    rows = 0
    for event in events.iterator(chunk_size=CHUNK_SIZE):
        book.row([_local(event.at), *_texts(event, labels)])
        rows += 1
    return book.to_bytes(), rows


def csv_safe(text: str) -> str:
    """A cell spreadsheet programs show as the text it is, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_chunks(events: QuerySet[AuditEvent], columns: list[str], labels: dict[str, str]) -> Iterator[bytes]:
    """The CSV, a few hundred rows at a time, read from the database as it is sent."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # the byte-order mark: Excel then reads UTF-8, not the local code page
    writer.writerow(columns)
    pending = 0
    for event in events.iterator(chunk_size=CHUNK_SIZE):
        writer.writerow([f"{_local(event.at):%Y-%m-%d %H:%M:%S}", *(csv_safe(t) for t in _texts(event, labels))])
        pending += 1
        if pending == ROWS_PER_WRITE:
            yield _take(buffer)
            pending = 0
    if buffer.tell():
        yield _take(buffer)


def _take(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data
