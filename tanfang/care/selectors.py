"""Reads of follow-ups, scoped: officers see their regions', an owner sees its own."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from tanfang.care.models import (
    LIVE_STATES,
    DeadlinePolicy,
    FollowUp,
    FollowUpEvent,
    FollowUpKind,
    FollowUpState,
    Provider,
)
from tanfang.core.errors import NotFound, PermissionDenied
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import now
from tanfang.regions.models import Region
from tanfang.regions.paths import path_prefixes

# Days a follow-up of each kind has unless a region's policy says otherwise.
DEFAULT_DAYS: dict[str, int] = {
    FollowUpKind.HAZARD: 15,
    FollowUpKind.REMINDER: 7,
    FollowUpKind.DOCTOR: 7,
    FollowUpKind.ECONOMIC: 15,
    FollowUpKind.ASSISTANCE: 30,
    FollowUpKind.SUPPORTERS: 7,
    FollowUpKind.PROVIDER: 15,
    FollowUpKind.HOUSEHOLD: 15,
    FollowUpKind.OTHER: 15,
}


def may_see_follow_ups(actor: Actor) -> bool:
    """Roles that see a region's follow-ups, or work on their own; the administrators do not."""
    return actor.is_active and (
        has_permission(actor.role, Permission.VIEW_ELDERS) or has_permission(actor.role, Permission.WORK_FOLLOW_UPS)
    )


def follow_ups_visible_to(actor: Actor) -> QuerySet[FollowUp]:
    """Follow-ups in the actor's regions (for roles that see the registry), and those it owns, in
    person or through a provider it works for. Nothing for anyone else: fails closed."""
    if not actor.is_active:
        return FollowUp.objects.none()
    # The providers as a subquery, not a join: each follow-up comes once, with no DISTINCT over the rows.
    employers = Provider.objects.filter(staff__id=actor.pk).values("pk")
    condition = Q(owner_user_id=actor.pk) | Q(owner_provider_id__in=employers)
    if has_permission(actor.role, Permission.VIEW_ELDERS):
        condition |= scope_of(actor).q("region_path")
    return FollowUp.objects.filter(condition)


def get_follow_up_for(actor: Actor, follow_up_id: int) -> FollowUp:
    try:
        return follow_ups_visible_to(actor).select_related("elder", "owner_user", "owner_provider").get(pk=follow_up_id)
    except FollowUp.DoesNotExist:
        raise NotFound() from None


def is_owner(actor: Actor, follow_up: FollowUp) -> bool:
    if follow_up.owner_user_id is not None:
        return bool(follow_up.owner_user_id == actor.pk)
    if follow_up.owner_provider is not None:
        return follow_up.owner_provider.staff.filter(pk=actor.pk).exists()
    return False


@dataclass(frozen=True)
class FollowUpFilters:
    state: str = ""  # a FollowUpState, "live" or "overdue"
    kind: str = ""
    region_path: str = ""  # inside the actor's scope (the caller checked)
    mine: bool = False
    elder_id: int | None = None


def follow_up_list(actor: Actor, filters: FollowUpFilters) -> QuerySet[FollowUp]:
    """The follow-ups the actor sees, filtered, by deadline; PermissionDenied for roles with none at all."""
    if not may_see_follow_ups(actor):
        raise PermissionDenied()
    rows = follow_ups_visible_to(actor).select_related("elder", "region", "owner_user", "owner_provider")
    if filters.mine:
        rows = rows.filter(Q(owner_user_id=actor.pk) | Q(owner_provider__staff__id=actor.pk))
    if filters.state == "live":
        rows = rows.filter(state__in=LIVE_STATES)
    elif filters.state == "overdue":
        rows = rows.filter(state__in=LIVE_STATES, deadline__lt=now())
    elif filters.state in FollowUpState.values:
        rows = rows.filter(state=filters.state)
    if filters.kind in FollowUpKind.values:
        rows = rows.filter(kind=filters.kind)
    if filters.region_path:
        rows = rows.filter(region_path__startswith=filters.region_path)
    if filters.elder_id is not None:
        rows = rows.filter(elder_id=filters.elder_id)
    return rows.order_by("deadline", "id")


