"""Registry pages: list, detail, register, edit, status, reveal, merge, export. Thin: parse, call, show."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tanfang.accounts.models import User
from tanfang.core.errors import NotFound, ValidationFailed
from tanfang.core.paging import page_number, page_of
from tanfang.core.roles import Permission, has_permission, records_visits
from tanfang.core.time import local_today
from tanfang.core.xlsx import CONTENT_TYPE
from tanfang.elders.disclosure import shows_birth_dates
from tanfang.elders.export import export_elders
from tanfang.elders.forms import (
    TABLES,
    ElderFilterForm,
    ElderForm,
    MergeForm,
    RevealForm,
    StatusForm,
    table_rows,
)
from tanfang.elders.inputs import ElderInput, GroupInput
from tanfang.elders.models import Elder
from tanfang.elders.personal_data import may_reveal, reveal
from tanfang.elders.selectors import (
    ElderFilters,
    NumberSearch,
    filter_elders,
    get_elder_for,
    looks_like_number,
    number_search,
    timeline_of,
)
from tanfang.elders.services import (
    DuplicateElder,
    change_status,
    input_from_elder,
    merge_elders,
    register_elder,
    update_elder,
    with_kept_numbers,
)
from tanfang.regions.scoping import require_permission
from tanfang.regions.selectors import region_drill


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


# Searches for a whole ID or phone number, by token: the session keeps the number's blind index and mask.
NUMBER_SEARCHES = "elders.number_searches"
KEPT_SEARCHES = 20


@dataclass(frozen=True)
class _Listing:
    form: ElderFilterForm
    filters: ElderFilters
    number: NumberSearch | None  # the whole number searched for, as its key and mask
    expired: bool  # a token this session does not know: nobody is found
    refused: bool  # a whole number came in the URL: not searched, the person is told why


def _remember(request: HttpRequest, search: NumberSearch) -> str:
    """Keep a number search in the session under a random token, the only thing the URL will carry."""
    kept = dict(request.session.get(NUMBER_SEARCHES, {}))
    token = secrets.token_urlsafe(12)
    kept[token] = {"key": search.key, "shown": search.shown}
    request.session[NUMBER_SEARCHES] = dict(list(kept.items())[-KEPT_SEARCHES:])
    return token


def _recalled(request: HttpRequest, token: str) -> NumberSearch | None:
    kept = request.session.get(NUMBER_SEARCHES, {}).get(token) if token else None
    return NumberSearch(key=kept["key"], shown=kept["shown"]) if kept else None


def _listing(request: HttpRequest) -> _Listing:
    form = ElderFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    q = data.get("q", "")
    refused = looks_like_number(q)
    token = request.GET.get("find", "")
    number = _recalled(request, token)
    filters = ElderFilters(
        region=data.get("region", ""),
        group=data.get("group", ""),
        status=data.get("status", ""),
        age_band=data.get("age_band", ""),
        q="" if refused else q,
        # A token this session does not know (expired, or someone else's link) finds nobody; so does a
        # whole number in the URL, which is not searched for.
        number=number.key if number else ("none:" if token or refused else ""),
    )
    return _Listing(form=form, filters=filters, number=number, expired=bool(token) and number is None, refused=refused)


def _search_url(request: HttpRequest) -> str:
    """Where the search form's POST goes next: the list with the filters, a whole number only as a token."""
    form = ElderFilterForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    params = {name: data[name] for name in ("region", "group", "status", "age_band") if data.get(name)}
    q = data.get("q", "").strip()
    if q:
        search = number_search(q)
        if search is not None:
            params["find"] = _remember(request, search)
        else:
            params["q"] = q
    return f"{reverse('elders:list')}?{urlencode(params)}" if params else reverse("elders:list")


@require_http_methods(["GET", "POST"])
def elder_list_view(request: HttpRequest) -> HttpResponse:
    """The registry list. The search form POSTs and is redirected back here (PRG), so that a whole ID or
    phone number is never part of a URL, a browser's history or an access log."""
    actor = _user(request)
    require_permission(actor, Permission.VIEW_ELDERS)
    if request.method == "POST":
        return redirect(_search_url(request))
    listing = _listing(request)
    if listing.refused:
        # A whole number typed into the URL: not searched, and sent away so that no link repeats it.
        messages.error(request, _("为保护个人信息，身份证号和电话号码不能放在网址中：请在查找框中输入后点“筛选”。"))
        rest = _query_without(request, "q")
        return redirect(f"{reverse('elders:list')}?{rest}" if rest else reverse("elders:list"))
    elders = filter_elders(actor, listing.filters).select_related("region").prefetch_related("groups")
    page = page_of(elders, page=page_number(request.GET))
    drill = region_drill(actor, listing.filters.region or None)
    return render(
        request,
        "elders/list.html",
        {
            "page": page,
            "filters": listing.form,
            "number_search": listing.number,
            "q_shown": listing.filters.q,  # a name searched for; a whole number is never shown back
            "number_expired": listing.expired,
            "query": _query_without(request),
            "drill": drill,
            "query_without_region": _query_without(request, "region"),
            "query_without_find": _query_without(request, "find"),
            "today": local_today(),
            "whole_birth": shows_birth_dates(actor),
            "can_edit": has_permission(actor.role, Permission.EDIT_ELDERS),
            "can_import": has_permission(actor.role, Permission.IMPORT_ELDERS),
            "can_export": has_permission(actor.role, Permission.EXPORT_ELDERS),
            "can_print": has_permission(actor.role, Permission.VIEW_FIGURES),
        },
    )


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in (*names, "page"):
        params.pop(name, None)
    return params.urlencode()


