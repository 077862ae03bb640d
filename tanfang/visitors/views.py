"""Visitor pages: list, create, edit, detail with hand-over; pairing panel; unpaired elders."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tanfang.accounts.models import User
from tanfang.core.errors import Conflict, NotFound, ValidationFailed
from tanfang.core.paging import page_number, page_of, query_without_page
from tanfang.core.roles import Permission, has_permission
from tanfang.elders.selectors import get_elder_for
from tanfang.regions.scoping import require_permission
from tanfang.visitors.forms import HandOverForm, PairForm, VisitorForm
from tanfang.visitors.models import Visitor
from tanfang.visitors.selectors import (
    get_pairing_for,
    get_visitor_for,
    pairings_of_elder,
    unpaired_elders,
    visitors_visible_to,
)
from tanfang.visitors.services import (
    VisitorInput,
    bulk_pair_village,
    chase_visitor,
    create_visitor,
    end_pairing,
    hand_over,
    open_pairings,
    pair,
    suggest_visitors,
    update_visitor,
    visitor_number_to_call,
)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _visitor(request: HttpRequest, visitor_id: int) -> Visitor:
    return get_visitor_for(_user(request), visitor_id)


def visitor_list_view(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require_permission(actor, Permission.VIEW_ELDERS)
    visitors = visitors_visible_to(actor).select_related("region")
    text = request.GET.get("q", "").strip()
    if text:
        visitors = visitors.filter(name__startswith=text)
    page = page_of(visitors.order_by("region_path", "id"), page=page_number(request.GET))
    return render(
        request,
        "visitors/list.html",
        {
            "page": page,
            "q": text,
            "query": query_without_page(request.GET),
            "can_manage": has_permission(actor.role, Permission.MANAGE_VISITORS),
        },
    )


def _input(form: VisitorForm) -> VisitorInput:
    data = form.cleaned_data
    return VisitorInput(
        name=data["name"],
        kind=data["kind"],
        region_code=data["region_code"],
        served_codes=form.served_list(),
        organisation=data["organisation"],
        phone=data["phone"],
        capacity=data["capacity"],
        active=data["active"],
    )


@require_http_methods(["GET", "POST"])
def visitor_create_view(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require_permission(actor, Permission.MANAGE_VISITORS)
    form = VisitorForm(request.POST or None, initial={"active": True, "capacity": 20})
    if request.method == "POST" and form.is_valid():
        try:
            visitor = create_visitor(actor=actor, data=_input(form))
        except ValidationFailed as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("已新增 %(name)s") % {"name": visitor.name})
            return redirect("visitors:detail", visitor_id=visitor.pk)
    return render(request, "visitors/form.html", {"form": form, "editing": None})


@require_http_methods(["GET", "POST"])
def visitor_edit_view(request: HttpRequest, visitor_id: int) -> HttpResponse:
    actor = _user(request)
    visitor = _visitor(request, visitor_id)
    require_permission(actor, Permission.MANAGE_VISITORS)
    initial = {
        "name": visitor.name,
        "kind": visitor.kind,
        "organisation": visitor.organisation,
        "phone": "",
        "region_code": visitor.region_id,
        "served_codes": " ".join(visitor.served.values_list("code", flat=True)),
        "capacity": visitor.capacity,
        "active": visitor.active,
    }
    form = VisitorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_visitor(actor=actor, visitor=visitor, data=_input(form))
        except ValidationFailed as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("已保存"))
            return redirect("visitors:detail", visitor_id=visitor.pk)
    return render(request, "visitors/form.html", {"form": form, "editing": visitor})


def visitor_detail_view(request: HttpRequest, visitor_id: int) -> HttpResponse:
    actor = _user(request)
    visitor = _visitor(request, visitor_id)
    pairings = open_pairings(visitor).select_related("elder", "elder__region").order_by("elder__region_path")
    return render(
        request,
        "visitors/detail.html",
        {
            "visitor": visitor,
            "pairings": pairings,
            "served": visitor.served.all(),
            "can_manage": has_permission(actor.role, Permission.MANAGE_VISITORS),
            "handover_form": HandOverForm(),
        },
    )


@require_POST
def visitor_handover_view(request: HttpRequest, visitor_id: int) -> HttpResponse:
    actor = _user(request)
    visitor = _visitor(request, visitor_id)
    form = HandOverForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("接手人编号无效"))
        return redirect("visitors:detail", visitor_id=visitor.pk)
    try:
        to = get_visitor_for(actor, form.cleaned_data["to_id"]) if form.cleaned_data["to_id"] else None
        moved = hand_over(actor=actor, leaving=visitor, to=to)
    except NotFound:
        messages.error(request, _("未找到接手人"))  # the visitor named in the form: say so on this page
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已移交 %(n)d 位老人，该人员已停用") % {"n": len(moved)})
    return redirect("visitors:detail", visitor_id=visitor.pk)


def elder_pairing_panel(request: HttpRequest, elder_id: int) -> HttpResponse:
    """The pairing section of an elder's page (loaded into it), with suggestions."""
    actor = _user(request)
    elder = get_elder_for(actor, elder_id)
    can_pair = has_permission(actor.role, Permission.EDIT_ELDERS)
    return render(
        request,
        "visitors/elder_pairing.html",
        {
            "elder": elder,
            "pairings": pairings_of_elder(actor, elder)[:20],
            "suggestions": suggest_visitors(actor, elder) if can_pair else [],
            "can_pair": can_pair,
            "form": PairForm(),
        },
    )


