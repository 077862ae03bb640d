"""A user's own notification preferences: which channels, and quiet hours (免打扰时段).

A user reads and changes only its own preferences; a change is audited. `notify_user` (services)
reads them for every message it sends a user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import diff, record_event
from tanfang.core.errors import FieldError, ValidationFailed
from tanfang.core.scope import Actor
from tanfang.core.time import now
from tanfang.notifications.models import Preference
from tanfang.notifications.wecom_robot import parse_robot_keys

FIELDS = ("inbox", "sms", "wecom", "wecom_robot", "quiet_start", "quiet_end")


@dataclass(frozen=True)
class PreferenceInput:
    inbox: bool = True
    sms: bool = True
    wecom: bool = False
    wecom_robot: str = ""
    quiet_start: dt.time | None = None
    quiet_end: dt.time | None = None


def robot_names() -> list[str]:
    """The 企业微信 group robots a user may choose, by name (the keys stay in the settings)."""
    keys = getattr(settings, "TANFANG_WECOM_ROBOT_KEYS", {})
    try:
        names = parse_robot_keys(keys) if isinstance(keys, str) else dict(keys)
    except ValueError:
        return []
    return sorted(names)


def _values(preference: Preference) -> dict[str, object]:
    """The preference as audit values: times of day as "HH:MM"."""
    values: dict[str, object] = {}
    for name in FIELDS:
        value = getattr(preference, name)
        values[name] = value.strftime("%H:%M") if isinstance(value, dt.time) else value
    return values


def preference_of(user_id: int) -> Preference:
    """The user's preferences, or the defaults (inbox and SMS, no quiet hours) when it has set none."""
    found = Preference.objects.filter(user_id=user_id).first()
    return found or Preference(user_id=user_id, updated_at=now())


def _check(data: PreferenceInput) -> list[FieldError]:
    errors = []
    if not (data.inbox or data.sms or data.wecom):
        errors.append(FieldError("inbox", _("请至少选择一种接收方式")))
    if data.wecom and data.wecom_robot not in robot_names():
        errors.append(FieldError("wecom_robot", _("请选择一个已配置的企业微信群")))
    if (data.quiet_start is None) != (data.quiet_end is None):
        errors.append(FieldError("quiet_end", _("免打扰时段须同时填写开始和结束时间")))
    elif data.quiet_start is not None and data.quiet_start == data.quiet_end:
        errors.append(FieldError("quiet_end", _("免打扰的开始和结束时间不能相同")))
    return errors


@transaction.atomic
def set_preferences(*, actor: Actor, data: PreferenceInput) -> Preference:
    """Set the actor's own preferences; audited with old → new. ValidationFailed on a bad choice.

    At least one channel must stay on; quiet hours need both ends and may wrap midnight
    (22:00–07:00), but an empty range (start = end) is refused.
    """
    errors = _check(data)
    if errors:
        raise ValidationFailed(errors=errors)
    preference = Preference.objects.select_for_update().filter(user_id=actor.pk).first()
    if preference is None:
        preference = Preference(user_id=actor.pk, updated_at=now())
        before = _values(Preference(user_id=actor.pk, updated_at=now()))  # the defaults
    else:
        before = _values(preference)
    for name in FIELDS:
        setattr(preference, name, getattr(data, name))
    if not data.wecom:
        preference.wecom_robot = ""
    preference.updated_at = now()
    preference.save()
    changes = diff(before, _values(preference))
    if changes:
        record_event(
            actor=actor,
            action=Action.NOTIFICATION_PREFERENCES_CHANGED,
            subject_type="accounts.user",
            subject_id=str(actor.pk),
            subject_label=actor.username,
            region_path=sorted(actor.region_paths())[0] if actor.region_paths() else "",
            changes=changes,
        )
    return preference
