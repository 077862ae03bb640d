"""Visit record pages: the phone-first recording form, a record, an elder's history, printing, review."""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tanfang.accounts.models import User
from tanfang.core import images
from tanfang.core.errors import DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed
from tanfang.core.id_numbers import Sex
from tanfang.core.paging import page_number, page_of
from tanfang.core.roles import Permission, has_permission
from tanfang.core.time import LOCAL_TZ, local_today, now
from tanfang.elders.inputs import AssistanceInput, ContactInput, MemberInput
from tanfang.elders.models import Elder, HelpingUnit
from tanfang.elders.personal_data import may_reveal
from tanfang.elders.services import assistance_inputs, contact_inputs, household_inputs
from tanfang.records import printing
from tanfang.records.formdefs import describe
from tanfang.records.models import ReviewState
from tanfang.records.selectors import (
    elder_for_visits,
    elder_to_record,
    get_photo_for,
    get_record_for_review,
    get_visit_for,
    last_record,
    may_record,
    may_review,
    review_queue,
    visits_of_elder,
)
from tanfang.records.services import Checkin, RecordInput, review_record, submit_record, template_for
from tanfang.records.verification import flag_message
from tanfang.visitors.selectors import is_paired
from tanfang.visits.models import Method, Outcome

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _elder(request: HttpRequest, elder_id: int) -> Elder:
    return elder_for_visits(_user(request), elder_id)


def _items(template: Any, answers: dict[str, Any], last: dict[str, Any]) -> list[dict[str, Any]]:
    """The template's sections for the page: each item with what was given and last time's answer."""
    sections = []
    for section in template.form.sections:
        sections.append(
            {
                "code": section.code,
                "title": section.heading(),
                "items": [
                    {
                        "item": item,
                        "given": answers.get(item.code) or {},
                        "text": describe(item, answers.get(item.code)),
                        "last": describe(item, last.get(item.code)),
                        "previous": last.get(item.code) or {},  # for 全部无变化: last time's answer as given
                        "details": {o.detail for o in item.options if o.detail},
                    }
                    for item in section.items
                ],
            }
        )
    return sections


