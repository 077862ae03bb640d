"""Reads of the registry, scoped by region."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound
from tanfang.core.id_numbers import looks_like_id_number, mask_id_number, mask_phone, normalize_id_number
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import local_today
from tanfang.elders.disclosure import birth_span, shows_birth_dates
from tanfang.elders.inputs import OLD_OLD_AGE, normalize_phone
from tanfang.elders.models import Elder, ElderGroup, Group, Status
from tanfang.elders.services import id_number_index, phone_index
from tanfang.regions.scoping import get_region_for

_PHONE_LIKE = re.compile(r"^[0-9\-－]{7,14}$")

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
    q: str = ""  # a name, or (never from a URL) an ID number or a phone number
    number: str = ""  # the search key of a whole ID or phone number (`number_search`), never the number


@dataclass(frozen=True)
class NumberSearch:
    """A search for a whole ID or phone number, without the number: its blind index and its mask."""

    key: str  # "id:<blind index>" or "phone:<blind index>"
    shown: str  # the number masked, to say on the page what is being looked for


def looks_like_number(text: str) -> bool:
    """Whether a search text is a whole ID or phone number, which must stay out of URLs and logs."""
    compact = re.sub(r"\s", "", text or "")
    if looks_like_id_number(compact):
        return True
    return bool(_PHONE_LIKE.match(compact)) and sum(c.isdigit() for c in compact) >= 7


def number_search(text: str) -> NumberSearch | None:
    """The search key of a whole ID or phone number (None for any other text, a name).

    The key is the number's keyed blind index: a page may keep it (in the session, behind a random
    token) and the selector match it, with the number itself stored nowhere.
    """
    compact = re.sub(r"\s", "", text or "")
    if looks_like_id_number(compact):
        number = normalize_id_number(compact)
        return NumberSearch(key=f"id:{id_number_index(number)}", shown=mask_id_number(number))
    if looks_like_number(compact):
        phone = normalize_phone(compact)
        return NumberSearch(key=f"phone:{phone_index(phone)}", shown=mask_phone(phone))
    return None


def filter_elders(actor: Actor, filters: ElderFilters) -> QuerySet[Elder]:
    """The list's filters, applied inside the actor's scope. Ordered for stable, indexed paging.

    Age bands count ages as the actor is shown them (`elders.disclosure`): by birth year for a role
    that may not reveal, so that a band never narrows a birthday down.
    """
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
    if filters.age_band in AGE_BANDS:
        low, high = AGE_BANDS[filters.age_band]
        elders = elders.filter(birth_date__range=birth_span(low, high, local_today(), whole=shows_birth_dates(actor)))
    text = filters.q.strip()
    if text:
        search = number_search(text)
        elders = elders.filter(_number_query(search.key) if search else Q(name__startswith=text))
    if filters.number:
        elders = elders.filter(_number_query(filters.number))
    return elders.order_by("region_path", "id")


def _number_query(key: str) -> Q:
    """A whole ID or phone number matches exactly through its blind index.

    Personal numbers are never matched in part: only their blind index is stored. Names match
    from the first character (王秀 finds 王秀英), which an index can serve on a million rows.
    """
    kind, _sep, index = key.partition(":")
    if not index:
        return Q(pk__in=[])
    if kind == "id":
        return Q(id_number_index=index)
    if kind == "phone":
        return Q(phone_index=index) | Q(phone2_index=index)
    return Q(pk__in=[])


def timeline_of(actor: Actor, elder: Elder) -> QuerySet[AuditEvent]:
    """Every audited change of this elder, newest first."""
    if not scope_of(actor).contains(elder.region_path):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(subject_type="elders.elder", subject_id=str(elder.pk)).order_by("-at", "-id")
