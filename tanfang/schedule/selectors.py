"""Reads for the schedule: a visitor's work list and the officers' views, scoped like everything else."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from tanfang.care.models import LIVE_STATES, FollowUp
from tanfang.core.errors import FieldError, NotFound, ValidationFailed
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.elders.models import Elder
from tanfang.regions.models import Region
from tanfang.regions.paths import path_prefixes
from tanfang.regions.scoping import get_region_for
from tanfang.schedule import due
from tanfang.schedule.due import Policy, Reason, State
from tanfang.schedule.figures import figures_of
from tanfang.schedule.models import ElderDue, MonthDue, RecomputeJob, RegionPolicy, WeatherEvent
from tanfang.schedule.policies import PolicyBook
from tanfang.schedule.services import refresh_due, refresh_queued, regions_being_refreshed
from tanfang.visitors.models import Pairing, Visitor
from tanfang.visitors.selectors import unpaired_elders, visitors_visible_to
from tanfang.visits.models import Outcome, Visit

REASON_LABELS = {
    Reason.MONTHLY: gettext_noop("每月探访"),
    Reason.HIGH_RISK: gettext_noop("高风险"),
    Reason.DISABLED_HOME: gettext_noop("失能老人上门探访"),
    Reason.FESTIVAL: gettext_noop("节日探访"),
    Reason.WEATHER: gettext_noop("极端天气"),
    Reason.HAZARD_RECHECK: gettext_noop("安全隐患复查"),
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
    # Feedback: the latest attempt since the last contact, the visitor's latest visit rejected on
    # review (the reason is on the visit's page and in the inbox), and follow-ups the visitor owns.
    attempt: Visit | None = None
    rejected: Visit | None = None
    follow_ups: int = 0

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


def own_visitor(actor: Actor) -> Visitor | None:
    """The actor's own active visitor profile, if it has one."""
    if not getattr(actor, "pk", None):
        return None
    return Visitor.objects.filter(user_id=actor.pk, active=True).first()


def visitor_of(actor: Actor) -> Visitor:
    """The actor's own active visitor profile; NotFound when it has none."""
    visitor = own_visitor(actor)
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
    since = today - dt.timedelta(days=FEEDBACK_DAYS)
    attempts: dict[int, Visit] = {}
    for visit in (
        Visit.objects.filter(elder_id__in=elder_ids, day__gte=since)
        .exclude(outcome=Outcome.VISITED)
        .order_by("occurred_at")
    ):
        attempts[visit.elder_id] = visit  # the latest wins
    rejected: dict[int, Visit] = {}
    for visit in Visit.objects.filter(elder_id__in=elder_ids, visitor=visitor, rejected=True, day__gte=since).order_by(
        "occurred_at"
    ):
        rejected[visit.elder_id] = visit
    owned = dict(
        FollowUp.objects.filter(elder_id__in=elder_ids, owner_user_id=visitor.user_id, state__in=LIVE_STATES)
        .values_list("elder_id")
        .annotate(n=Count("id"))
        .values_list("elder_id", "n")
        if visitor.user_id
        else []
    )
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
                attempt=_after(attempts.get(pairing.elder_id), row.last_contact_on if row else None),
                rejected=rejected.get(pairing.elder_id),
                follow_ups=owned.get(pairing.elder_id, 0),
            )
        )
    return sorted(items, key=lambda i: i.urgency)


FEEDBACK_DAYS = 60  # how far back the work list looks for attempts and rejected visits


def _after(attempt: Visit | None, last_contact: dt.date | None) -> Visit | None:
    """An attempt is news until a visit is made after it."""
    if attempt is None or (last_contact is not None and last_contact >= attempt.day):
        return None
    return attempt


def schedule_region_for(actor: Actor, code: str) -> Region:
    """A region whose schedule the actor may see: in its scope, and a role that sees elders. NotFound else."""
    if not has_permission(actor.role, Permission.VIEW_ELDERS):
        raise NotFound()
    return get_region_for(actor, code)


