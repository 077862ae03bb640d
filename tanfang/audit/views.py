"""The audit log pages, scoped to the reader's regions: the list, and its export for the audit administrator."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_POST

from tanfang.audit.exports import MAX_DAYS, AuditExportSpec, export_audit_events
from tanfang.audit.forms import AuditExportForm, AuditFilterForm
from tanfang.audit.selectors import audit_events_visible_to, filter_audit_events
from tanfang.core.client_ip import client_ip
from tanfang.core.errors import FieldError, ValidationFailed
from tanfang.core.paging import page_number, page_of, query_without_page
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import actor_of


def audit_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    events = audit_events_visible_to(actor)
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    events = filter_audit_events(
        events,
        actor_username=data.get("user", ""),
        subject=data.get("subject", ""),
        action=data.get("action", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    page = page_of(events, page=page_number(request.GET))
    can_export = has_permission(actor.role, Permission.EXPORT_AUDIT)
    export_form = AuditExportForm(initial={k: v for k, v in data.items() if v}) if can_export else None
    return render(
        request,
        "audit/list.html",
        {
            "page": page,
            "form": form,
            "query": query_without_page(request.GET),
            "export_form": export_form,
            "max_days": MAX_DAYS,
        },
    )


@require_POST
def audit_export_view(request: HttpRequest) -> HttpResponseBase:
    form = AuditExportForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(
            errors=[FieldError(name, f"{form[name].label}：{m}") for name, ms in form.errors.items() for m in ms]
        )
    data = form.cleaned_data
    export = export_audit_events(
        actor=actor_of(request),
        spec=AuditExportSpec(
            date_from=data["date_from"],
            date_to=data["date_to"],
            file_format=data["format"],
            actor_username=data["user"],
            subject=data["subject"],
            action=data["action"],
        ),
        ip_address=client_ip(request),
    )
    return export.as_response()
