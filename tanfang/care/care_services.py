"""Care services (关爱服务, section 6 of the record form): who may record one for which elder, recording
it, and every scoped read.

A care service is numbered per elder (第几次关爱服务) under a row lock on the elder, as visits are. It
carries the server's drawn signature or an uploaded seal image, and the elder's satisfaction on five
levels. Linked to a follow-up, it finishes that follow-up (`care.services.complete_follow_up`) in the
same transaction: both are stored, or neither. An API client's `client_id` stores it once however
often it is sent.

Who may record one for an elder: a role with Permission.RECORD_CARE that reads the elder's region
(village, township, county) or, for a visitor, is paired with the elder; and any staff account of a
provider that owns a live follow-up of the elder. Who sees them: the roles that read the elder's
region, its paired visitors, the provider's staff, and whoever recorded them.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.care.models import LIVE_STATES, CareService, FollowUp, FollowUpState, Provider, Satisfaction
from tanfang.care.selectors import follow_ups_visible_to
from tanfang.care.services import complete_follow_up
from tanfang.core import images
from tanfang.core.errors import FieldError, NotFound, ValidationFailed
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import local_today, now
from tanfang.elders.due_queue import queue_due_refresh
from tanfang.elders.models import Elder
from tanfang.regions.paths import path_prefixes
from tanfang.visitors.models import Pairing
from tanfang.visitors.selectors import is_paired
from tanfang.visits.models import Outcome, Visit

SIGNATURE_MAX_BYTES = 512 * 1024
SEAL_MAX_BYTES = 2 * 1024 * 1024
IMAGE_FORMATS = {"PNG", "JPEG"}
STATE_NAMES = dict(FollowUpState.choices)


# --- who may record, who sees --------------------------------------------------------------------


def _paired_elder_ids(actor: Actor) -> QuerySet[Pairing, Any]:
    """The elders the actor's own active visitor profile is paired with now: the queryset form of
    `visitors.selectors.own_visitors` (the same conditions), for use inside one query."""
    return Pairing.objects.filter(visitor__user_id=actor.pk, visitor__active=True, ended_on__isnull=True).values(
        "elder_id"
    )


def _served_elder_ids(actor: Actor) -> QuerySet[FollowUp, Any]:
    """Elders with a live follow-up owned by a provider the actor works for."""
    return FollowUp.objects.filter(state__in=LIVE_STATES, owner_provider__staff__id=actor.pk).values("elder_id")


def elders_for_care(actor: Actor) -> QuerySet[Elder]:
    """The elders the actor may record care services for (see the module's docstring); none for
    anyone else, and never an elder merged into another."""
    if not actor.is_active:
        return Elder.objects.none()
    condition = Q(pk__in=_served_elder_ids(actor))
    if has_permission(actor.role, Permission.RECORD_CARE):
        condition |= Q(pk__in=_paired_elder_ids(actor))
        if has_permission(actor.role, Permission.VIEW_ELDERS):
            condition |= scope_of(actor).q("region_path")
    return Elder.objects.filter(condition, merged_into__isnull=True)


def get_elder_for_care(actor: Actor, elder_id: int) -> Elder:
    """The elder, when the actor may record a care service for it; NotFound otherwise, as for a missing one."""
    try:
        return elders_for_care(actor).select_related("region").get(pk=elder_id)
    except Elder.DoesNotExist:
        raise NotFound() from None


def may_record_care(actor: Actor, elder: Elder) -> bool:
    return elders_for_care(actor).filter(pk=elder.pk).exists()


def may_see_care_services(actor: Actor) -> bool:
    """Whether the actor reads care services at all: a registry role, a role that records them, or a
    provider's staff account. The administrators do not."""
    if not actor.is_active:
        return False
    return (
        has_permission(actor.role, Permission.VIEW_ELDERS)
        or has_permission(actor.role, Permission.RECORD_CARE)
        or Provider.objects.filter(staff__id=actor.pk).exists()
    )


def care_services_visible_to(actor: Actor) -> QuerySet[CareService]:
    """Care services of elders in the actor's regions (registry roles), of its paired elders, of the
    providers it works for, of follow-ups it owns, and those it recorded. Nothing for anyone else."""
    if not actor.is_active:
        return CareService.objects.none()
    condition = (
        Q(recorded_by_id=actor.pk)
        | Q(provider__staff__id=actor.pk)
        | Q(follow_up__owner_user_id=actor.pk)
        | Q(elder_id__in=_paired_elder_ids(actor))
    )
    if has_permission(actor.role, Permission.VIEW_ELDERS):
        condition |= scope_of(actor).q("region_path")
    return CareService.objects.filter(pk__in=CareService.objects.filter(condition).values("pk"))


def get_care_service_for(actor: Actor, care_service_id: int) -> CareService:
    """A care service the actor sees; NotFound for missing and out-of-sight alike."""
    try:
        return (
            care_services_visible_to(actor)
            .select_related("elder", "elder__region", "follow_up", "provider", "recorded_by")
            .get(pk=care_service_id)
        )
    except CareService.DoesNotExist:
        raise NotFound() from None


def may_see_elder_services(actor: Actor, elder: Elder) -> bool:
    """Whether the actor sees an elder's care-service history: it reads the elder's region, or is
    paired with the elder, or may record care for it."""
    if not actor.is_active:
        return False
    reads = has_permission(actor.role, Permission.VIEW_ELDERS) and scope_of(actor).contains(elder.region_path)
    return reads or is_paired(actor, elder.pk) or may_record_care(actor, elder)


def get_elder_for_services(actor: Actor, elder_id: int) -> Elder:
    """The elder whose care services the actor may list (`may_see_elder_services`); NotFound otherwise."""
    elder = Elder.objects.select_related("region").filter(pk=elder_id, merged_into__isnull=True).first()
    if elder is None or not may_see_elder_services(actor, elder):
        raise NotFound()
    return elder


@dataclass(frozen=True)
class CareServiceFilters:
    elder_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def care_service_list(actor: Actor, filters: CareServiceFilters) -> QuerySet[CareService]:
    """The care services the actor sees, newest first, filtered by elder and service dates (inclusive)."""
    rows = care_services_visible_to(actor).select_related("elder", "elder__region", "provider")
    if filters.elder_id is not None:
        rows = rows.filter(elder_id=filters.elder_id)
    if filters.since is not None:
        rows = rows.filter(served_on__gte=filters.since)
    if filters.until is not None:
        rows = rows.filter(served_on__lte=filters.until)
    return rows.order_by("-served_on", "-number", "-pk")


def services_of_elder(actor: Actor, elder: Elder) -> QuerySet[CareService]:
    """An elder's care services, newest first: all of them for whoever may see the elder's history."""
    if not may_see_elder_services(actor, elder):
        return CareService.objects.none()
    return CareService.objects.filter(elder=elder).select_related("provider", "follow_up").order_by("-number")


def live_follow_ups_for_care(actor: Actor, elder: Elder) -> QuerySet[FollowUp]:
    """The elder's live follow-ups the actor sees: what a care service may close."""
    return follow_ups_visible_to(actor).filter(elder=elder, state__in=LIVE_STATES).order_by("deadline", "pk")


def providers_serving(elder: Elder) -> QuerySet[Provider]:
    """Active providers whose area holds the elder's village (its region or any region above)."""
    return Provider.objects.filter(active=True, region_path__in=path_prefixes(elder.region_path)).order_by("name")


def care_services_since_visits_unscoped(visits: Sequence[Visit]) -> dict[int, list[CareService]]:
    """For each visit, its elder's care services from the visit's day until the next counted visit (a
    visit made and not rejected) on a later day, by number: section 6 of that visit's form.

    Unscoped: the caller has already been allowed to see these visits, and so the elders' services.
    """
    if not visits:
        return {}
    elder_ids = {v.elder_id for v in visits}
    first = min(v.day for v in visits)
    days: dict[int, list[dt.date]] = defaultdict(list)
    for elder_id, day in (
        Visit.objects.filter(elder_id__in=elder_ids, day__gt=first, outcome=Outcome.VISITED, rejected=False)
        .values_list("elder_id", "day")
        .order_by("day")
    ):
        days[elder_id].append(day)
    services: dict[int, list[CareService]] = defaultdict(list)
    for service in CareService.objects.filter(elder_id__in=elder_ids, served_on__gte=first).order_by("number"):
        services[service.elder_id].append(service)
    found: dict[int, list[CareService]] = {}
    for visit in visits:
        following = next((d for d in days[visit.elder_id] if d > visit.day), None)
        found[visit.pk] = [
            s
            for s in services[visit.elder_id]
            if s.served_on >= visit.day and (following is None or s.served_on < following)
        ]
    return found


# --- images ------------------------------------------------------------------------------------


def decode_image(value: str, *, field: str, limit: int) -> bytes:
    """The bytes of a data URL ("data:image/png;base64,…") or plain base64; ValidationFailed naming the
    field when it is not base64 or is larger than `limit`."""
    text = images.DATA_URL.sub("", value.strip(), count=1)
    if len(text) * 3 // 4 > limit + 3:
        raise ValidationFailed(errors=[FieldError(field, _too_large(field, limit))])
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            errors=[FieldError(field, _("%(what)s无法解码（应为 base64）") % {"what": _what(field)})]
        ) from None


