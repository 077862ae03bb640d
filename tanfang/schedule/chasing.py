"""催办 a township: a county (or city, province) officer reminds a township's officers of the elders it has
not yet visited this month, from the not-visited list; once a day per township, audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from tanfang.accounts.models import User
from tanfang.accounts.secrets import phone_of
from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.errors import FieldError, ValidationFailed
from tanfang.core.roles import Permission, RegionLevel, Role, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import local_today
from tanfang.notifications.services import notify_user
from tanfang.regions.models import Region
from tanfang.regions.scoping import get_region_for, require_permission
from tanfang.schedule.selectors import month_end, not_visited_this_month


@dataclass(frozen=True)
class Chased:
    township: Region
    not_visited: int
    told: int  # township officers told (0 when they were told today already)


def may_chase_township(actor: Actor, region: Region) -> bool:
    """A township, chased by someone whose own regions lie above it (not the township's own officers)."""
    return (
        region.level == RegionLevel.TOWNSHIP
        and actor.is_active
        and has_permission(actor.role, Permission.CHASE)
        and not any(path.startswith(region.path) for path in scope_of(actor).paths)
    )


def chase_township(*, actor: Actor, code: str) -> Chased:
    require_permission(actor, Permission.CHASE)
    region = get_region_for(actor, code)
    if not may_chase_township(actor, region):
        raise ValidationFailed(errors=[FieldError("region", _("只能催办辖区内的乡镇（街道）"))])
    today = local_today()
    count = not_visited_this_month(actor, code, today).count()
    if count == 0:
        raise ValidationFailed(errors=[FieldError("region", _("该乡镇（街道）本月已全部探访，无需催办"))])
    officers = list(
        User.objects.filter(role=Role.TOWNSHIP_OFFICER, is_active=True, region_assignments__region=region).distinct()
    )
    if not officers:
        raise ValidationFailed(errors=[FieldError("region", _("该乡镇（街道）没有在岗的干部账号，无法催办"))])
    body = _("【催办】%(township)s本月尚有%(n)s位老人未探访，距月底还有%(days)s天，请督促落实。——%(actor)s") % {
        "township": region.name,
        "n": count,
        "days": (month_end(today) - today).days,
        "actor": getattr(actor, "display_name", "") or actor.username,
    }
    link = reverse("schedule:region", args=[region.code])
    told = 0
    with transaction.atomic():
        for officer in officers:
            result = notify_user(
                key=f"chase-township:{region.code}:{today.isoformat()}:{officer.pk}",
                user_id=officer.pk,
                phone=phone_of(officer),
                label=officer.display_name or officer.username,
                body=body,
                link=link,
                region_path=region.path,
            )
            told += bool(result.inbox or result.sms)
        record_event(
            actor=actor,
            action=Action.TOWNSHIP_CHASED,
            subject=region,
            details={"not_visited": count, "told": told, "officers": [o.pk for o in officers]},
        )
    return Chased(township=region, not_visited=count, told=told)
