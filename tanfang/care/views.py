"""Follow-up pages: the list (by region, or one's own) with due states and filters; one follow-up with
its timeline and the actions the viewer may take; opening one by hand from an elder's page."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tanfang.accounts.models import User
from tanfang.care.models import FollowUpKind, FollowUpState, Outcome, ServiceKind
from tanfang.care.selectors import (
    FollowUpFilters,
    deadlines_of,
    follow_up_list,
    get_follow_up_for,
    is_overdue,
    is_owner,
    timeline,
)
from tanfang.care.services import (
    FollowUpInput,
    accept_follow_up,
    assign_follow_up,
    assignable_providers,
    assignable_users,
    chase_follow_up,
    close_follow_up,
    complete_follow_up,
    open_follow_up,
    set_deadline_policy,
)
from tanfang.core.errors import NotFound, ValidationFailed
from tanfang.core.paging import page_number, page_of, query_without_page
from tanfang.core.roles import Permission, has_permission
from tanfang.core.time import now
from tanfang.elders.selectors import get_elder_for
from tanfang.regions.scoping import get_region_for, require_permission, top_regions_for

STATE_FILTERS = [
    ("live", _("未办结")),
    ("overdue", _("已逾期")),
    *FollowUpState.choices,
]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 12 else None


@require_GET
def follow_up_list_view(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    may_see_region = has_permission(actor.role, Permission.VIEW_ELDERS)
    state = request.GET.get("state", "live")
    region_code = request.GET.get("region", "").strip()
    region = get_region_for(actor, region_code) if region_code and may_see_region else None
    mine = request.GET.get("mine") == "1" or not may_see_region
    filters = FollowUpFilters(
        state=state,
        kind=request.GET.get("kind", ""),
        region_path=region.path if region else "",
        mine=mine,
        elder_id=_int(request.GET.get("elder", "")),
    )
    page = page_of(follow_up_list(actor, filters), page=page_number(request.GET))
    moment = now()
    overdue_ids = {fu.pk for fu in page.items if is_overdue(fu, moment)}
    return render(
        request,
        "care/list.html",
        {
            "page": page,
            "overdue_ids": overdue_ids,
            "query": query_without_page(request.GET),
            "filters": filters,
            "region": region,
            "states": STATE_FILTERS,
            "kinds": FollowUpKind.choices,
            "may_see_region": may_see_region,
            "can_chase": has_permission(actor.role, Permission.CHASE),
            "here": request.get_full_path(),
        },
    )


def _detail_context(request: HttpRequest, follow_up_id: int) -> dict[str, object]:
    actor = _user(request)
    fu = get_follow_up_for(actor, follow_up_id)
    manages = has_permission(actor.role, Permission.MANAGE_FOLLOW_UPS) and fu.live
    owner = is_owner(actor, fu)
    return {
        "fu": fu,
        "overdue": is_overdue(fu),
        "events": timeline(fu),
        "findings": fu.findings.select_related("visit").order_by("found_on"),
        "care_services": fu.care_services.order_by("number"),
        "may_assign": manages,
        "may_close": manages,
        "may_accept": owner and fu.state == FollowUpState.ASSIGNED,
        "may_finish": fu.state in (FollowUpState.ASSIGNED, FollowUpState.ACCEPTED)
        and (owner or has_permission(actor.role, Permission.MANAGE_FOLLOW_UPS)),
        "may_chase": fu.live and has_permission(actor.role, Permission.CHASE),
        "may_record_care": fu.live and has_permission(actor.role, Permission.RECORD_CARE) and (owner or manages),
        "users": assignable_users(fu).order_by("username")[:200] if manages else [],
        "providers": assignable_providers(fu)[:200] if manages else [],
        "outcomes": [c for c in Outcome.choices if c[0] != Outcome.CANCELLED],
    }


@require_GET
def follow_up_detail(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    return render(request, "care/detail.html", _detail_context(request, follow_up_id))


def _act(request: HttpRequest, follow_up_id: int, done: str, action: object) -> HttpResponse:
    """Do one step; back to the follow-up on success, or its page again with the Chinese error (422)."""
    try:
        action()  # type: ignore[operator]
    except ValidationFailed as error:
        messages.error(request, error.message)
        return render(request, "care/detail.html", _detail_context(request, follow_up_id), status=422)
    messages.success(request, done)
    return redirect("care:detail", follow_up_id)


@require_POST
def assign_view(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    owner = request.POST.get("owner", "")
    kind, _sep, raw = owner.partition(":")
    number = _int(raw)
    return _act(
        request,
        follow_up_id,
        _("已分派"),
        lambda: assign_follow_up(
            actor=_user(request),
            follow_up_id=follow_up_id,
            user_id=number if kind == "user" else None,
            provider_id=number if kind == "provider" else None,
            contact=request.POST.get("contact", ""),
        ),
    )


@require_POST
def accept_view(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    return _act(
        request, follow_up_id, _("已接收"), lambda: accept_follow_up(actor=_user(request), follow_up_id=follow_up_id)
    )


@require_POST
def done_view(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    return _act(
        request,
        follow_up_id,
        _("已办结"),
        lambda: complete_follow_up(actor=_user(request), follow_up_id=follow_up_id, note=request.POST.get("note", "")),
    )


@require_POST
def close_view(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    return _act(
        request,
        follow_up_id,
        _("已关闭"),
        lambda: close_follow_up(
            actor=_user(request),
            follow_up_id=follow_up_id,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        ),
    )


@require_POST
def chase_view(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    """催办 from the follow-up's page, or from the list (back to the list, with its filters)."""
    back = request.POST.get("next", "")
    if back.startswith("/care/follow-ups/") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        try:
            chase_follow_up(actor=_user(request), follow_up_id=follow_up_id)
        except ValidationFailed as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已催办"))
        return redirect(back)
    return _act(
        request, follow_up_id, _("已催办"), lambda: chase_follow_up(actor=_user(request), follow_up_id=follow_up_id)
    )


