"""Work list for visitors; officers' views of a region's month; recomputation with progress."""

from __future__ import annotations

import io
from typing import Any, cast

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from openpyxl import Workbook

from tanfang.accounts.models import User
from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.crypto import field_cipher
from tanfang.core.errors import NotFound, ValidationFailed
from tanfang.core.paging import page_number, page_of
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import scope_of
from tanfang.core.time import local_today
from tanfang.elders.models import CONTACT_PHONE_CONTEXT, PHONE_CONTEXT, Elder
from tanfang.regions.models import Region
from tanfang.regions.scoping import top_regions_for
from tanfang.schedule.forms import PolicyForm, WeatherForm
from tanfang.schedule.models import RecomputeJob, RegionPolicy, WeatherEvent
from tanfang.schedule.selectors import (
    REASON_LABELS,
    month_end,
    month_summary,
    not_visited_this_month,
    overdue,
    visitor_of,
    worklist,
)
from tanfang.schedule.services import (
    PolicyBook,
    declare_weather,
    path_prefixes,
    save_policy,
    start_recompute,
)
from tanfang.schedule.tasks import recompute_job_task
from tanfang.visitors.models import Pairing
from tanfang.visitors.selectors import unpaired_elders, visitors_visible_to

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
METHOD_LABELS = {"home": "上门", "phone": "电话", "video": "视频", "other": "其他"}


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def worklist_view(request: HttpRequest) -> HttpResponse:
    try:
        visitor = visitor_of(_user(request))
    except NotFound:
        return render(request, "schedule/worklist.html", {"visitor": None, "items": []})
    today = local_today()
    return render(
        request,
        "schedule/worklist.html",
        {
            "visitor": visitor,
            "items": worklist(visitor, today),
            "today": today,
            "reasons": REASON_LABELS,
            "methods": METHOD_LABELS,
        },
    )


class _TelRedirect(HttpResponseRedirect):
    allowed_schemes = ["tel"]


def call_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    """One tap to call the elder (or `?to=contact`, the first emergency contact): audited, then tel:."""
    actor = _user(request)
    elder = Elder.objects.filter(pk=elder_id, merged_into__isnull=True).first()
    if elder is None:
        raise Http404()
    paired = Pairing.objects.filter(elder=elder, visitor__user_id=actor.pk, ended_on__isnull=True).exists()
    officer = scope_of(actor).contains(elder.region_path) and has_permission(
        actor.role, Permission.REVEAL_PERSONAL_DATA
    )
    if not (paired or officer):
        raise Http404()
    target = request.GET.get("to", "elder")
    token, context = elder.phone_cipher, PHONE_CONTEXT
    if target == "contact":
        contact = elder.contacts.exclude(phone_cipher=None).first()
        token, context = (contact.phone_cipher if contact else None), CONTACT_PHONE_CONTEXT
    if not token:
        messages.error(request, _("没有登记电话号码"))
        return redirect("schedule:worklist")
    number = field_cipher().decrypt(bytes(token), context=context)
    with transaction.atomic():
        record_event(
            actor=actor,
            action=Action.PERSONAL_DATA_REVEALED,
            subject=elder,
            details={"field": f"call:{target}", "reason": "拨打电话"},
        )
    return _TelRedirect(f"tel:{number}")


def _region_for(request: HttpRequest, code: str) -> Region:
    actor = _user(request)
    region = Region.objects.filter(code=code).first()
    if (
        region is None
        or not scope_of(actor).contains(region.path)
        or not has_permission(actor.role, Permission.VIEW_ELDERS)
    ):
        raise Http404()
    return region


def schedule_home_view(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    if not has_permission(actor.role, Permission.VIEW_ELDERS):
        return redirect("schedule:worklist")
    top = top_regions_for(actor).first()
    if top is None:
        return render(request, "schedule/region.html", {"region": None})
    return redirect("schedule:region", code=top.code)


LISTS = {
    "not_visited": _("本月未探访"),
    "overdue": _("已逾期"),
    "unpaired": _("未结对"),
    "loads": _("探访人员负担"),
}


def _rows(request: HttpRequest, code: str, kind: str) -> Any:
    actor = _user(request)
    today = local_today()
    if kind == "not_visited":
        return not_visited_this_month(actor, code, today)
    if kind == "overdue":
        return overdue(actor, code, today)
    if kind == "unpaired":
        return unpaired_elders(actor, code).select_related("region")
    region = _region_for(request, code)
    return (
        visitors_visible_to(actor)
        .filter(region_path__startswith=region.path)
        .select_related("region")
        .order_by("-load", "id")
    )


def region_view(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_for(request, code)
    actor = _user(request)
    kind = request.GET.get("list", "not_visited")
    if kind not in LISTS:
        kind = "not_visited"
    today = local_today()
    page = page_of(_rows(request, code, kind), page=page_number(request.GET))
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
            "children": Region.objects.filter(parent=region).order_by("code"),
            "reasons": REASON_LABELS,
            "can_recompute": has_permission(actor.role, Permission.MANAGE_VISITORS),
        },
    )