@dataclass(frozen=True)
class Step:
    """One step of a follow-up's timeline, as pages and the API show it."""

    at: dt.datetime
    kind: str
    kind_label: str
    actor: str
    note: str


def timeline(follow_up: FollowUp) -> list[Step]:
    """The follow-up's steps in order: its opening (the row itself: who opened it, or the visit that
    found it), then every stored event."""
    opener = follow_up.opened_by
    opened = Step(
        at=follow_up.opened_at,
        kind=FollowUpEvent.Kind.OPENED,
        kind_label=str(FollowUpEvent.Kind.OPENED.label),
        actor=(opener.display_name or opener.username) if opener else "",
        note=(_("探访发现：%(d)s") % {"d": follow_up.detail}) if follow_up.visit_id else _("手工发起"),
    )
    steps = [
        Step(
            at=e.at,
            kind=e.kind,
            kind_label=str(e.get_kind_display()),
            actor=(e.actor.display_name or e.actor.username) if e.actor else "",
            note=e.note,
        )
        for e in follow_up.events.select_related("actor")
    ]
    again = FollowUpEvent.Kind.FOUND_AGAIN
    steps += [
        Step(
            at=f.visit.occurred_at,
            kind=again,
            kind_label=str(again.label),
            actor=f.visit.visitor.name if f.visit.visitor else "",
            note=_("%(day)s 探访再次发现") % {"day": f.found_on},
        )
        for f in follow_up.findings.select_related("visit", "visit__visitor")
    ]
    return [opened, *sorted(steps, key=lambda s: s.at)]


def is_overdue(follow_up: FollowUp, moment: dt.datetime | None = None) -> bool:
    return follow_up.state in LIVE_STATES and follow_up.deadline < (moment or now())


def deadline_days(region_paths: Iterable[str]) -> dict[str, dict[str, int]]:
    """For each region path, the days each kind has: the nearest region's policy, else the default."""
    paths = set(region_paths)
    prefixes = {p for path in paths for p in path_prefixes(path)}
    policies: dict[str, dict[str, int]] = defaultdict(dict)
    for path, kind, days in DeadlinePolicy.objects.filter(region_path__in=prefixes).values_list(
        "region_path", "kind", "days"
    ):
        policies[path][kind] = days
    result = {}
    for path in paths:
        days_by_kind = dict(DEFAULT_DAYS)
        for prefix in sorted(path_prefixes(path), key=len):  # nearer regions override
            days_by_kind.update(policies.get(prefix, {}))
        result[path] = days_by_kind
    return result


@dataclass(frozen=True)
class KindDeadline:
    kind: str
    label: str
    days: int  # in force here
    own: int | None  # set on this region itself
    source: str  # where the days in force come from: a region's name, or "" for the default


def deadlines_of(region: Region) -> list[KindDeadline]:
    """Each kind's days in a region, with where they come from (the region itself, one above, the default)."""
    rows = DeadlinePolicy.objects.filter(region_path__in=path_prefixes(region.path)).select_related("region")
    by_kind: dict[str, list[DeadlinePolicy]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row)
    result = []
    for kind, label in FollowUpKind.choices:
        nearest = max(by_kind.get(kind, []), key=lambda r: len(r.region_path), default=None)
        own = next((r.days for r in by_kind.get(kind, []) if r.region_id == region.pk), None)
        result.append(
            KindDeadline(
                kind=kind,
                label=str(label),
                days=nearest.days if nearest else DEFAULT_DAYS[kind],
                own=own,
                source=nearest.region.name if nearest else "",
            )
        )
    return result


def open_rechecks(elder_ids: Iterable[int]) -> dict[int, list[tuple[dt.date, dt.date, str]]]:
    """Each elder's live hazards waiting for a re-check: (last found on, re-check by, title)."""
    found: dict[int, list[tuple[dt.date, dt.date, str]]] = defaultdict(list)
    for elder_id, since, by, title in FollowUp.objects.filter(
        elder_id__in=list(elder_ids), state__in=LIVE_STATES, recheck_by__isnull=False
    ).values_list("elder_id", "last_found_on", "recheck_by", "title"):
        if by is not None:
            found[elder_id].append((since or by, by, title))
    return found