def open_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    """Open a follow-up by hand for an elder (from the elder's page)."""
    actor = _user(request)
    require_permission(actor, Permission.MANAGE_FOLLOW_UPS)
    elder = get_elder_for(actor, elder_id)
    values = {"kind": FollowUpKind.OTHER.value, "title": "", "detail": "", "service_kind": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        try:
            fu = open_follow_up(actor=actor, elder_id=elder.pk, data=FollowUpInput(**values))
        except ValidationFailed as error:
            errors = {e.field: e.message for e in error.errors}
        else:
            messages.success(request, _("已发起跟进事项"))
            return redirect("care:detail", fu.pk)
    return render(
        request,
        "care/open.html",
        {
            "elder": elder,
            "values": values,
            "errors": errors,
            "kinds": FollowUpKind.choices,
            "service_kinds": ServiceKind.choices,
        },
        status=422 if errors else 200,
    )


def deadlines_view(request: HttpRequest, code: str) -> HttpResponse:
    """How many days each kind of follow-up has in a region; officers who manage follow-ups change them."""
    actor = _user(request)
    require_permission(actor, Permission.VIEW_ELDERS)
    region = get_region_for(actor, code)
    may_change = has_permission(actor.role, Permission.MANAGE_FOLLOW_UPS)
    errors: dict[str, str] = {}
    if request.method == "POST":
        require_permission(actor, Permission.MANAGE_FOLLOW_UPS)
        days: dict[str, int | None] = {}
        for kind in FollowUpKind.values:
            raw = request.POST.get(kind, "").strip()
            if raw == "":
                days[kind] = None
            elif raw.isdigit() and len(raw) < 5:
                days[kind] = int(raw)
            else:
                errors[kind] = _("请填写天数（整数），留空则沿用上级")
        if not errors:
            try:
                set_deadline_policy(actor=actor, region_code=region.code, days=days)
            except ValidationFailed as error:
                errors = {e.field: e.message for e in error.errors}
            else:
                messages.success(request, _("已保存办理时限"))
                return redirect("care:deadlines", region.code)
    return render(
        request,
        "care/deadlines.html",
        {"region": region, "rows": deadlines_of(region), "may_change": may_change, "errors": errors},
        status=422 if errors else 200,
    )


def deadlines_home(request: HttpRequest) -> HttpResponse:
    """The deadlines of the actor's own top region."""
    actor = _user(request)
    require_permission(actor, Permission.VIEW_ELDERS)
    top = top_regions_for(actor).first()
    if top is None:
        raise NotFound()
    return redirect("care:deadlines", top.code)
