"""Writes to the registry. Each runs in one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import diff, record_event
from tanfang.core.crypto import field_cipher
from tanfang.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from tanfang.core.id_numbers import mask_id_number, mask_phone
from tanfang.core.roles import Permission, RegionLevel
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import local_today
from tanfang.elders.due_queue import alters_due, queue_due_refresh
from tanfang.elders.inputs import (
    AssistanceInput,
    ContactInput,
    ElderInput,
    MemberInput,
    apply_changes,
    check_elder_input,
    normalize_phone,
)
from tanfang.elders.models import (
    CERTIFICATE_CONTEXT,
    CONTACT_PHONE_CONTEXT,
    ID_NUMBER_CONTEXT,
    MEMBER_ID_CONTEXT,
    PHONE_CONTEXT,
    Assistance,
    Benefit,
    Elder,
    ElderGroup,
    EmergencyContact,
    HouseholdMember,
    Status,
    StatusChange,
    Supporter,
)
from tanfang.elders.personal_data import stored_value
from tanfang.regions.models import Region
from tanfang.regions.scoping import get_region_for, require_permission
from tanfang.regions.selectors import county_name_unscoped, find_region_unscoped

# Fields copied from the input as they are, with no encryption or lookup.
COPIED_FIELDS = (
    "disability_grade",
    "disability_type",
    "ability_score",
    "ability_level",
    "ability_assessed_on",
    "subsistence",
    "drinking_water_safe",
    "electricity_safe",
    "housing_safe",
    "household_income",
    "willingness",
    "willingness_on",
    "willingness_recorded_by",
    "preferred_visit_method",
    "risk_level",
    "note",
)
# The scalar fields an edit may change, in the order the audit shows them.
SCALAR_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "id_number_masked",
    "phone_masked",
    "phone2_masked",
    "region_id",
    "address",
    "lives_at_registration",
    "registered_region_id",
    "registered_address",
    "disability_certificate_masked",
    *COPIED_FIELDS,
)


class DuplicateElder(Conflict):
    """The ID number is registered already. `elder_id` is set only when the actor may see that record."""

    def __init__(self, message: str, elder_id: int | None) -> None:
        super().__init__(message)
        self.elder_id = elder_id


def id_number_index(number: str) -> str:
    return field_cipher().blind_index(number, context=ID_NUMBER_CONTEXT)


def phone_index(phone: str) -> str:
    return field_cipher().blind_index(normalize_phone(phone), context=PHONE_CONTEXT)


def _village_for(actor: Actor, code: str, field_name: str) -> Region:
    try:
        region = get_region_for(actor, code)
    except NotFound:
        region = None
    if region is None or region.level != RegionLevel.VILLAGE:
        raise ValidationFailed(errors=[FieldError(field_name, _("区划代码不存在、不是村（社区）或不在您的辖区内"))])
    return region


def duplicate_error(actor: Actor, existing: Elder) -> DuplicateElder:
    """Say the person is registered; outside the actor's scope, name only the county to contact."""
    if scope_of(actor).contains(existing.region_path):
        return DuplicateElder(
            _("该公民身份号码已登记：%(name)s（%(place)s）") % {"name": existing.name, "place": existing.region.name},
            existing.pk,
        )
    place = county_name_unscoped(existing.region_path) or _("其他地区")
    return DuplicateElder(
        _("此人已在其他地区登记（%(place)s），请联系该县（市、区）民政部门核实") % {"place": place}, None
    )


def _check(actor: Actor, data: ElderInput, *, today: dt.date) -> None:
    errors = check_elder_input(data, today=today)
    if errors:
        raise ValidationFailed(errors=errors)


