"""Writes for township duty rosters (值班安排): add and remove shifts, audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.alerts.models import DutyShift
from tanfang.alerts.notices import label_of
from tanfang.alerts.selectors import duty_candidates
from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.errors import FieldError, ValidationFailed
from tanfang.core.roles import Permission
from tanfang.core.scope import Actor
from tanfang.regions.models import Region
from tanfang.regions.scoping import require_permission

MAX_SHIFT = dt.timedelta(days=7)


@dataclass(frozen=True)
class ShiftInput:
    user_id: int | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    note: str = ""


def add_shift(*, actor: Actor, township: Region, data: ShiftInput) -> DutyShift:
    """Put someone on a township's duty roster for a period; audited.

    The caller got the township through `selectors.get_township_for_duty` (scope and MANAGE_DUTY).
    ValidationFailed for someone who is not the township's officer or a worker of its villages, a
    period that does not end after it starts, or one longer than a week.
    """
    require_permission(actor, Permission.MANAGE_DUTY)
    errors = []
    candidates = {u.pk: u for u in duty_candidates(township)}
    user = candidates.get(data.user_id or 0)
    if user is None:
        errors.append(FieldError("user", _("请选择本乡镇（街道）的干部或村（社区）工作人员")))
    if data.starts_at is None or data.ends_at is None:
        errors.append(FieldError("starts_at", _("请填写值班的开始和结束时间")))
    elif data.ends_at <= data.starts_at:
        errors.append(FieldError("ends_at", _("结束时间应晚于开始时间")))
    elif data.ends_at - data.starts_at > MAX_SHIFT:
        errors.append(FieldError("ends_at", _("一次值班最长7天")))
    if errors:
        raise ValidationFailed(errors=errors)
    assert user is not None and data.starts_at is not None and data.ends_at is not None
    with transaction.atomic():
        shift = DutyShift.objects.create(
            region=township,
            region_path=township.path,
            user=user,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            note=(data.note or "").strip()[:200],
            created_by_label=label_of(actor),
        )
        record_event(
            actor=actor,
            action=Action.DUTY_SHIFT_ADDED,
            subject=shift,
            subject_label=f"{township.name} {label_of(user)}",
            details={
                "user": user.pk,
                "starts_at": data.starts_at.isoformat(),
                "ends_at": data.ends_at.isoformat(),
            },
        )
    return shift


def remove_shift(*, actor: Actor, shift: DutyShift) -> None:
    """Take a shift off the roster; audited. The caller got it through `selectors.get_shift_for`."""
    require_permission(actor, Permission.MANAGE_DUTY)
    with transaction.atomic():
        record_event(
            actor=actor,
            action=Action.DUTY_SHIFT_REMOVED,
            subject=shift,
            subject_label=f"{shift.region.name} {label_of(shift.user)}",
            details={
                "user": shift.user_id,
                "starts_at": shift.starts_at.isoformat(),
                "ends_at": shift.ends_at.isoformat(),
            },
        )
        shift.delete()