def elder_export_view(request: HttpRequest) -> HttpResponse:
    content, count = export_elders(actor=_user(request), filters=_listing(request).filters)
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    name = f"elders-{local_today():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Row-Count"] = str(count)
    return response


def _elder(request: HttpRequest, elder_id: int) -> Elder:
    return get_elder_for(_user(request), elder_id)


def elder_detail_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    return _detail(request, _elder(request, elder_id))


def _detail(request: HttpRequest, elder: Elder, revealed: dict[str, str] | None = None) -> HttpResponse:
    actor = _user(request)
    return render(
        request,
        "elders/detail.html",
        {
            "elder": elder,
            "today": local_today(),
            "groups": [g for g in elder.groups.all() if g.until is None],
            "timeline": timeline_of(actor, elder).select_related("actor")[:100],
            "status_changes": elder.status_changes.all(),
            "import_rows": elder.import_rows.select_related("batch")[:20],
            "conflicts": elder.import_conflicts.filter(outcome="").select_related("batch"),
            "can_edit": has_permission(actor.role, Permission.EDIT_ELDERS),
            "can_reveal": may_reveal(actor, elder),
            "whole_birth": may_reveal(actor, elder),
            "can_merge": has_permission(actor.role, Permission.MERGE_ELDERS),
            "can_record": records_visits(actor.role),
            "can_open_follow_up": has_permission(actor.role, Permission.MANAGE_FOLLOW_UPS),
            "status_form": StatusForm(initial={"status": elder.status, "since": local_today()}),
            "reveal_form": RevealForm(),
            "merge_form": MergeForm(),
            "revealed": revealed,
        },
    )


def _tables(request: HttpRequest, elder: Elder | None) -> dict[str, Any]:
    formsets = {}
    for key, title, formset_class, _cls, _first in TABLES:
        initial = _initial_rows(elder, key) if elder is not None else []
        formset = formset_class(request.POST or None, prefix=key, initial=initial)
        formset.title = title  # type: ignore[union-attr]
        formsets[key] = formset
    return formsets


def _initial_rows(elder: Elder, key: str) -> list[dict[str, Any]]:
    # Phones and member ID numbers are shown masked and kept when left unchanged.
    if key == "contacts":
        return [{"name": c.name, "relation": c.relation, "phone": c.phone_masked} for c in elder.contacts.all()]
    if key == "household":
        return [
            {
                "name": m.name,
                "sex": m.sex,
                "id_number": m.id_number_masked,
                "relation_to_head": m.relation_to_head,
                "health": m.health,
                "subsistence": m.subsistence,
            }
            for m in elder.household.all()
        ]
    if key == "supporters":
        return [
            {"name": s.name, "relation": s.relation, "phone": s.phone_masked, "lives_in": s.lives_in}
            for s in elder.supporters.all()
        ]
    if key == "benefits":
        return [{"kind": b.kind, "monthly_amount": b.monthly_amount} for b in elder.benefits.all()]
    return [
        {
            "unit_type": a.unit_type,
            "unit_name": a.unit_name,
            "responsible_person": a.responsible_person,
            "measures": a.measures,
        }
        for a in elder.assistance.all()
    ]


def _fill_tables(data: ElderInput, formsets: dict[str, Any], elder: Elder | None) -> None:
    for key, _title, _formset, cls, first in TABLES:
        rows = table_rows(formsets[key], cls, first)
        items = [item for _row, item in rows]
        if elder is not None:
            # a masked number keeps the stored number of the row it was shown in
            items = with_kept_numbers(elder, key, items, rows=[row for row, _item in rows])
        setattr(data, key, items)


def _render_form(request: HttpRequest, form: ElderForm, formsets: dict[str, Any], elder: Elder | None) -> HttpResponse:
    return render(request, "elders/form.html", {"form": form, "formsets": formsets, "editing": elder})