def _apply_scalars(elder: Elder, data: ElderInput, actor: Actor, *, village: Region | None = None) -> None:
    cipher = field_cipher()
    citizen = data.citizen_id
    assert citizen is not None
    village = village or _village_for(actor, data.village_code, "village_code")
    elder.name = data.name
    elder.sex = str(citizen.sex)
    elder.birth_date = citizen.birth_date
    elder.id_number_cipher = cipher.encrypt(citizen.number, context=ID_NUMBER_CONTEXT)
    elder.id_number_index = cipher.blind_index(citizen.number, context=ID_NUMBER_CONTEXT)
    elder.id_number_masked = mask_id_number(citizen.number)
    for prefix, value in (("phone", data.phone), ("phone2", data.phone2)):
        if value:
            setattr(elder, f"{prefix}_cipher", cipher.encrypt(value, context=PHONE_CONTEXT))
            setattr(elder, f"{prefix}_index", cipher.blind_index(value, context=PHONE_CONTEXT))
            setattr(elder, f"{prefix}_masked", mask_phone(value))
        else:
            setattr(elder, f"{prefix}_cipher", None)
            setattr(elder, f"{prefix}_index", "")
            setattr(elder, f"{prefix}_masked", "")
    elder.region = village
    elder.region_path = village.path
    elder.address = data.address.strip()
    elder.lives_at_registration = data.lives_at_registration
    if data.lives_at_registration:
        elder.registered_region = None
    else:
        registered = find_region_unscoped(data.registered_region_code)  # registered anywhere in China
        if registered is None:
            raise ValidationFailed(errors=[FieldError("registered_region_code", _("户籍地区划代码不存在"))])
        elder.registered_region = registered
    elder.registered_address = data.registered_address.strip()
    if data.disability_certificate:
        elder.disability_certificate_cipher = cipher.encrypt(data.disability_certificate, context=CERTIFICATE_CONTEXT)
        elder.disability_certificate_masked = mask_id_number(data.disability_certificate)
    else:
        elder.disability_certificate_cipher = None
        elder.disability_certificate_masked = ""
    for name in COPIED_FIELDS:
        setattr(elder, name, getattr(data, name))


def _audit_snapshot(elder: Elder) -> dict[str, Any]:
    """What an audit event says of the record: masked numbers, the birth year alone (elders.disclosure).

    Audit entries are shown to roles that may not reveal (the record's history, the audit log), so they
    hold nothing a page may not show them: never a whole number or a whole birth date.
    """
    values = {f: getattr(elder, f) for f in SCALAR_FIELDS}
    values["birth_date"] = f"{elder.birth_date.year}-**-**" if elder.birth_date else None
    return values | _list_snapshot(elder)


def _number_keys(elder: Elder) -> dict[str, str]:
    """What tells whether a number changed when its mask did not (masks show 6 digits at most)."""
    return {
        "id_number_masked": elder.id_number_index,
        "phone_masked": elder.phone_index,
        "phone2_masked": elder.phone2_index,
        "disability_certificate_masked": stored_value(elder.disability_certificate_cipher, CERTIFICATE_CONTEXT),
    }


def _audited_changes(before: dict[str, Any], keys_before: dict[str, str], elder: Elder) -> dict[str, Any]:
    """Old → new of every changed field, masked; a number changed behind an unchanged mask is named too."""
    changes = diff(before, _audit_snapshot(elder))
    for name, key in _number_keys(elder).items():
        if key != keys_before[name] and name not in changes:
            changes[name] = {"old": before[name], "new": getattr(elder, name)}
    return dict(sorted(changes.items()))


def _list_snapshot(elder: Elder) -> dict[str, Any]:
    return {
        "groups": sorted(f"{g.group}/{g.source}" for g in elder.groups.all()),
        "contacts": [f"{c.name}/{c.relation}/{c.phone_masked}" for c in elder.contacts.all()],
        "supporters": [f"{s.name}/{s.relation}/{s.phone_masked}/{s.lives_in}" for s in elder.supporters.all()],
        "household": [f"{m.name}/{m.relation_to_head}/{m.health}/{m.subsistence}" for m in elder.household.all()],
        "benefits": [f"{b.kind}/{b.monthly_amount}" for b in elder.benefits.all()],
        "assistance": [f"{a.unit_type}/{a.unit_name}/{a.responsible_person}" for a in elder.assistance.all()],
    }


def _encrypted_phone(phone: str) -> tuple[bytes | None, str]:
    phone = normalize_phone(phone)
    if not phone:
        return None, ""
    return field_cipher().encrypt(phone, context=CONTACT_PHONE_CONTEXT), mask_phone(phone)