def export_view(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    region = _region_for(request, code)
    if kind not in LISTS:
        raise Http404()
    today = local_today()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(LISTS[kind]))
    count = 0
    if kind == "loads":
        sheet.append([_("姓名"), _("类别"), _("所在区划"), _("结对人数"), _("上限")])
        for v in _rows(request, code, kind).iterator(chunk_size=2000):
            sheet.append([v.name, v.get_kind_display(), v.region.name, v.load, v.capacity])
            count += 1
    elif kind == "unpaired":
        sheet.append([_("姓名"), _("公民身份号码"), _("现居住村（社区）"), _("状态")])
        for e in _rows(request, code, kind).iterator(chunk_size=2000):
            sheet.append([e.name, e.id_number_masked, e.region.name, e.get_status_display()])
            count += 1
    else:
        sheet.append(
            [_("姓名"), _("公民身份号码"), _("现居住村（社区）"), _("原因"), _("期限"), _("剩余天数"), _("最近探访")]
        )
        for d in _rows(request, code, kind).iterator(chunk_size=2000):
            sheet.append(
                [
                    d.elder.name,
                    d.elder.id_number_masked,
                    d.elder.region.name,
                    REASON_LABELS.get(d.reason, d.reason),
                    d.deadline,
                    (d.deadline - today).days if d.deadline else None,
                    d.last_contact_on,
                ]
            )
            count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    with transaction.atomic():
        record_event(
            actor=_user(request),
            action=Action.ELDERS_EXPORTED,
            subject=region,
            details={"list": kind, "rows": count},
        )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{kind}-{code}-{today:%Y%m%d}.xlsx"'
    return response


@require_POST
def recompute_view(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_for(request, code)
    actor = _user(request)
    if not has_permission(actor.role, Permission.MANAGE_VISITORS):
        return HttpResponseForbidden(_("您没有权限执行此操作"))
    with transaction.atomic():
        job = start_recompute(region_path=region.path)
        record_event(actor=actor, action=Action.DUE_RECOMPUTED, subject=region, details={"job": job.pk})
    transaction.on_commit(lambda: recompute_job_task.delay(job.pk))
    return redirect("schedule:job", job_id=job.pk)


def job_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = RecomputeJob.objects.filter(pk=job_id).first()
    if job is None or not scope_of(_user(request)).contains(job.region_path or "/"):
        raise Http404()
    template = "schedule/job_progress.html" if request.headers.get("HX-Request") else "schedule/job.html"
    return render(request, template, {"job": job})


@require_http_methods(["GET", "POST"])
def policy_view(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_for(request, code)
    actor = _user(request)
    can_edit = has_permission(actor.role, Permission.MANAGE_VISITORS)
    current = RegionPolicy.objects.filter(region=region).first()
    effective = PolicyBook().policy(region.path)
    initial = {
        "monthly_contacts": effective.monthly_contacts,
        "count_home": "home" in effective.counted_methods,
        "count_phone": "phone" in effective.counted_methods,
        "count_video": "video" in effective.counted_methods,
        "count_other": "other" in effective.counted_methods,
        "disabled_home_visit_months": effective.disabled_home_visit_months,
        "high_risk_interval_days": effective.high_risk_interval_days,
        "pause_when_away": effective.when_away == "paused",
        "festival_window_before": current.festival_window_before if current else 7,
        "festival_window_after": current.festival_window_after if current else 0,
    }
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not can_edit:
            return HttpResponseForbidden(_("您没有权限执行此操作"))
        if form.is_valid():
            try:
                save_policy(actor=actor, region_code=region.code, values=dict(form.cleaned_data))
            except ValidationFailed as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("探访政策已保存；各老人的探访状态将在后台重新计算"))
                job = start_recompute(region_path=region.path)
                transaction.on_commit(lambda: recompute_job_task.delay(job.pk))
                return redirect("schedule:job", job_id=job.pk)
    return render(
        request,
        "schedule/policy.html",
        {"region": region, "form": form, "can_edit": can_edit, "own": current is not None},
    )


@require_http_methods(["GET", "POST"])
def weather_view(request: HttpRequest, code: str) -> HttpResponse:
    region = _region_for(request, code)
    actor = _user(request)
    can_edit = has_permission(actor.role, Permission.MANAGE_VISITORS)
    form = WeatherForm(request.POST or None, initial={"starts_on": local_today(), "ends_on": local_today()})
    if request.method == "POST":
        if not can_edit:
            return HttpResponseForbidden(_("您没有权限执行此操作"))
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
                job = start_recompute(region_path=region.path)
                transaction.on_commit(lambda: recompute_job_task.delay(job.pk))
                return redirect("schedule:weather", code=region.code)
    events = WeatherEvent.objects.filter(region_path__in=path_prefixes(region.path)).order_by("-starts_on")[:20]
    return render(
        request,
        "schedule/weather.html",
        {"region": region, "form": form, "events": events, "can_edit": can_edit},
    )
