"""Work list for visitors; officers' views of a region's month; recomputation with progress.

Thin: each view parses the request, calls one selector or service, and renders. Errors the services
raise (NotFound, PermissionDenied) become the error pages (core.error_pages).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tanfang.core.errors import ValidationFailed
from tanfang.core.paging import page_number, page_of
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import actor_of
from tanfang.core.time import local_today
from tanfang.core.xlsx import CONTENT_TYPE
from tanfang.regions.scoping import require_permission, top_regions_for
from tanfang.schedule.chasing import chase_township, may_chase_township
from tanfang.schedule.exports import METHOD_LABELS, export_region_list
from tanfang.schedule.forms import PolicyForm, WeatherForm
from tanfang.schedule.selectors import (
    LISTS,
    REASON_LABELS,
    child_regions,
    get_job_for,
    month_end,
    month_summary,
    own_visitor,
    policy_of_region,
    refreshing,
    region_list,
    schedule_region_for,
    weather_events_of,
    worklist,
)
from tanfang.schedule.services import declare_weather, request_recompute, save_policy
from tanfang.visitors.services import number_to_call


def worklist_view(request: HttpRequest) -> HttpResponse:
    require_permission(actor_of(request), Permission.VISIT)  # only roles that visit have a work list
    visitor = own_visitor(actor_of(request))
    today = local_today()
    return render(
        request,
        "schedule/worklist.html",
        {
            "visitor": visitor,
            "items": worklist(visitor, today) if visitor else [],
            "today": today,
            "reasons": REASON_LABELS,
            "methods": METHOD_LABELS,
        },
    )


class _TelRedirect(HttpResponseRedirect):
    allowed_schemes = ["tel"]


@require_GET
def call_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    """One tap to call the elder (or `?to=contact`, the first emergency contact): audited, then tel:."""
    number = number_to_call(actor=actor_of(request), elder_id=elder_id, to=request.GET.get("to", "elder"))
    if not number:
        messages.error(request, _("没有登记电话号码"))
        return redirect("schedule:worklist")
    return _TelRedirect(f"tel:{number}")


def schedule_home_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not has_permission(actor.role, Permission.VIEW_ELDERS):
        require_permission(actor, Permission.VISIT)
        return redirect("schedule:worklist")
    top = top_regions_for(actor).first()
    if top is None:
        return render(request, "schedule/region.html", {"region": None})
    return redirect("schedule:region", code=top.code)


def region_view(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    region = schedule_region_for(actor, code)
    kind = request.GET.get("list", "not_visited")
    if kind not in LISTS:
        kind = "not_visited"
    today = local_today()
    page = page_of(region_list(actor, code, kind, today), page=page_number(request.GET))
    return render(
        request,
        "schedule/region.html",
        {
            "region": region,
            "kind": kind,
            "lists": LISTS,
            "page": page,
            "query": f"list={kind}",
            "today": today,
            "days_left": (month_end(today) - today).days,
            "summary": month_summary(actor, code, today),
            "children": child_regions(region),
            "reasons": REASON_LABELS,
            "refreshing": refreshing(region),
            "can_recompute": has_permission(actor.role, Permission.MANAGE_VISITORS),
            "can_export": has_permission(actor.role, Permission.EXPORT_ELDERS),
            "can_chase": has_permission(actor.role, Permission.CHASE),
            "can_chase_township": may_chase_township(actor, region),
        },
    )


@require_POST
def chase_township_view(request: HttpRequest, code: str) -> HttpResponse:
    """催办 a township from its not-visited list: its officers are told how many elders are left."""
    try:
        chased = chase_township(actor=actor_of(request), code=code)
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("已催办%(township)s（%(n)s位老人未探访，通知%(told)s人）")
            % {"township": chased.township.name, "n": chased.not_visited, "told": chased.told},
        )
    return redirect("schedule:region", code=code)


def export_view(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    name, content, _rows = export_region_list(actor=actor_of(request), code=code, kind=kind, today=local_today())
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
def recompute_view(request: HttpRequest, code: str) -> HttpResponse:
    region = request_recompute(actor=actor_of(request), region_code=code)
    messages.success(request, _("已安排在后台重新计算各老人的探访状态"))
    return redirect("schedule:region", code=region.code)


def job_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_job_for(actor_of(request), job_id)
    template = "schedule/job_progress.html" if request.headers.get("HX-Request") else "schedule/job.html"
    return render(request, template, {"job": job})


@require_http_methods(["GET", "POST"])
def policy_view(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    view = policy_of_region(actor, code)
    can_edit = has_permission(actor.role, Permission.MANAGE_VISITORS)
    effective, own = view.effective, view.own
    initial = {
        "monthly_contacts": effective.monthly_contacts,
        "count_home": "home" in effective.counted_methods,
        "count_phone": "phone" in effective.counted_methods,
        "count_video": "video" in effective.counted_methods,
        "count_other": "other" in effective.counted_methods,
        "disabled_home_visit_months": effective.disabled_home_visit_months,
        "high_risk_interval_days": effective.high_risk_interval_days,
        "pause_when_away": effective.when_away == "paused",
        "count_declined": effective.count_declined,
        "festival_window_before": own.festival_window_before if own else 7,
        "festival_window_after": own.festival_window_after if own else 0,
    }
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require_permission(actor, Permission.MANAGE_VISITORS)
        if form.is_valid():
            try:
                save_policy(actor=actor, region_code=view.region.code, values=dict(form.cleaned_data))
            except ValidationFailed as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("探访政策已保存；各老人的探访状态将在后台重新计算"))
                return redirect("schedule:region", code=view.region.code)
    return render(
        request,
        "schedule/policy.html",
        {"region": view.region, "form": form, "can_edit": can_edit, "own": own is not None},
    )


@require_http_methods(["GET", "POST"])
def weather_view(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    region = schedule_region_for(actor, code)
    can_edit = has_permission(actor.role, Permission.MANAGE_VISITORS)
    today = local_today()
    form = WeatherForm(request.POST or None, initial={"starts_on": today, "ends_on": today})
    if request.method == "POST":
        require_permission(actor, Permission.MANAGE_VISITORS)
        if form.is_valid():
            data = form.cleaned_data
            try:
                declare_weather(
                    actor=actor,
                    region_code=region.code,
                    kind=data["kind"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    groups=data["groups"],
                    note=data["note"],
                )
            except ValidationFailed as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("已发布；须联系的老人将出现在探访人员的待办中"))
                return redirect("schedule:weather", code=region.code)
    return render(
        request,
        "schedule/weather.html",
        {"region": region, "form": form, "events": weather_events_of(region), "can_edit": can_edit},
    )