@require_POST
def elder_pair_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    actor = _user(request)
    elder = get_elder_for(actor, elder_id)
    require_permission(actor, Permission.EDIT_ELDERS)  # refused as a whole, before the form is read
    form = PairForm(request.POST)
    if form.is_valid():
        try:
            visitor = get_visitor_for(actor, form.cleaned_data["visitor_id"])
            pair(actor=actor, elder=elder, visitor=visitor, role=form.cleaned_data["role"])
        except NotFound:
            messages.error(request, _("未找到该探访人"))  # the visitor named in the form: say so on this page
        except (ValidationFailed, Conflict) as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已结对 %(name)s") % {"name": visitor.name})
    else:
        messages.error(request, _("请选择探访人"))
    return redirect("elders:detail", elder_id=elder.pk)


@require_POST
def pairing_end_view(request: HttpRequest, pairing_id: int) -> HttpResponse:
    actor = _user(request)
    pairing = get_pairing_for(actor, pairing_id)
    end_pairing(actor=actor, pairing=pairing, reason=request.POST.get("reason", ""))
    messages.success(request, _("已结束结对"))
    return redirect("elders:detail", elder_id=pairing.elder_id)


def unpaired_view(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require_permission(actor, Permission.VIEW_ELDERS)
    region = request.GET.get("region", "").strip()
    elders = unpaired_elders(actor, region).select_related("region")
    page = page_of(elders, page=page_number(request.GET))
    return render(
        request,
        "visitors/unpaired.html",
        {
            "page": page,
            "region": region,
            "query": query_without_page(request.GET),
            "can_pair": has_permission(actor.role, Permission.EDIT_ELDERS),
        },
    )


@require_POST
def bulk_pair_view(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    code = request.POST.get("village", "").strip()
    result = bulk_pair_village(actor=actor, village_code=code)
    if result.left:
        messages.warning(
            request,
            _("已结对 %(done)d 人；%(left)d 人找不到有余量的探访人，请增加探访人员或提高上限")
            % {"done": len(result.paired), "left": len(result.left)},
        )
    else:
        messages.success(request, _("已为 %(done)d 位老人结对") % {"done": len(result.paired)})
    return redirect(f"{reverse('visitors:unpaired')}?region={code}")


class _TelRedirect(HttpResponseRedirect):
    allowed_schemes = ["tel"]


@require_GET
def visitor_call_view(request: HttpRequest, visitor_id: int) -> HttpResponse:
    """One tap to call a visitor: audited, then tel:."""
    number = visitor_number_to_call(actor=_user(request), visitor_id=visitor_id)
    if not number:
        messages.error(request, _("没有登记电话号码"))
        return redirect("visitors:detail", visitor_id=visitor_id)
    return _TelRedirect(f"tel:{number}")


@require_POST
def chase_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    """催办 from the not-visited list: remind the elder's visitor, then back to the list."""
    try:
        visitor = chase_visitor(actor=_user(request), elder_id=elder_id)
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已催办 %(name)s") % {"name": visitor.name})
    back = request.POST.get("next", "")
    return redirect(back if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) else "home")
