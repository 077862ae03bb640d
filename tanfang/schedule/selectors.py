"""Reads for the schedule: a visitor's work list and the officers' views, scoped like everything else."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from tanfang.core.errors import NotFound
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.elders.models import Elder
from tanfang.regions.models import Region
from tanfang.schedule.due import Policy, Reason, State
from tanfang.schedule.models import ElderDue
from tanfang.schedule.services import PolicyBook, refresh_due, refresh_queued
from tanfang.visitors.models import Pairing, Visitor

REASON_LABELS = {
    Reason.MONTHLY: gettext_noop("每月探访"),
    Reason.HIGH_RISK: gettext_noop("高风险"),
    Reason.DISABLED_HOME: gettext_noop("失能老人上门探访"),
    Reason.FESTIVAL: gettext_noop("节日探访"),
    Reason.WEATHER: gettext_noop("极端天气"),
}


@dataclass(frozen=True)
class WorkItem:
    elder: Elder
    role: str
    state: State | None  # None: nothing owed now
    deadline: dt.date | None
    days_left: int | None
    reason: str
    label: str
    last_contact_on: dt.date | None
    last_method: str

    @property
    def overdue_days(self) -> int:
        return -(self.days_left or 0)

    @property
    def urgency(self) -> tuple[int, int, int]:
        order = {State.OVERDUE: 0, State.DUE_SOON: 1, State.DUE: 2, None: 3}
        return (order[self.state], self.days_left if self.days_left is not None else 10**6, self.elder.pk)


def state_of(deadline: dt.date | None, today: dt.date, policy: Policy) -> State | None:
    if deadline is None:
        return None
    if deadline < today:
        return State.OVERDUE
    if (deadline - today).days <= policy.soon_days:
        return State.DUE_SOON
    return State.DUE


def visitor_of(actor: Actor) -> Visitor:
    visitor = Visitor.objects.filter(user_id=actor.pk, active=True).first()
    if visitor is None:
        raise NotFound()
    return visitor


def worklist(visitor: Visitor, today: dt.date) -> list[WorkItem]:
    """The visitor's elders, overdue first, then due soon, then due; fresh as of today."""
    pairings = list(
        Pairing.objects.filter(visitor=visitor, ended_on__isnull=True).select_related("elder", "elder__region")
    )
    elder_ids = [p.elder_id for p in pairings]
    refresh_queued(elder_ids=elder_ids, today=today)
    states = {d.elder_id: d for d in ElderDue.objects.filter(elder_id__in=elder_ids)}
    stale = [i for i in elder_ids if i not in states or states[i].computed_on != today]
    if stale:
        refresh_due(stale, today)
        states = {d.elder_id: d for d in ElderDue.objects.filter(elder_id__in=elder_ids)}
    policies = PolicyBook()
    items = []
    for pairing in pairings:
        row = states.get(pairing.elder_id)
        deadline = row.deadline if row else None
        policy = policies.policy(pairing.elder.region_path)
        items.append(
            WorkItem(
                elder=pairing.elder,
                role=pairing.role,
                state=state_of(deadline, today, policy),
                deadline=deadline,
                days_left=(deadline - today).days if deadline else None,
                reason=row.reason if row else "",
                label=row.label if row else "",
                last_contact_on=row.last_contact_on if row else None,
                last_method=row.last_method if row else "",
            )
        )
    return sorted(items, key=lambda i: i.urgency)


def _region(actor: Actor, code: str, today: dt.date) -> Region:
    if not has_permission(actor.role, Permission.VIEW_ELDERS):
        raise NotFound()
    region = Region.objects.filter(code=code).first()
    if region is None or not scope_of(actor).contains(region.path):
        raise NotFound()
    refresh_queued(region_path=region.path, today=today)  # what was just recorded counts at once
    return region


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def not_visited_this_month(actor: Actor, code: str, today: dt.date) -> QuerySet[ElderDue]:
    """Elders of the region to be visited this month and not yet visited, by region then id."""
    region = _region(actor, code, today)
    return (
        ElderDue.objects.filter(
            region_path__startswith=region.path, month=today.replace(day=1), in_denominator=True, visited=False
        )
        .select_related("elder", "elder__region")
        .order_by("region_path", "elder_id")
    )


def overdue(actor: Actor, code: str, today: dt.date) -> QuerySet[ElderDue]:
    region = _region(actor, code, today)
    return (
        ElderDue.objects.filter(region_path__startswith=region.path, deadline__lt=today)
        .select_related("elder", "elder__region")
        .order_by("deadline", "elder_id")
    )


@dataclass(frozen=True)
class MonthSummary:
    denominator: int
    visited: int

    @property
    def rate(self) -> float | None:
        return self.visited / self.denominator if self.denominator else None


def month_summary(actor: Actor, code: str, today: dt.date) -> MonthSummary:
    region = _region(actor, code, today)
    rows = ElderDue.objects.filter(region_path__startswith=region.path, month=today.replace(day=1), in_denominator=True)
    return MonthSummary(denominator=rows.count(), visited=rows.filter(visited=True).count())