def _what(field: str) -> str:
    return _("服务人员签名") if field == "server_signature" else _("印章图片")


def _too_large(field: str, limit: int) -> str:
    return _("%(what)s不能超过%(kb)sKB") % {"what": _what(field), "kb": limit // 1024}


def _image_error(content: bytes, *, field: str, limit: int) -> str | None:
    """Why these bytes are not a PNG or JPEG image we take (None when they are), by `core.images`:
    headers and pixels both, so a file cut off in transfer is refused too."""
    if len(content) > limit:
        return _too_large(field, limit)
    try:
        images.check_image(content, limit=limit, formats=IMAGE_FORMATS)
    except images.BadImage:
        return _("%(what)s不是有效的PNG或JPEG图片") % {"what": _what(field)}
    return None


# --- recording ---------------------------------------------------------------------------------


@dataclass
class CareServiceInput:
    """A care service as the page or the API sends it, images decoded to bytes. `unreadable`: what the
    interface could not read (an image that is not base64, a date that is no date), reported with the
    other errors once the elder is known to be within reach."""

    served_on: dt.date | None
    content: str
    server_name: str
    satisfaction: str
    remarks: str = ""
    follow_up_id: int | None = None
    provider_id: int | None = None
    server_signature: bytes | None = None
    seal: bytes | None = None
    client_id: uuid.UUID | None = None
    unreadable: list[FieldError] = field(default_factory=list)


def satisfaction_error() -> str:
    return _("请选择老年人满意度：%(levels)s") % {"levels": "、".join(str(label) for _v, label in Satisfaction.choices)}


def _check(
    actor: Actor, elder: Elder, data: CareServiceInput
) -> tuple[list[FieldError], FollowUp | None, Provider | None]:
    errors: list[FieldError] = list(data.unreadable)
    unreadable = {e.field for e in errors}
    day = data.served_on
    if day is None and "served_on" not in unreadable:
        errors.append(FieldError("served_on", _("请填写服务日期")))
    elif day is not None and day > local_today():
        errors.append(FieldError("served_on", _("服务日期不能晚于今天")))
    elif day is not None and day < elder.registered_on:
        errors.append(FieldError("served_on", _("服务日期不能早于老人的登记日期")))
    # PostgreSQL keeps no NUL in text, and nobody means one: dropped rather than failing the write.
    data.content = data.content.replace("\x00", "").strip()
    if not data.content:
        errors.append(FieldError("content", _("请填写关爱服务情况（做了什么）")))
    elif len(data.content) > 2000:
        errors.append(FieldError("content", _("关爱服务情况不能超过2000个字")))
    data.server_name = data.server_name.replace("\x00", "").strip()
    if not data.server_name:
        errors.append(FieldError("server_name", _("请填写服务人员姓名")))
    elif len(data.server_name) > 50:
        errors.append(FieldError("server_name", _("服务人员姓名不能超过50个字")))
    if data.satisfaction not in Satisfaction.values:
        errors.append(FieldError("satisfaction", satisfaction_error()))
    data.remarks = data.remarks.replace("\x00", "").strip()
    if len(data.remarks) > 300:
        errors.append(FieldError("remarks", _("备注不能超过300个字")))
    if not data.server_signature and not data.seal and not unreadable & {"server_signature", "seal"}:
        errors.append(FieldError("server_signature", _("请服务人员签字，或上传服务机构的印章图片")))
    if data.server_signature and (
        message := _image_error(data.server_signature, field="server_signature", limit=SIGNATURE_MAX_BYTES)
    ):
        errors.append(FieldError("server_signature", message))
    if data.seal and (message := _image_error(data.seal, field="seal", limit=SEAL_MAX_BYTES)):
        errors.append(FieldError("seal", message))
    follow_up = None
    if data.follow_up_id is not None:
        follow_up = follow_ups_visible_to(actor).filter(pk=data.follow_up_id, elder_id=elder.pk).first()
        if follow_up is None:
            errors.append(FieldError("follow_up_id", _("没有找到这位老人的这条跟进事项")))
        elif follow_up.state not in LIVE_STATES:
            errors.append(
                FieldError(
                    "follow_up_id",
                    _("这条跟进事项当前为“%(state)s”，不能再以关爱服务办结")
                    % {"state": STATE_NAMES.get(follow_up.state, follow_up.state)},
                )
            )
    provider = None
    if data.provider_id is not None:
        provider = providers_serving(elder).filter(pk=data.provider_id).first()
        if provider is None:
            errors.append(FieldError("provider_id", _("这家服务机构不在老人所在区域服务，或已停用")))
    elif follow_up is not None and follow_up.owner_provider_id:
        provider = Provider.objects.filter(pk=follow_up.owner_provider_id).first()
    return errors, follow_up, provider


def record_care_service(*, actor: Actor, elder_id: int, data: CareServiceInput) -> tuple[CareService, bool]:
    """Record a care service for an elder; returns (service, created).

    NotFound when the actor may not record care for the elder (`elders_for_care`), as for a missing
    one. ValidationFailed, in Chinese, naming each wrong field: no date or a future one, no content or
    server, a satisfaction outside the five levels, neither a signature nor a seal, an image that is
    not a PNG or JPEG (or too large), a follow-up that is not the elder's or no longer live, a
    provider not serving the elder. With a follow-up, `complete_follow_up` finishes it in the same
    transaction and may refuse too (someone neither its owner nor a manager). A `client_id` sent again
    answers the service stored the first time (created False); one used for another elder is refused.
    Audited (CARE_SERVICE_RECORDED).
    """
    if data.client_id is not None:
        # The recorder's own replay answers the first one, even once its follow-up is done and the
        # elder out of its reach (a provider's staff member).
        own = CareService.objects.filter(client_id=data.client_id, recorded_by_id=actor.pk).first()
        if own is not None:
            return _replayed(own, elder_id), False
    elder = get_elder_for_care(actor, elder_id)
    if data.client_id is not None:
        existing = CareService.objects.filter(client_id=data.client_id).first()
        if existing is not None:
            return _replayed(existing, elder.pk), False
    errors, follow_up, provider = _check(actor, elder, data)
    if errors:
        raise ValidationFailed(errors=errors)
    assert data.served_on is not None
    try:
        with transaction.atomic():
            locked = Elder.objects.select_for_update().get(pk=elder.pk)
            if data.client_id is not None:
                existing = CareService.objects.filter(client_id=data.client_id).first()
                if existing is not None:  # the same record sent twice at once: the other one stored it
                    return _replayed(existing, elder.pk), False
            top = CareService.objects.filter(elder=locked).aggregate(top=Max("number"))["top"] or 0
            service = CareService.objects.create(
                elder=locked,
                region_id=locked.region_id,
                region_path=locked.region_path,
                number=top + 1,
                follow_up=follow_up,
                provider=provider,
                served_on=data.served_on,
                content=data.content,
                server_name=data.server_name,
                server_signature=data.server_signature or None,
                seal=data.seal or None,
                satisfaction=data.satisfaction,
                remarks=data.remarks,
                client_id=data.client_id,
                recorded_by_id=actor.pk,
                recorded_at=now(),
            )
            queue_due_refresh(elder_ids=[locked.pk])  # the month's figures count services and satisfaction
            if follow_up is not None:
                note = _("第%(n)s次关爱服务：%(content)s") % {"n": service.number, "content": data.content}
                complete_follow_up(actor=actor, follow_up_id=follow_up.pk, note=note[:300], care_service_id=service.pk)
            record_event(
                actor=actor,
                action=Action.CARE_SERVICE_RECORDED,
                subject=elder,
                region_path=elder.region_path,
                details={
                    "care_service": service.pk,
                    "number": service.number,
                    "served_on": data.served_on.isoformat(),
                    "follow_up": follow_up.pk if follow_up else None,
                    "provider": provider.pk if provider else None,
                    "satisfaction": data.satisfaction,
                    "signed": bool(data.server_signature),
                    "sealed": bool(data.seal),
                },
            )
    except IntegrityError:
        # The same client_id stored for another elder meanwhile (the elder lock does not cover that).
        existing = CareService.objects.filter(client_id=data.client_id).first() if data.client_id else None
        if existing is None:
            raise
        return _replayed(existing, elder.pk), False
    return service, True


def _replayed(existing: CareService, elder_id: int) -> CareService:
    if existing.elder_id != elder_id:
        raise ValidationFailed(errors=[FieldError("client_id", _("该记录编号已用于其他老人"))])
    return existing


# --- printing support -----------------------------------------------------------------------------


def satisfaction_boxes(value: str) -> list[tuple[bool, str]]:
    """The five levels, each with whether it is the one chosen: how the paper form shows a rating."""
    return [(code == value, str(label)) for code, label in Satisfaction.choices]