def _replace_lists(elder: Elder, data: ElderInput) -> None:
    """Replace each list the input carries; leave the ones it does not (None) as they are."""
    cipher = field_cipher()
    if data.groups is not None:
        wanted = {(g.group, g.source): g for g in data.groups}
        elder.groups.exclude(pk__in=[g.pk for g in elder.groups.all() if (g.group, g.source) in wanted]).delete()
        have = {(g.group, g.source) for g in elder.groups.all()}
        ElderGroup.objects.bulk_create(
            ElderGroup(elder=elder, group=g.group, source=g.source, since=g.since)
            for key, g in wanted.items()
            if key not in have
        )
    if data.contacts is not None:
        elder.contacts.all().delete()
        for position, contact in enumerate(data.contacts, start=1):
            phone_cipher, masked = _encrypted_phone(contact.phone)
            EmergencyContact.objects.create(
                elder=elder,
                position=position,
                name=contact.name.strip(),
                relation=contact.relation.strip(),
                phone_cipher=phone_cipher,
                phone_masked=masked,
            )
    if data.supporters is not None:
        elder.supporters.all().delete()
        for supporter in data.supporters:
            phone_cipher, masked = _encrypted_phone(supporter.phone)
            Supporter.objects.create(
                elder=elder,
                name=supporter.name.strip(),
                relation=supporter.relation.strip(),
                phone_cipher=phone_cipher,
                phone_masked=masked,
                lives_in=supporter.lives_in.strip(),
            )
    if data.household is not None:
        elder.household.all().delete()
        for position, member in enumerate(data.household, start=1):
            number = member.id_number.strip().upper()
            HouseholdMember.objects.create(
                elder=elder,
                position=position,
                name=member.name.strip(),
                sex=member.sex,
                id_number_cipher=cipher.encrypt(number, context=MEMBER_ID_CONTEXT) if number else None,
                id_number_masked=mask_id_number(number) if number else "",
                relation_to_head=member.relation_to_head.strip(),
                health=member.health.strip(),
                subsistence=member.subsistence,
            )
    if data.benefits is not None:
        elder.benefits.all().delete()
        Benefit.objects.bulk_create(
            Benefit(elder=elder, kind=b.kind, monthly_amount=b.monthly_amount or Decimal(0)) for b in data.benefits
        )
    if data.assistance is not None:
        elder.assistance.all().delete()
        Assistance.objects.bulk_create(
            Assistance(
                elder=elder,
                unit_type=a.unit_type,
                unit_name=a.unit_name.strip(),
                responsible_person=a.responsible_person.strip(),
                measures=a.measures.strip(),
            )
            for a in data.assistance
        )


def register_elder(*, actor: Actor, data: ElderInput) -> Elder:
    """Register a new elder. Raises ValidationFailed, or DuplicateElder for a known ID number."""
    require_permission(actor, Permission.EDIT_ELDERS)
    today = local_today()
    _check(actor, data, today=today)
    assert data.citizen_id is not None
    existing = Elder.objects.select_related("region").filter(id_number_index=id_number_index(data.id_number)).first()
    if existing is not None:
        raise duplicate_error(actor, existing)
    elder = Elder(registered_on=data.registered_on or today, status=Status.ACTIVE, status_since=today)
    _apply_scalars(elder, data, actor)
    try:
        with transaction.atomic():
            elder.save()
            _replace_lists(elder, data)
            StatusChange.objects.create(
                elder=elder, status=Status.ACTIVE, since=elder.registered_on, recorded_by=_user(actor)
            )
            queue_due_refresh(elder_ids=[elder.pk])
            record_event(
                actor=actor,
                action=Action.ELDER_CREATED,
                subject=elder,
                changes={
                    name: change
                    for name, change in diff({}, _audit_snapshot(elder)).items()
                    if change["new"] not in ("", None, [])
                },
            )
    except IntegrityError:
        # Someone registered the same number a moment ago.
        existing = Elder.objects.select_related("region").get(id_number_index=elder.id_number_index)
        raise duplicate_error(actor, existing) from None
    return elder


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


def update_elder(*, actor: Actor, elder: Elder, data: ElderInput) -> Elder:
    """Change an elder's record; the audit event holds every changed field, old → new."""
    require_permission(actor, Permission.EDIT_ELDERS)
    if not scope_of(actor).contains(elder.region_path) or elder.merged_into_id:
        raise NotFound()
    _check(actor, data, today=local_today())
    other = Elder.objects.select_related("region").filter(id_number_index=id_number_index(data.id_number))
    clash = other.exclude(pk=elder.pk).first()
    if clash is not None:
        raise duplicate_error(actor, clash)
    with transaction.atomic():
        locked = Elder.objects.select_for_update().get(pk=elder.pk)
        before, keys = _audit_snapshot(locked), _number_keys(locked)
        _apply_scalars(locked, data, actor)
        locked.save()
        _replace_lists(locked, data)
        changes = _audited_changes(before, keys, locked)
        if alters_due(changes):
            queue_due_refresh(elder_ids=[locked.pk])
        if changes:
            record_event(actor=actor, action=Action.ELDER_UPDATED, subject=locked, changes=changes)
    return locked


# What a visitor may correct during a visit: sections 1–4 of the record form, not who the elder is.
VISIT_CORRECTABLE = frozenset(
    {
        "phone",
        "phone2",
        "address",
        "lives_at_registration",
        "registered_address",
        "disability_certificate",
        "disability_grade",
        "disability_type",
        "subsistence",
        "drinking_water_safe",
        "electricity_safe",
        "housing_safe",
        "household_income",
        "contacts",
        "supporters",
        "household",
        "benefits",
        "assistance",
    }
)


