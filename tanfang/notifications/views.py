"""The inbox page: the user's own messages, and marking them read. Thin: parse, call, show."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tanfang.core.paging import page_number, page_of
from tanfang.core.scope import actor_of
from tanfang.notifications.selectors import inbox_of
from tanfang.notifications.services import mark_read


def inbox_view(request: HttpRequest) -> HttpResponse:
    page = page_of(inbox_of(actor_of(request)), page=page_number(request.GET), page_size=30)
    return render(request, "notifications/inbox.html", {"page": page})


@require_POST
def mark_read_view(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit() and len(v) <= 18]
    mark_read(actor=actor_of(request), message_ids=ids or None)
    return redirect("notifications:inbox")