def _region(actor: Actor, code: str, today: dt.date) -> Region:
    region = schedule_region_for(actor, code)
    refresh_queued(region_path=region.path, today=today)  # what was just recorded counts at once
    return region


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def not_visited_this_month(actor: Actor, code: str, today: dt.date) -> QuerySet[ElderDue]:
    """Elders of the region to be visited this month and not yet visited (their month rows say so), with
    their due states, by region then id."""
    region = _region(actor, code, today)
    missed = MonthDue.objects.filter(
        month=today.replace(day=1), region_path__startswith=region.path, to_visit=True, visited=False
    ).values("elder_id")
    return (
        ElderDue.objects.filter(elder_id__in=missed)
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
    """This month's figures for the region, from the same facts as the dashboard (schedule.figures)."""
    region = _region(actor, code, today)
    figures = figures_of([region], today.replace(day=1))[0]
    return MonthSummary(denominator=figures.to_visit, visited=figures.visited)


# --- a region's lists, as the schedule pages show them -----------------------------------------

LISTS: dict[str, Promise] = {
    "not_visited": gettext_lazy("本月未探访"),
    "overdue": gettext_lazy("已逾期"),
    "unpaired": gettext_lazy("未结对"),
    "loads": gettext_lazy("探访人员负担"),
}


def region_list(actor: Actor, code: str, kind: str, today: dt.date) -> QuerySet[Any]:
    """One of a region's lists (LISTS): not visited this month, overdue, unpaired, or visitors' loads."""
    if kind == "not_visited":
        return not_visited_this_month(actor, code, today)
    if kind == "overdue":
        return overdue(actor, code, today)
    region = schedule_region_for(actor, code)
    if kind == "unpaired":
        return unpaired_elders(actor, code).select_related("region")
    if kind == "loads":
        return (
            visitors_visible_to(actor)
            .filter(region_path__startswith=region.path)
            .select_related("region")
            .order_by("-load", "id")
        )
    raise NotFound()


def child_regions(region: Region) -> QuerySet[Region]:
    """The regions directly below one (the caller has checked that the actor may see it)."""
    return Region.objects.filter(parent=region).order_by("code")


@dataclass(frozen=True)
class Refreshing:
    """Whether a region's states are being recomputed in the background, and how far it has come."""

    queued: bool
    job: RecomputeJob | None


def refreshing(region: Region) -> Refreshing:
    """The recomputation under way for this region (or one above or below it), if any."""
    job = (
        RecomputeJob.objects.filter(region_path__in=[*path_prefixes(region.path), ""], finished_at__isnull=True)
        .order_by("-started_at")
        .first()
    )
    return Refreshing(queued=bool(regions_being_refreshed(region.path)), job=job)


def get_job_for(actor: Actor, job_id: int) -> RecomputeJob:
    """A recomputation the actor may follow: of a region in its scope, for a role that reads figures. NotFound else."""
    job = RecomputeJob.objects.filter(pk=job_id).first()
    if job is None or not has_permission(actor.role, Permission.VIEW_FIGURES):
        raise NotFound()
    if not scope_of(actor).contains(job.region_path or "/"):
        raise NotFound()
    return job


@dataclass(frozen=True)
class PolicyView:
    region: Region
    own: RegionPolicy | None  # the region's own policy row, if it sets one
    effective: Policy  # after inheritance


def policy_of_region(actor: Actor, code: str) -> PolicyView:
    """A region's own policy and the one in force there, for a region in the actor's scope."""
    region = schedule_region_for(actor, code)
    return PolicyView(
        region=region,
        own=RegionPolicy.objects.filter(region=region).first(),
        effective=PolicyBook().policy(region.path),
    )


def weather_events_of(region: Region, limit: int = 20) -> QuerySet[WeatherEvent]:
    """Weather events declared for a region or the regions above it, newest first."""
    return WeatherEvent.objects.filter(region_path__in=path_prefixes(region.path)).order_by("-starts_on")[:limit]


# --- a past month, from the visits ---------------------------------------------------------------


@dataclass(frozen=True)
class MissedElder:
    elder_id: int
    name: str
    village_code: str
    deadline: dt.date | None
    last_visit_on: dt.date | None


@dataclass(frozen=True)
class MonthList:
    denominator: int
    visited: int
    missed: list[MissedElder]
    has_next: bool

    @property
    def rate(self) -> float | None:
        return self.visited / self.denominator if self.denominator else None


def month_of_region(
    actor: Actor, code: str, year: int, month: int, today: dt.date, *, page: int, page_size: int
) -> MonthList:
    """A region's month: to be visited and visited from the month's facts (a closed month's snapshot:
    the same answer as the dashboard), and a page of those not visited, from the elder-month rows as
    they are now (late records included). A month after `today` is refused."""
    if (year, month) > (today.year, today.month):
        raise ValidationFailed(errors=[FieldError("month", _("不能查询未来的月份"))])
    region = _region(actor, code, today)
    first, last = due.month_bounds(year, month)
    figures = figures_of([region], first)[0]
    rows = (
        MonthDue.objects.filter(month=first, region_path__startswith=region.path, to_visit=True, visited=False)
        .select_related("elder")
        .order_by("region_path", "elder_id")
    )
    start = (page - 1) * page_size
    fetched = list(rows[start : start + page_size + 1])
    chunk = fetched[:page_size]
    ids = [row.elder_id for row in chunk]
    current = (year, month) == (today.year, today.month)
    states = {d.elder_id: d for d in ElderDue.objects.filter(elder_id__in=ids)} if current else {}
    last_visits = dict(
        Visit.objects.filter(elder_id__in=ids, day__lte=last, outcome=Outcome.VISITED, rejected=False)
        .values_list("elder_id")
        .annotate(top=Max("day"))
        .values_list("elder_id", "top")
    )
    return MonthList(
        denominator=figures.to_visit,
        visited=figures.visited,
        missed=[
            MissedElder(
                row.elder_id,
                row.elder.name,
                row.elder.region_id,
                states[row.elder_id].deadline if row.elder_id in states else last,
                last_visits.get(row.elder_id),
            )
            for row in chunk
        ],
        has_next=len(fetched) > page_size,
    )
