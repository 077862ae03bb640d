"""Reads of the registry, scoped by region."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound
from tanfang.core.id_numbers import normalize_id_number
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import local_today
from tanfang.elders.inputs import OLD_OLD_AGE, normalize_phone
from tanfang.elders.models import Elder, ElderGroup, Group, Status
from tanfang.elders.services import id_number_index, phone_index
from tanfang.regions.scoping import get_region_for

_ID_LIKE = re.compile(r"^[0-9０-９]{17}[0-9Xx０-９Ｘｘ]$")
_PHONE_LIKE = re.compile(r"^[0-9\-－ ]{7,14}$")

AGE_BANDS = {
    "60-69": (60, 69),
    "70-79": (70, 79),
    "80-89": (80, 89),
    "90+": (90, 200),
    "80+": (OLD_OLD_AGE, 200),
}


def elders_visible_to(actor: Actor) -> QuerySet[Elder]:
    """Return the elders living inside the actor's regions (none for roles without access).

    Records merged into another are left out: they live on only as history.
    """
    if not actor.is_active or not has_permission(actor.role, Permission.VIEW_ELDERS):
        return Elder.objects.none()
    return Elder.objects.filter(scope_of(actor).q("region_path"), merged_into__isnull=True)


def get_elder_for(actor: Actor, elder_id: int) -> Elder:
    """An elder the actor may see; NotFound for missing and out-of-scope alike."""
    try:
        return elders_visible_to(actor).select_related("region", "registered_region").get(pk=elder_id)
    except Elder.DoesNotExist:
        raise NotFound() from None


@dataclass(frozen=True)
class ElderFilters:
    region: str = ""  # a region code inside the actor's scope
    group: str = ""
    status: str = ""
    age_band: str = ""
    q: str = ""  # a name, an ID number or a phone number


def _birth_range(band: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    if band not in AGE_BANDS:
        return None
    low, high = AGE_BANDS[band]
    # Age >= low  ⇔  born on or before today minus `low` years; age <= high ⇔ born after today minus high+1 years.
    latest = _years_before(today, low)
    earliest = _years_before(today, high + 1) + dt.timedelta(days=1)
    return earliest, latest


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def filter_elders(actor: Actor, filters: ElderFilters) -> QuerySet[Elder]:
    """The list's filters, applied inside the actor's scope. Ordered for stable, indexed paging."""
    elders = elders_visible_to(actor)
    if filters.region:
        try:
            region = get_region_for(actor, filters.region)
        except NotFound:
            return Elder.objects.none()
        elders = elders.filter(region_path__startswith=region.path)
    if filters.group in Group.values:
        elders = elders.filter(
            Exists(ElderGroup.objects.filter(elder=OuterRef("pk"), group=filters.group, until__isnull=True))
        )
    if filters.status in Status.values:
        elders = elders.filter(status=filters.status)
    span = _birth_range(filters.age_band, local_today())
    if span:
        elders = elders.filter(birth_date__range=span)
    text = filters.q.strip()
    if text:
        elders = elders.filter(_text_query(text))
    return elders.order_by("region_path", "id")


def _text_query(text: str) -> Q:
    """A full ID number or phone number matches exactly through its blind index; else the name's start.

    Personal numbers are never matched in part: only their blind index is stored. Names match
    from the first character (王秀 finds 王秀英), which an index can serve on a million rows.
    """
    compact = re.sub(r"\s", "", text)
    if _ID_LIKE.match(compact):
        return Q(id_number_index=id_number_index(normalize_id_number(compact)))
    if _PHONE_LIKE.match(compact) and any(c.isdigit() for c in compact):
        index = phone_index(normalize_phone(compact))
        return Q(phone_index=index) | Q(phone2_index=index)
    return Q(name__startswith=text)


def timeline_of(actor: Actor, elder: Elder) -> QuerySet[AuditEvent]:
    """Every audited change of this elder, newest first."""
    if not scope_of(actor).contains(elder.region_path):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(subject_type="elders.elder", subject_id=str(elder.pk)).order_by("-at", "-id")