def correct_from_visit(*, actor: Actor, elder: Elder, changes: dict[str, Any], visit_id: int) -> dict[str, Any]:
    """Write corrections made during a visit, with the visit as their source; return what changed.

    The caller has already checked that the actor may record this visit (a paired visitor needs no
    registry permission for this). Only VISIT_CORRECTABLE fields change; the village never does.
    Must run inside the caller's transaction, so a bad correction stores nothing of the visit either.
    """
    unknown = sorted(set(changes) - VISIT_CORRECTABLE)
    if unknown:
        raise ValidationFailed(errors=[FieldError(name, _("探访时不能更正此项")) for name in unknown])
    data = apply_changes(input_from_elder(elder), changes)
    _check(actor, data, today=local_today())
    locked = Elder.objects.select_for_update().get(pk=elder.pk)
    before, keys = _audit_snapshot(locked), _number_keys(locked)
    _apply_scalars(locked, data, actor, village=locked.region)
    locked.save()
    _replace_lists(locked, data)
    changed = _audited_changes(before, keys, locked)
    if alters_due(changed):
        queue_due_refresh(elder_ids=[locked.pk])
    if changed:
        record_event(
            actor=actor,
            action=Action.ELDER_UPDATED,
            subject=locked,
            changes=changed,
            details={"source": "visit", "visit": visit_id},
        )
    return changed


def change_status(*, actor: Actor, elder: Elder, status: str, since: dt.date, note: str = "") -> Elder:
    """Record a lifecycle change (away, hospitalised, moved out, deceased, back) from a date."""
    require_permission(actor, Permission.EDIT_ELDERS)
    if not scope_of(actor).contains(elder.region_path):
        raise NotFound()
    if status not in Status.values:
        raise ValidationFailed(errors=[FieldError("status", _("状态不是有效的选项"))])
    today = local_today()
    if since > today:
        raise ValidationFailed(errors=[FieldError("since", _("状态起始日期不能晚于今天"))])
    if since < elder.registered_on:
        raise ValidationFailed(errors=[FieldError("since", _("状态起始日期不能早于登记日期"))])
    if elder.status == Status.DECEASED:
        raise ValidationFailed(errors=[FieldError("status", _("已故人员的状态不能再变更"))])
    with transaction.atomic():
        locked = Elder.objects.select_for_update().get(pk=elder.pk)
        old = {"status": locked.status, "status_since": locked.status_since}
        locked.status, locked.status_since = status, since
        locked.save(update_fields=["status", "status_since", "updated_at"])
        StatusChange.objects.create(elder=locked, status=status, since=since, note=note[:200], recorded_by=_user(actor))
        queue_due_refresh(elder_ids=[locked.pk])
        record_event(
            actor=actor,
            action=Action.ELDER_STATUS_CHANGED,
            subject=locked,
            changes=diff(old, {"status": status, "status_since": since}),
            details={"note": note[:200]} if note else None,
        )
    return locked


def merge_elders(*, actor: Actor, keep: Elder, duplicate: Elder, reason: str) -> Elder:
    """Fold a duplicate record into the one kept: its lists move over; it stays, marked merged."""
    require_permission(actor, Permission.MERGE_ELDERS)
    scope = scope_of(actor)
    if not scope.contains(keep.region_path) or not scope.contains(duplicate.region_path):
        raise NotFound()
    if keep.pk == duplicate.pk:
        raise ValidationFailed(errors=[FieldError("duplicate", _("不能与自身合并"))])
    if keep.merged_into_id or duplicate.merged_into_id:
        raise ValidationFailed(errors=[FieldError("duplicate", _("该记录已被合并过"))])
    if not (reason or "").strip():
        raise ValidationFailed(errors=[FieldError("reason", _("请说明合并理由"))])
    with transaction.atomic():
        keep = Elder.objects.select_for_update().get(pk=keep.pk)
        duplicate = Elder.objects.select_for_update().get(pk=duplicate.pk)
        have = {(g.group, g.source) for g in keep.groups.all()}
        for membership in duplicate.groups.all():
            if (membership.group, membership.source) in have:
                membership.delete()
            else:
                membership.elder = keep
                membership.save(update_fields=["elder"])
        next_position = keep.contacts.count()
        for contact in duplicate.contacts.all():
            next_position += 1
            contact.elder, contact.position = keep, next_position
            contact.save(update_fields=["elder", "position"])
        for model in (Supporter, HouseholdMember, Benefit, Assistance):
            model.objects.filter(elder=duplicate).update(elder=keep)
        duplicate.merged_into = keep
        duplicate.save(update_fields=["merged_into", "updated_at"])
        queue_due_refresh(elder_ids=[keep.pk, duplicate.pk])  # the kept one may have gained groups
        details = {"reason": reason.strip()[:200], "kept": keep.pk, "merged": duplicate.pk}
        record_event(actor=actor, action=Action.ELDERS_MERGED, subject=keep, details=details)
        record_event(
            actor=actor,
            action=Action.ELDERS_MERGED,
            subject=duplicate,
            changes={"merged_into": {"old": None, "new": keep.pk}},
            details=details,
        )
    return keep


