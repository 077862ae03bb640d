"""Pages: the inbox (one's own messages), one's message preferences, and the officers' failed messages.

Thin: parse, call one service or selector, show.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tanfang.core.errors import Conflict, PermissionDenied, ValidationFailed
from tanfang.core.paging import page_number, page_of, query_without_page
from tanfang.core.scope import actor_of
from tanfang.notifications.forms import PreferenceForm
from tanfang.notifications.models import Notification
from tanfang.notifications.preferences import preference_of, robot_names, set_preferences
from tanfang.notifications.selectors import (
    inbox_of,
    may_retry_messages,
    may_see_troubled_messages,
    troubled_messages_visible_to,
)
from tanfang.notifications.services import mark_read, retry_message, retry_visible_messages


def inbox_view(request: HttpRequest) -> HttpResponse:
    page = page_of(inbox_of(actor_of(request)), page=page_number(request.GET), page_size=30)
    return render(request, "notifications/inbox.html", {"page": page})


@require_POST
def mark_read_view(request: HttpRequest) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit() and len(v) <= 18]
    mark_read(actor=actor_of(request), message_ids=ids or None)
    return redirect("notifications:inbox")


def preferences_view(request: HttpRequest) -> HttpResponse:
    """The user's own channels and quiet hours."""
    actor = actor_of(request)
    robots = robot_names()
    if request.method == "POST":
        form = PreferenceForm(request.POST, robots=robots)
        if form.is_valid():
            try:
                set_preferences(actor=actor, data=form.to_input())
            except ValidationFailed as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("消息接收设置已保存"))
                return redirect("notifications:preferences")
    else:
        form = PreferenceForm(initial=PreferenceForm.initial_of(preference_of(actor.pk)), robots=robots)
    return render(request, "notifications/preferences.html", {"form": form})


def troubled_view(request: HttpRequest) -> HttpResponse:
    """发送失败的消息: failed and retrying messages of the officer's scope, with every attempt."""
    actor = actor_of(request)
    if not may_see_troubled_messages(actor):
        raise PermissionDenied()
    state = request.GET.get("state", "")
    if state not in (Notification.State.FAILED, Notification.State.PENDING):
        state = ""
    page = page_of(troubled_messages_visible_to(actor, state=state), page=page_number(request.GET), page_size=30)
    context = {
        "page": page,
        "state": state,
        "query": query_without_page(request.GET),
        "may_retry": may_retry_messages(actor),
    }
    return render(request, "notifications/troubled.html", context)


@require_POST
def retry_view(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        row = retry_message(actor=actor_of(request), notification_id=notification_id)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已重新排队发送：%(label)s") % {"label": row.recipient_label or row.recipient})
    return redirect("outbox:list")


@require_POST
def retry_all_view(request: HttpRequest) -> HttpResponse:
    count, more = retry_visible_messages(actor=actor_of(request))
    if more:
        messages.success(request, _("已重新排队 %(count)d 条消息；还有更多，请再点一次") % {"count": count})
    else:
        messages.success(request, _("已重新排队 %(count)d 条消息") % {"count": count})
    return redirect("outbox:list")
