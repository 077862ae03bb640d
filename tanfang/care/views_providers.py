"""Provider registry pages: the list in the viewer's area, a provider with its contracts and staff
accounts, registering and editing one, adding a contract, adding and removing staff accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tanfang.accounts.models import User
from tanfang.care.models import Provider, ProviderCategory, ServiceKind
from tanfang.care.providers import (
    ContractInput,
    ProviderFilters,
    ProviderInput,
    add_contract,
    add_staff,
    contract_state,
    contract_state_label,
    create_provider,
    get_provider_for,
    kind_labels,
    may_keep,
    may_see_providers,
    provider_list,
    remove_staff,
    update_provider,
)
from tanfang.core.errors import FieldError, PermissionDenied, ValidationFailed
from tanfang.core.paging import page_number, page_of, query_without_page
from tanfang.core.roles import Permission, RegionLevel, has_permission
from tanfang.regions.scoping import regions_visible_to, require_permission


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _errors(errors: list[FieldError]) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(error.field, error.message)
    return found


@require_GET
def provider_list_view(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    if not may_see_providers(actor):
        raise PermissionDenied()
    filters = ProviderFilters(
        category=request.GET.get("category", ""),
        kind=request.GET.get("kind", ""),
        q=request.GET.get("q", ""),
        active_only=request.GET.get("active") == "1",
    )
    page = page_of(provider_list(actor, filters), page=page_number(request.GET))
    rows = [{"provider": p, "kinds": kind_labels(p.kinds)} for p in page.items]
    return render(
        request,
        "care/provider_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "query": query_without_page(request.GET),
            "categories": ProviderCategory.choices,
            "kinds": ServiceKind.choices,
            "may_create": has_permission(actor.role, Permission.MANAGE_PROVIDERS),
        },
    )


def _provider_input(request: HttpRequest) -> ProviderInput:
    post = request.POST
    return ProviderInput(
        name=post.get("name", ""),
        category=post.get("category", ""),
        kinds=post.getlist("kinds"),
        region_code=post.get("region_code", ""),
        contact_name=post.get("contact_name", ""),
        contact_phone=post.get("contact_phone", ""),
        address=post.get("address", ""),
        active=post.get("active") == "on",
    )


def _form(
    request: HttpRequest, *, provider: Provider | None, values: dict[str, Any], errors: list[FieldError]
) -> HttpResponse:
    return render(
        request,
        "care/provider_form.html",
        {
            "provider": provider,
            "values": values,
            "errors": _errors(errors),
            "categories": ProviderCategory.choices,
            "kinds": ServiceKind.choices,
            "regions": _service_areas(request, provider),
        },
        status=422 if errors else 200,
    )


def _service_areas(request: HttpRequest, provider: Provider | None) -> list[tuple[str, str]]:
    """The areas a provider may serve, as choices: the keeper's regions and the townships below them
    (and a provider's own area, whatever its level)."""
    rows = regions_visible_to(_user(request)).filter(level__lte=RegionLevel.TOWNSHIP).order_by("path")[:300]
    choices = [(r.code, f"{'　' * max(0, r.level - RegionLevel.COUNTY)}{r.name}（{r.code}）") for r in rows]
    if provider is not None and provider.region.code not in {code for code, _label in choices}:
        choices.append((provider.region.code, f"{provider.region.name}（{provider.region.code}）"))
    return choices


def _values(data: ProviderInput) -> dict[str, Any]:
    return {
        "name": data.name,
        "category": data.category,
        "kinds": list(data.kinds),
        "region_code": data.region_code,
        "contact_name": data.contact_name,
        "address": data.address,
        "active": data.active,
    }


@require_http_methods(["GET", "POST"])
def provider_new(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require_permission(actor, Permission.MANAGE_PROVIDERS)
    if request.method == "POST":
        data = _provider_input(request)
        try:
            provider = create_provider(actor=actor, data=data)
        except ValidationFailed as error:
            return _form(request, provider=None, values=_values(data), errors=error.errors)
        messages.success(request, _("服务机构已登记"))
        return redirect("care:provider_detail", provider.pk)
    return _form(request, provider=None, values={"active": True}, errors=[])


@require_GET
def provider_detail(request: HttpRequest, provider_id: int) -> HttpResponse:
    actor = _user(request)
    provider = get_provider_for(actor, provider_id)
    contracts = [
        {
            "contract": c,
            "state": contract_state(c),
            "label": contract_state_label(contract_state(c)),
            "kinds": kind_labels(c.kinds),
        }
        for c in provider.contracts.order_by("-ends_on", "-pk")
    ]
    keeps = may_keep(actor, provider)
    return render(
        request,
        "care/provider_detail.html",
        {
            "provider": provider,
            "kinds": kind_labels(provider.kinds),
            "contracts": contracts,
            "staff": list(provider.staff.order_by("username")) if keeps else [],
            "staff_count": provider.staff.count(),
            "may_keep": keeps,
        },
    )


@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, provider_id: int) -> HttpResponse:
    actor = _user(request)
    require_permission(actor, Permission.MANAGE_PROVIDERS)
    provider = get_provider_for(actor, provider_id)
    if not may_keep(actor, provider):
        raise PermissionDenied(_("这家服务机构的服务范围超出您的辖区，只能查看"))
    if request.method == "POST":
        data = _provider_input(request)
        try:
            update_provider(actor=actor, provider_id=provider.pk, data=data)
        except ValidationFailed as error:
            return _form(request, provider=provider, values=_values(data), errors=error.errors)
        messages.success(request, _("服务机构已保存"))
        return redirect("care:provider_detail", provider.pk)
    values = {
        "name": provider.name,
        "category": provider.category,
        "kinds": list(provider.kinds),
        "region_code": provider.region.code,
        "contact_name": provider.contact_name,
        "address": provider.address,
        "active": provider.active,
    }
    return _form(request, provider=provider, values=values, errors=[])


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
def provider_contract_new(request: HttpRequest, provider_id: int) -> HttpResponse:
    actor = _user(request)
    require_permission(actor, Permission.MANAGE_PROVIDERS)
    provider = get_provider_for(actor, provider_id)
    if not may_keep(actor, provider):
        raise PermissionDenied(_("这家服务机构的服务范围超出您的辖区，只能查看"))
    errors: list[FieldError] = []
    values: dict[str, Any] = {"kinds": list(provider.kinds)}
    if request.method == "POST":
        post = request.POST
        values = {k: post.get(k, "") for k in ("number", "buyer", "starts_on", "ends_on", "amount")}
        values["kinds"] = post.getlist("kinds")
        data = ContractInput(
            number=values["number"],
            buyer=values["buyer"],
            starts_on=_day(values["starts_on"]),
            ends_on=_day(values["ends_on"]),
            kinds=values["kinds"],
            amount=values["amount"],
        )
        try:
            add_contract(actor=actor, provider_id=provider.pk, data=data)
        except ValidationFailed as error:
            errors = error.errors
        else:
            messages.success(request, _("购买服务合同已保存"))
            return redirect("care:provider_detail", provider.pk)
    return render(
        request,
        "care/provider_contract_form.html",
        {
            "provider": provider,
            "values": values,
            "errors": _errors(errors),
            "kinds": [(code, label) for code, label in ServiceKind.choices if code in provider.kinds],
        },
        status=422 if errors else 200,
    )


@require_POST
def provider_staff_add(request: HttpRequest, provider_id: int) -> HttpResponse:
    try:
        user = add_staff(actor=_user(request), provider_id=provider_id, username=request.POST.get("username", ""))
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已添加机构人员账号：%(name)s") % {"name": user.display_name or user.username})
    return redirect("care:provider_detail", provider_id)


@require_POST
def provider_staff_remove(request: HttpRequest, provider_id: int, user_id: int) -> HttpResponse:
    remove_staff(actor=_user(request), provider_id=provider_id, user_id=user_id)
    messages.success(request, _("已移除机构人员账号"))
    return redirect("care:provider_detail", provider_id)