def _save_errors(form: ElderForm, error: ValidationFailed | DuplicateElder) -> None:
    if isinstance(error, ValidationFailed):
        form.add_service_errors(error)
    else:
        form.add_error("id_number", error.message)
        form.duplicate_id = error.elder_id  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
def elder_create_view(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    require_permission(actor, Permission.EDIT_ELDERS)
    form = ElderForm(request.POST or None, initial={"lives_at_registration": True})
    formsets = _tables(request, None)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        data = form.to_input()
        _fill_tables(data, formsets, None)
        try:
            elder = register_elder(actor=actor, data=data)
        except (ValidationFailed, DuplicateElder) as error:
            _save_errors(form, error)
        else:
            messages.success(request, _("已登记 %(name)s") % {"name": elder.name})
            return redirect("elders:detail", elder_id=elder.pk)
    return _render_form(request, form, formsets, None)


@require_http_methods(["GET", "POST"])
def elder_edit_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    actor = _user(request)
    elder = _elder(request, elder_id)
    require_permission(actor, Permission.EDIT_ELDERS)
    current = input_from_elder(elder)
    initial = {
        name: getattr(elder, name)
        for name in (
            "name",
            "address",
            "lives_at_registration",
            "registered_address",
            "disability_grade",
            "disability_type",
            "ability_score",
            "ability_level",
            "ability_assessed_on",
            "subsistence",
            "household_income",
            "willingness",
            "willingness_on",
            "willingness_recorded_by",
            "preferred_visit_method",
            "risk_level",
            "note",
        )
    } | {
        # Shown masked, kept unless a new number is typed (forms.KEPT_WHEN_MASKED).
        "id_number": elder.id_number_masked,
        "phone": elder.phone_masked,
        "phone2": elder.phone2_masked,
        "sex": elder.sex,
        "village_code": elder.region_id,
        "registered_region_code": elder.registered_region_id or "",
        "disability_certificate": elder.disability_certificate_masked,
        "groups": [g.group for g in elder.groups.all() if g.until is None],
        **{
            name: "" if getattr(elder, name) is None else ("1" if getattr(elder, name) else "0")
            for name in ("drinking_water_safe", "electricity_safe", "housing_safe")
        },
    }
    form = ElderForm(request.POST or None, initial=initial)
    formsets = _tables(request, elder)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        current.groups = [
            GroupInput(group=g.group, source=g.source, since=g.since) for g in elder.groups.all() if g.until is None
        ]
        data = form.to_input(current)
        _fill_tables(data, formsets, elder)
        try:
            update_elder(actor=actor, elder=elder, data=data)
        except (ValidationFailed, DuplicateElder) as error:
            _save_errors(form, error)
        else:
            messages.success(request, _("已保存"))
            return redirect("elders:detail", elder_id=elder.pk)
    return _render_form(request, form, formsets, elder)


@require_POST
def elder_status_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    elder = _elder(request, elder_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("elders:detail", elder_id=elder.pk)
    try:
        change_status(
            actor=_user(request),
            elder=elder,
            status=form.cleaned_data["status"],
            since=form.cleaned_data["since"],
            note=form.cleaned_data["note"],
        )
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("状态已变更"))
    return redirect("elders:detail", elder_id=elder.pk)


@require_POST
def elder_reveal_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    elder = _elder(request, elder_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择字段并说明查看理由"))
        return redirect("elders:detail", elder_id=elder.pk)
    try:
        value = reveal(
            actor=_user(request), elder=elder, field=form.cleaned_data["field"], reason=form.cleaned_data["reason"]
        )
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        # Shown in this answer only: the full value is stored nowhere else.
        label = dict(form.fields["field"].choices)[form.cleaned_data["field"]]  # type: ignore[attr-defined]
        return _detail(request, elder, {"label": str(label), "value": value})
    return redirect("elders:detail", elder_id=elder.pk)


@require_POST
def elder_merge_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    actor = _user(request)
    elder = _elder(request, elder_id)
    require_permission(actor, Permission.MERGE_ELDERS)  # refused as a whole, before the form is read
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写重复记录的编号和合并理由"))
        return redirect("elders:detail", elder_id=elder.pk)
    try:
        duplicate = get_elder_for(actor, form.cleaned_data["duplicate_id"])
        merge_elders(actor=actor, keep=elder, duplicate=duplicate, reason=form.cleaned_data["reason"])
    except NotFound:
        messages.error(request, _("未找到要合并的记录"))  # the duplicate named in the form: say so on this page
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已将记录 %(id)s 合并到本记录") % {"id": duplicate.pk})
    return redirect("elders:detail", elder_id=elder.pk)