def contact_inputs(elder: Elder) -> list[ContactInput]:
    """The elder's emergency contacts as input, phones in full: the base for replacing one of them."""
    return [
        ContactInput(name=c.name, relation=c.relation, phone=stored_value(c.phone_cipher, CONTACT_PHONE_CONTEXT))
        for c in elder.contacts.order_by("position")
    ]


def household_inputs(elder: Elder) -> list[MemberInput]:
    """The household table as input, ID numbers in full: the base for changing a row of it."""
    return [
        MemberInput(
            name=m.name,
            relation_to_head=m.relation_to_head,
            sex=m.sex,
            id_number=stored_value(m.id_number_cipher, MEMBER_ID_CONTEXT),
            health=m.health,
            subsistence=m.subsistence,
        )
        for m in elder.household.order_by("position")
    ]


def assistance_inputs(elder: Elder) -> list[AssistanceInput]:
    """The assistance the elder receives, as input: the base for changing a row of it."""
    return [
        AssistanceInput(
            unit_type=a.unit_type, unit_name=a.unit_name, responsible_person=a.responsible_person, measures=a.measures
        )
        for a in elder.assistance.order_by("pk")
    ]


def input_from_elder(elder: Elder) -> ElderInput:
    """The current record as input, lists left untouched (None): the base an edit or a PATCH changes."""
    plain = stored_value
    return ElderInput(
        name=elder.name,
        id_number=plain(elder.id_number_cipher, ID_NUMBER_CONTEXT),
        village_code=elder.region_id,
        phone=plain(elder.phone_cipher, PHONE_CONTEXT),
        phone2=plain(elder.phone2_cipher, PHONE_CONTEXT),
        address=elder.address,
        lives_at_registration=elder.lives_at_registration,
        registered_region_code=elder.registered_region_id or "",
        registered_address=elder.registered_address,
        disability_certificate=plain(elder.disability_certificate_cipher, CERTIFICATE_CONTEXT),
        registered_on=elder.registered_on,
        **{name: getattr(elder, name) for name in COPIED_FIELDS},
    )


def with_kept_numbers(elder: Elder, key: str, items: list[Any], rows: Sequence[int] | None = None) -> list[Any]:
    """Rows of a list sent back from the edit page with a masked number unchanged keep the stored
    number ("keep what is there"); a masked number that matches nothing stored is dropped.

    Applies to "contacts" and "supporters" (phones) and "household" (ID numbers); other lists are
    returned as they are. `rows` gives each item's row on the page, where the stored rows come first in
    their order: a masked number keeps the number of the row it was shown in. A mask cannot tell two
    numbers apart (every household member born in the county shows "410823************"), so
    without `rows` a masked number is kept only when no other stored number has the same mask. The
    stored numbers are decrypted only to be written back, never shown.
    """
    if key == "contacts":
        stored = [(c.phone_masked, c.phone_cipher) for c in elder.contacts.all()]
        context, attribute = CONTACT_PHONE_CONTEXT, "phone"
    elif key == "supporters":
        stored = [(s.phone_masked, s.phone_cipher) for s in elder.supporters.all()]
        context, attribute = CONTACT_PHONE_CONTEXT, "phone"
    elif key == "household":
        stored = [(m.id_number_masked, m.id_number_cipher) for m in elder.household.all()]
        context, attribute = MEMBER_ID_CONTEXT, "id_number"
    else:
        return items
    result = []
    for position, item in enumerate(items):
        value = getattr(item, attribute)
        if value and "*" in value:
            if rows is not None:
                row = rows[position]
                token = stored[row][1] if row < len(stored) and stored[row][0] == value else None
            else:
                same = [t for masked, t in stored if masked == value]
                token = same[0] if len(same) == 1 else None
            item = replace(item, **{attribute: stored_value(token, context) if token else ""})
        result.append(item)
    return result
