"""The audit log page for officers, scoped to their regions."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tanfang.audit.forms import AuditFilterForm
from tanfang.audit.selectors import audit_events_visible_to, filter_audit_events
from tanfang.core.paging import page_number, page_of, query_without_page
from tanfang.core.scope import actor_of


def audit_list_view(request: HttpRequest) -> HttpResponse:
    events = audit_events_visible_to(actor_of(request))
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
    return render(request, "audit/list.html", {"page": page, "form": form, "query": query_without_page(request.GET)})
