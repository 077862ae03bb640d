"""Care-service pages: recording one on a phone (from a follow-up, or from an elder), a care service,
an elder's care services, and a care service printed on its own."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tanfang.accounts.models import User
from tanfang.care.care_services import (
    SEAL_MAX_BYTES,
    SIGNATURE_MAX_BYTES,
    CareServiceInput,
    decode_image,
    get_care_service_for,
    get_elder_for_care,
    get_elder_for_services,
    live_follow_ups_for_care,
    may_record_care,
    providers_serving,
    record_care_service,
    services_of_elder,
)
from tanfang.care.models import CareService, Satisfaction
from tanfang.care.printing import print_care_service
from tanfang.core.errors import FieldError, PermissionDenied, ValidationFailed
from tanfang.core.paging import page_number, page_of
from tanfang.core.time import local_today


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < len(value) < 12 else None


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def _input_from_post(request: HttpRequest) -> CareServiceInput:
    """The page's fields as the service's input: the drawn signature arrives as a data URL, the seal as
    an uploaded file; each too large or undecodable is named, for the service to report."""
    post = request.POST
    errors: list[FieldError] = []
    signature = None
    if post.get("server_signature", "").strip():
        try:
            signature = decode_image(post["server_signature"], field="server_signature", limit=SIGNATURE_MAX_BYTES)
        except ValidationFailed as error:
            errors.extend(error.errors)
    seal = None
    upload = request.FILES.get("seal")
    if upload is not None:
        if upload.size and upload.size > SEAL_MAX_BYTES:
            errors.append(FieldError("seal", _("印章图片不能超过%(kb)sKB") % {"kb": SEAL_MAX_BYTES // 1024}))
        else:
            seal = upload.read()
    if post.get("served_on", "").strip() and _day(post["served_on"]) is None:
        errors.append(FieldError("served_on", _("日期格式应为 YYYY-MM-DD")))
    try:
        client_id: uuid.UUID | None = uuid.UUID(post.get("client_id", ""))
    except ValueError:
        client_id = None
    return CareServiceInput(
        served_on=_day(post.get("served_on", "")),
        content=post.get("content", ""),
        server_name=post.get("server_name", ""),
        satisfaction=post.get("satisfaction", ""),
        remarks=post.get("remarks", ""),
        follow_up_id=_int(post.get("follow_up", "")),
        provider_id=_int(post.get("provider", "")),
        server_signature=signature,
        seal=seal,
        client_id=client_id,
        unreadable=errors,
    )


@require_http_methods(["GET", "POST"])
def service_new(request: HttpRequest, elder_id: int) -> HttpResponse:
    """Record a care service on a phone: what was done, the server signs (or a seal), the elder rates it."""
    actor = _user(request)
    elder = get_elder_for_care(actor, elder_id)
    errors: list[FieldError] = []
    if request.method == "POST":
        try:
            service, created = record_care_service(actor=actor, elder_id=elder.pk, data=_input_from_post(request))
        except ValidationFailed as error:
            errors = error.errors
        else:
            if created:
                messages.success(request, _("关爱服务已记录"))
            else:
                messages.info(request, _("这条关爱服务之前已经保存过，未重复保存"))
            if service.follow_up_id:
                return redirect("care:detail", service.follow_up_id)
            return redirect("care:service_detail", service.pk)
    values: dict[str, Any] = dict(request.POST.items()) if request.method == "POST" else {}
    if request.method == "GET":
        values["follow_up"] = request.GET.get("follow_up", "")
        values["server_name"] = actor.display_name or ""
    follow_ups = list(live_follow_ups_for_care(actor, elder)[:50])
    providers = list(providers_serving(elder)[:200])
    chosen = _int(str(values.get("follow_up", "")))
    follow_up = next((f for f in follow_ups if f.pk == chosen), None)
    if request.method == "GET" and follow_up is not None and follow_up.owner_provider_id:
        values["provider"] = str(follow_up.owner_provider_id)
    return render(
        request,
        "care/service_new.html",
        {
            "elder": elder,
            "values": values,
            "errors": errors,
            "error_fields": {e.field for e in errors},
            "follow_ups": follow_ups,
            "follow_up": follow_up,
            "providers": providers,
            "levels": Satisfaction.choices,
            "today": local_today().isoformat(),
            "client_id": values.get("client_id") or uuid.uuid4(),
        },
        status=422 if errors else 200,
    )


def _inline(content: Any) -> str:
    if not content:
        return ""
    data = bytes(content)
    kind = "png" if data.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


@require_GET
def service_detail(request: HttpRequest, care_service_id: int) -> HttpResponse:
    service: CareService = get_care_service_for(_user(request), care_service_id)
    return render(
        request,
        "care/service_detail.html",
        {"service": service, "signature": _inline(service.server_signature), "seal": _inline(service.seal)},
    )


@require_GET
def elder_services(request: HttpRequest, elder_id: int) -> HttpResponse:
    actor = _user(request)
    elder = get_elder_for_services(actor, elder_id)
    page = page_of(services_of_elder(actor, elder), page=page_number(request.GET), page_size=20)
    return render(
        request,
        "care/service_list.html",
        {"elder": elder, "page": page, "may_record": may_record_care(actor, elder)},
    )


@require_GET
def service_print(request: HttpRequest, care_service_id: int) -> HttpResponse:
    actor = _user(request)
    if not actor.is_active:
        raise PermissionDenied()
    content = print_care_service(actor=actor, care_service_id=care_service_id)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="care-service-{care_service_id}.pdf"'
    return response