def _bool_or_none(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def _corrections(post: Any, elder: Elder) -> dict[str, Any]:
    """The registry fields the visitor changed on the page; untouched fields are not sent."""
    changes: dict[str, Any] = {}
    address = post.get("fix_address", "").strip()
    if address and address != elder.address:
        changes["address"] = address
    for name in ("drinking_water_safe", "electricity_safe", "housing_safe"):
        value = post.get(f"fix_{name}", "")
        if value in ("yes", "no") and _bool_or_none(value) != getattr(elder, name):
            changes[name] = _bool_or_none(value)
    income = post.get("fix_household_income", "").strip()
    if income:
        try:
            changes["household_income"] = Decimal(income)
        except InvalidOperation:
            raise ValidationFailed(
                errors=[FieldError("corrections.household_income", _("家庭月收入应为数字"))]
            ) from None
    contact_name = post.get("fix_contact_name", "").strip()
    contact_phone = post.get("fix_contact_phone", "").strip()
    if contact_name or contact_phone:
        first = ContactInput(contact_name, post.get("fix_contact_relation", "").strip(), contact_phone)
        changes["contacts"] = [first, *contact_inputs(elder)[1:]]  # the others stay as they are
    household = _household(post, elder)
    if household is not None:
        changes["household"] = household
    assistance = _assistance(post, elder)
    if assistance is not None:
        changes["assistance"] = assistance
    return changes


NEW_ROWS = 2  # blank rows offered for people or helpers the registry does not have yet


def _household(post: Any, elder: Elder) -> list[MemberInput] | None:
    """The household table as edited on the page (rows kept, changed, removed, added), or None when
    nothing changed. Rows keep what the page does not show, ID numbers in full."""
    before = household_inputs(elder)
    after = []
    for index, member in enumerate(before):
        if post.get(f"hh-{index}-remove"):
            continue
        after.append(
            replace(
                member,
                name=post.get(f"hh-{index}-name", "").strip() or member.name,
                relation_to_head=post.get(f"hh-{index}-relation", "").strip() or member.relation_to_head,
                health=post.get(f"hh-{index}-health", member.health).strip(),
            )
        )
    for index in range(NEW_ROWS):
        name = post.get(f"hh-new{index}-name", "").strip()
        if name:
            after.append(
                MemberInput(
                    name=name,
                    relation_to_head=post.get(f"hh-new{index}-relation", "").strip(),
                    sex=post.get(f"hh-new{index}-sex", ""),
                    health=post.get(f"hh-new{index}-health", "").strip(),
                )
            )
    return after if after != before else None


def _assistance(post: Any, elder: Elder) -> list[AssistanceInput] | None:
    """The assistance rows as edited on the page, or None when nothing changed."""
    before = assistance_inputs(elder)
    after = []
    for index, row in enumerate(before):
        if post.get(f"as-{index}-remove"):
            continue
        after.append(
            AssistanceInput(
                unit_type=post.get(f"as-{index}-unit_type", "") or row.unit_type,
                unit_name=post.get(f"as-{index}-unit_name", row.unit_name).strip(),
                responsible_person=post.get(f"as-{index}-responsible_person", row.responsible_person).strip(),
                measures=post.get(f"as-{index}-measures", row.measures).strip(),
            )
        )
    for index in range(NEW_ROWS):
        unit_type = post.get(f"as-new{index}-unit_type", "")
        if unit_type:
            after.append(
                AssistanceInput(
                    unit_type=unit_type,
                    unit_name=post.get(f"as-new{index}-unit_name", "").strip(),
                    responsible_person=post.get(f"as-new{index}-responsible_person", "").strip(),
                    measures=post.get(f"as-new{index}-measures", "").strip(),
                )
            )
    return after if after != before else None


def _data_url(value: str, name: str, errors: list[FieldError]) -> bytes | None:
    if not value:
        return None
    try:
        return images.decode_base64(value, limit=images.MAX_SIGNATURE_BYTES)
    except images.BadImage as error:
        errors.append(FieldError(name, str(error)))
        return None


def _moment(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)


def _float(value: str) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _input_from_post(request: HttpRequest, elder: Elder, template: Any) -> RecordInput:
    post = request.POST
    errors: list[FieldError] = []
    answers: dict[str, Any] = {}
    for item in template.form.items:
        if item.kind == "text":
            text = post.get(f"a-{item.code}-text", "").strip()
            if text:
                answers[item.code] = {"text": text}
            continue
        if item.kind == "multi":  # any number of boxes ticked, each its own value under the item's name
            chosen = [code for code in post.getlist(f"a-{item.code}") if code]
            if chosen:
                answers[item.code] = {"options": chosen}
            continue
        option = post.get(f"a-{item.code}", "")
        if not option:
            continue
        answer: dict[str, Any] = {"option": option}
        chosen = item.option(option)
        if chosen is not None and chosen.detail == "count":
            answer["count"] = post.get(f"a-{item.code}-count", "").strip()
        elif chosen is not None and chosen.detail == "text":
            answer["text"] = post.get(f"a-{item.code}-text", "")
        answers[item.code] = answer
    occurred = _moment(post.get("occurred_at", ""))
    if occurred is None:
        errors.append(FieldError("occurred_at", _("请填写探访时间")))
    try:
        client_id = uuid.UUID(post.get("client_id", ""))
    except ValueError:
        errors.append(FieldError("client_id", _("记录编号无效，请刷新页面")))
        client_id = uuid.uuid4()
    photos = []
    for index, upload in enumerate(request.FILES.getlist("photos"), start=1):
        if upload.size and upload.size > images.MAX_PHOTO_BYTES:
            errors.append(FieldError(f"photos.{index}", _("第%(n)s张照片：图片不能超过8MB") % {"n": index}))
            continue
        photos.append(upload.read())
    visitor_sig = _data_url(post.get("visitor_signature", ""), "visitor_signature", errors)
    elder_sig = _data_url(post.get("elder_signature", ""), "elder_signature", errors)
    entry_sig = _data_url(post.get("entry_signature", ""), "entry_signature", errors)
    corrections: dict[str, Any] = {}
    try:
        corrections = _corrections(post, elder)
    except ValidationFailed as error:
        errors.extend(error.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    assert occurred is not None
    minutes = post.get("minutes", "").strip()
    return RecordInput(
        client_id=client_id,
        method=post.get("method", ""),
        outcome=post.get("outcome", Outcome.VISITED),
        occurred_at=occurred,
        answers=answers,
        note=post.get("note", ""),
        minutes=int(minutes) if minutes.isdigit() else None,
        checkin=Checkin(
            at=_moment(post.get("checkin_at", "")),
            latitude=_float(post.get("latitude", "")),
            longitude=_float(post.get("longitude", "")),
            accuracy_m=int(float(post["accuracy"])) if _float(post.get("accuracy", "")) is not None else None,
        ),
        visitor_signature=visitor_sig,
        elder_signature=elder_sig,
        elder_unsigned_reason=post.get("elder_unsigned_reason", ""),
        entered_by_name=post.get("entered_by_name", ""),
        entry_signature=entry_sig,
        photos=photos,
        registry_confirmed=post.get("registry_confirmed") == "on",
        corrections=corrections,
        set_home_location=post.get("set_home_location") == "on",
    )


@require_http_methods(["GET", "POST"])
def new_visit(request: HttpRequest, elder_id: int) -> HttpResponse:
    """Record a visit on a phone: every item of the form, last time's answers beside them."""
    elder = elder_to_record(_user(request), elder_id)
    template = template_for(elder.region_path)
    previous = last_record(elder)
    errors: list[FieldError] = []
    answers: dict[str, Any] = {}
    if request.method == "POST":
        try:
            data = _input_from_post(request, elder, template)
            visit, created = submit_record(actor=_user(request), elder=elder, data=data)
        except PermissionDenied as error:
            errors = [FieldError("", error.message)]
        except ValidationFailed as error:
            errors = error.errors
        else:
            if created:
                messages.success(request, _("探访记录已保存"))
            else:
                messages.info(request, _("这条记录之前已经保存过，未重复保存"))
            return redirect(f"/records/visits/{visit.pk}/?saved={elder.pk}")
        answers = {
            code: {"option": request.POST.get(f"a-{code}", ""), "count": request.POST.get(f"a-{code}-count", ""),
                   "text": request.POST.get(f"a-{code}-text", ""), "options": request.POST.getlist(f"a-{code}")}
            for code in (i.code for i in template.form.items)
        }  # fmt: skip
    user = _user(request)
    own_visit = is_paired(user, elder.pk)
    contact = elder.contacts.order_by("position").first()
    return render(
        request,
        "records/new.html",
        {
            "elder": elder,
            "template": template,
            "sections": _items(template, answers, previous.answers if previous else {}),
            "previous": previous,
            "methods": Method.choices,
            "outcomes": Outcome.choices,
            "client_id": request.POST.get("client_id") or uuid.uuid4(),
            "now": now().astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M"),
            "errors": errors,
            "error_fields": {e.field for e in errors},
            "post": request.POST,
            "contact": contact,
            "members": list(elder.household.order_by("position")),
            "assistance": list(elder.assistance.order_by("pk")),
            "unit_types": HelpingUnit.choices,
            "sexes": Sex.choices,
            "new_rows": range(NEW_ROWS),
            "needs_entry": not own_visit,
        },
        status=422 if errors else 200,
    )


def photo_small(request: HttpRequest, photo_id: int) -> HttpResponse:
    """A visit's photo in reduced size, for whoever may see the visit; never cached where others could read it."""
    photo = get_photo_for(_user(request), photo_id)
    with photo.image.open("rb") as stored:
        content = images.reduced(stored.read())
    response = HttpResponse(content, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response


def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = get_visit_for(_user(request), visit_id)
    record = getattr(visit, "record", None)
    sections = _items(record.template, record.answers, {}) if record else []
    return render(
        request,
        "records/detail.html",
        {
            "visit": visit,
            "record": record,
            "sections": sections,
            "flags": [flag_message(f) for f in (record.flags if record else [])],
            "signatures": {
                name: _inline(getattr(record, f"{name}_signature", None)) if record else ""
                for name in ("visitor", "elder", "entry")
            },
            "photos": list(visit.photos.order_by("pk").values_list("pk", flat=True)),
            "saved_elder": request.GET.get("saved", ""),
            # Just saved by someone with a work list: the way back to it comes first (the next elder).
            "back_to_worklist": bool(request.GET.get("saved"))
            and has_permission(_user(request).role, Permission.VISIT),
            "can_review": record is not None and _can_review(request, record),
            "can_reveal": may_reveal(_user(request), visit.elder),
            "review_states": [s for s in ReviewState.choices if s[0] not in ("", ReviewState.PENDING)],
            "methods": Method.choices,
        },
    )


def _can_review(request: HttpRequest, record: Any) -> bool:
    return may_review(_user(request), record)


def _inline(content: Any) -> str:
    if not content:
        return ""
    data = bytes(content)
    kind = "png" if data.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


def elder_visits(request: HttpRequest, elder_id: int) -> HttpResponse:
    elder = _elder(request, elder_id)
    page = page_of(visits_of_elder(elder), page=page_number(request.GET), page_size=20)
    can_record = may_record(_user(request))
    contact = elder.contacts.order_by("position").first()
    return render(
        request,
        "records/elder_visits.html",
        {"elder": elder, "page": page, "can_record": can_record, "contact": contact},
    )


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
def visit_form(request: HttpRequest, visit_id: int) -> HttpResponse:
    """A visit's printed form: masked for a GET; in full for a POST that says why (one print job)."""
    user = _user(request)
    visit = get_visit_for(user, visit_id)
    reason = request.POST.get("reason", "") if request.method == "POST" else None
    return _pdf(printing.print_visits(actor=user, visits=[visit], reason=reason), f"visit-{visit.pk}.pdf")


def _month(value: str) -> tuple[int, int]:
    match = MONTH.match(value)
    today = local_today()
    year, month = (int(match[1]), int(match[2])) if match else (today.year, today.month)
    if not 1 <= month <= 12:
        raise NotFound()
    return year, month


def village_print(request: HttpRequest, code: str) -> HttpResponse:
    """The page that prints a village's (or a township's) month: masked, or in full with a reason."""
    region = printing.region_for_month_print(_user(request), code)
    year, month = _month(request.GET.get("month", ""))
    return _print_page(request, region, year, month)


def _print_page(
    request: HttpRequest, region: Any, year: int, month: int, errors: list[FieldError] | None = None
) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "records/print.html",
        {
            "region": region,
            "month": f"{year:04d}-{month:02d}",
            "can_reveal": has_permission(user.role, Permission.REVEAL_PERSONAL_DATA),
            "limit": printing.MAX_PRINT_VISITS,
            "errors": errors or [],
            "reason": request.POST.get("reason", ""),
        },
        status=422 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
def village_forms(request: HttpRequest, code: str) -> HttpResponse:
    """A village's (or a township's) records of a month as one PDF, each in duplicate: masked for a GET,
    in full for a POST that says why. A township's month past the print bound is refused on the page."""
    user = _user(request)
    region = printing.region_for_month_print(user, code)
    params = request.POST if request.method == "POST" else request.GET
    year, month = _month(params.get("month", ""))
    reason = params.get("reason", "") if request.method == "POST" else None
    try:
        content = printing.print_month(actor=user, region=region, year=year, month=month, reason=reason)
    except ValidationFailed as error:
        return _print_page(request, region, year, month, errors=error.errors)
    return _pdf(content, f"forms-{code}-{year}-{month:02d}.pdf")


def review_list(request: HttpRequest) -> HttpResponse:
    if not has_permission(_user(request).role, Permission.REVIEW_VISITS):
        raise PermissionDenied()
    page = page_of(review_queue(_user(request)), page=page_number(request.GET), page_size=30)
    rows = [(r, [flag_message(f) for f in r.flags]) for r in page.items]
    return render(request, "records/review.html", {"page": page, "rows": rows})


@require_POST
def review(request: HttpRequest, visit_id: int) -> HttpResponse:
    record = get_record_for_review(_user(request), visit_id)
    try:
        review_record(
            actor=_user(request),
            record=record,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
            method=request.POST.get("method", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("records:detail", visit_id=visit_id)
    messages.success(request, _("审核结果已保存"))
    return redirect("records:review_list")
