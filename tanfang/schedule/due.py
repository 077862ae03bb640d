"""THE definition of who must be visited, by when, and who was: due, due soon, overdue, visited.

Pure functions over plain facts, so that pages, the API, reminders, reports and the background
recomputation all agree. Every date is a local date in Asia/Shanghai: the caller turns visit
times into local dates (`core.time.local_date`) before they arrive here.

The rules, stated once:

* An elder is **obligated** on a day when registered by then, not moved out or deceased (the
  obligation ends on the day of that status: nobody is owed a visit on the day they died), and
  not paused. Temporarily away or in hospital either pauses the obligation or lets only remote
  contact (phone, audio/video) count, as the region's policy says.
* **Monthly**: in every calendar month, at least `monthly_contacts` counted contacts on
  obligated days. The month's **denominator** holds the elders obligated on its last day whose
  obligation began at least `grace_days` before it, plus anyone actually visited in the month
  while obligated (a visit before someone died or moved out still counts as a visit made).
  Someone registered in the month's last `grace_days` days owes the first visit next month.
* **Declined** (意愿：不愿接受探访): an elder who declined is left out of the denominator and owes no
  monthly visit, and is counted apart as declined, unless the region's policy counts them
  (`count_declined`). A contact made anyway counts like any contact made.
* **High risk**: a counted contact at least every `high_risk_interval_days` days (weekly by
  default), counted from the last contact or from the day the elder became obligated.
* **失能**: a home visit at least every `disabled_home_visit_months` calendar months.
* **Surges** (festivals, weather): one counted contact inside the surge's window for the elders
  of its groups, obligated during the window.
* **Hazard re-check**: a hazard a visit found (an open follow-up, `care`) owes a home visit after
  the day it was last found, by its re-check day; a visit that finds it again moves both.
* **Due** is an obligation whose deadline has not passed; **due soon** when the deadline is at
  most `soon_days` away; **overdue** when the deadline passed unmet.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from tanfang.core.time import local_date

ACTIVE = "active"
AWAY = "away"
HOSPITALISED = "hospitalised"
MOVED_OUT = "moved_out"
DECEASED = "deceased"
ENDING = frozenset({MOVED_OUT, DECEASED})
TEMPORARY = frozenset({AWAY, HOSPITALISED})

HOME = "home"
PHONE = "phone"
VIDEO = "video"
OTHER = "other"
REMOTE = frozenset({PHONE, VIDEO})
DISABLED = "disabled"


class WhenAway(enum.StrEnum):
    """What temporarily away or hospitalised does to the obligation."""

    REMOTE_COUNTS = "remote_counts"  # still owed; phone and video contact count
    PAUSED = "paused"  # nothing owed until back


@dataclass(frozen=True)
class Policy:
    """A region's visit policy after inheritance (see `tighten`)."""

    monthly_contacts: int = 1
    counted_methods: frozenset[str] = frozenset({HOME, PHONE, VIDEO})
    disabled_home_visit_months: int = 3
    high_risk_interval_days: int = 7
    when_away: WhenAway = WhenAway.REMOTE_COUNTS
    grace_days: int = 3
    soon_days: int = 7
    count_declined: bool = False  # elders who declined visits stay in the denominator


def tighten(parent: Policy, child: Policy) -> Policy:
    """A lower region's policy may only ask for more: every field takes the stricter value."""
    return Policy(
        monthly_contacts=max(parent.monthly_contacts, child.monthly_contacts),
        counted_methods=parent.counted_methods & child.counted_methods or parent.counted_methods,
        disabled_home_visit_months=min(parent.disabled_home_visit_months, child.disabled_home_visit_months),
        high_risk_interval_days=min(parent.high_risk_interval_days, child.high_risk_interval_days),
        when_away=(
            WhenAway.REMOTE_COUNTS if WhenAway.REMOTE_COUNTS in (parent.when_away, child.when_away) else WhenAway.PAUSED
        ),
        grace_days=min(parent.grace_days, child.grace_days),
        soon_days=max(parent.soon_days, child.soon_days),
        count_declined=parent.count_declined or child.count_declined,
    )


class StatusSpan(NamedTuple):  # named tuples: the figures make one per elder and per visit, by the million
    """A lifecycle status from `since` (inclusive) until the next span starts."""

    status: str
    since: dt.date


class Contact(NamedTuple):
    """A visit that happened (attempts that found nobody are not contacts)."""

    day: dt.date
    method: str


@dataclass(frozen=True)
class Surge:
    code: str  # e.g. "festival:mid_autumn:2026", "weather:17"
    reason: str  # "festival" | "weather"
    label: str
    start: dt.date
    end: dt.date  # inclusive
    groups: frozenset[str] = frozenset()  # empty: everyone


@dataclass(frozen=True)
class Recheck:
    """A hazard found on `found_on` that a later home visit must look at again by `by`."""

    found_on: dt.date
    by: dt.date
    label: str = ""


@dataclass(frozen=True)
class ElderFacts:
    registered_on: dt.date
    statuses: Sequence[StatusSpan] = ()
    groups: frozenset[str] = frozenset()
    high_risk: bool = False
    rechecks: Sequence[Recheck] = ()
    declined: bool = False  # the elder declined visits (意愿：不愿接受探访)

    def __post_init__(self) -> None:
        object.__setattr__(self, "statuses", tuple(sorted(self.statuses, key=lambda s: s.since)))


class Reason(enum.StrEnum):
    MONTHLY = "monthly"
    HIGH_RISK = "high_risk"
    DISABLED_HOME = "disabled_home"
    FESTIVAL = "festival"
    WEATHER = "weather"
    HAZARD_RECHECK = "hazard_recheck"


class State(enum.StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    DUE = "due"


@dataclass(frozen=True, order=True)
class Obligation:
    """Something owed: met by `deadline` (inclusive) or overdue from the day after."""

    deadline: dt.date
    reason: Reason = field(compare=False)
    label: str = field(compare=False, default="")
    methods: frozenset[str] = field(compare=False, default=frozenset())

    def state(self, today: dt.date, policy: Policy) -> State:
        if today > self.deadline:
            return State.OVERDUE
        if (self.deadline - today).days <= policy.soon_days:
            return State.DUE_SOON
        return State.DUE

    def days_left(self, today: dt.date) -> int:
        """Days until the deadline, 0 on the day itself; negative once overdue."""
        return (self.deadline - today).days


# --- calendar helpers ------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a month (cached: the figures ask it for every elder-month)."""
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- obligation days -------------------------------------------------------------------


def status_on(facts: ElderFacts, day: dt.date) -> str:
    current = ACTIVE
    for span in facts.statuses:  # sorted by date when the facts were made
        if span.since > day:
            break
        current = span.status
    return current


def methods_on(facts: ElderFacts, day: dt.date, policy: Policy) -> frozenset[str]:
    """The contact methods that count on `day`; empty when nothing is owed that day."""
    if day < facts.registered_on:
        return frozenset()
    status = status_on(facts, day)
    if status in ENDING:
        return frozenset()
    if status in TEMPORARY:
        if policy.when_away == WhenAway.PAUSED:
            return frozenset()
        return policy.counted_methods & REMOTE
    return policy.counted_methods


def is_obligated(facts: ElderFacts, day: dt.date, policy: Policy) -> bool:
    return bool(methods_on(facts, day, policy))


def _counted(facts: ElderFacts, contacts: Iterable[Contact], policy: Policy, start: dt.date, end: dt.date) -> int:
    return sum(1 for c in contacts if start <= c.day <= end and c.method in methods_on(facts, c.day, policy))


def obligation_start(facts: ElderFacts, day: dt.date, policy: Policy) -> dt.date | None:
    """The first day of the unbroken obligated stretch that contains `day`.

    The status is constant between change points (registration and status dates), so only
    those points are looked at, never every day.
    """
    if not is_obligated(facts, day, policy):
        return None
    points = sorted({facts.registered_on, *(s.since for s in facts.statuses if s.since > facts.registered_on)})
    points = [p for p in points if p <= day]
    start = points[-1]
    for point in reversed(points[:-1]):
        if not is_obligated(facts, point, policy):
            break
        start = point
    return start


# --- the month ---------------------------------------------------------------------------


def _owed_in_month(facts: ElderFacts, policy: Policy, year: int, month: int) -> bool:
    """Obligated on the month's last day, since at least `grace_days` before it (declining aside)."""
    last = month_bounds(year, month)[1]
    if not is_obligated(facts, last, policy):
        return False
    began = obligation_start(facts, last, policy)
    assert began is not None
    return began <= last - dt.timedelta(days=policy.grace_days)


def _set_apart(facts: ElderFacts, policy: Policy) -> bool:
    """Declined visits, and the policy does not count those who did."""
    return facts.declined and not policy.count_declined


METHOD_STRENGTH = (HOME, VIDEO, PHONE, OTHER)  # a month's method is the strongest counted contact


@dataclass(frozen=True)
class MonthStanding:
    """Where an elder stands in a month: the answers of the month functions below, worked out together."""

    to_visit: bool  # in the month's denominator
    visited: bool  # at least the required number of counted contacts (and in the denominator)
    method: str  # the strongest counted method when visited, else ""
    declined: bool  # left out of the denominator only because the elder declined visits
    contacts: int  # counted contacts: a method counted on an obligated day


def month_standing(
    facts: ElderFacts, contacts: Sequence[Contact], policy: Policy, year: int, month: int
) -> MonthStanding:
    """The elder's month, in one pass over the contacts (the figures compute this for every elder-month)."""
    first, last = month_bounds(year, month)
    used = [c.method for c in contacts if first <= c.day <= last and c.method in methods_on(facts, c.day, policy)]
    counted = len(used)
    set_apart = _set_apart(facts, policy)
    if counted:
        to_visit, declined = True, False
    else:
        owed = _owed_in_month(facts, policy, year, month)
        to_visit, declined = owed and not set_apart, owed and set_apart
    visited = to_visit and counted >= policy.monthly_contacts
    method = next((m for m in METHOD_STRENGTH if m in used), "") if visited else ""
    return MonthStanding(to_visit, visited, method, declined, counted)


def in_denominator(facts: ElderFacts, contacts: Sequence[Contact], policy: Policy, year: int, month: int) -> bool:
    """Whether the elder counts among those to be visited in this month: a counted contact in it, or owed
    a visit in it (see `_owed_in_month`) and not set apart for having declined."""
    return month_standing(facts, contacts, policy, year, month).to_visit


def declined_in_month(facts: ElderFacts, contacts: Sequence[Contact], policy: Policy, year: int, month: int) -> bool:
    """Left out of the month's denominator only because the elder declined visits (counted apart)."""
    return month_standing(facts, contacts, policy, year, month).declined


def visited_in_month(facts: ElderFacts, contacts: Sequence[Contact], policy: Policy, year: int, month: int) -> bool:
    """At least the month's required number of counted contacts on obligated days."""
    return month_standing(facts, contacts, policy, year, month).visited


@dataclass(frozen=True)
class MonthFigures:
    denominator: int
    visited: int

    @property
    def rate(self) -> float | None:
        return self.visited / self.denominator if self.denominator else None


# --- what is owed today ----------------------------------------------------------------


def obligations(
    facts: ElderFacts,
    contacts: Sequence[Contact],
    policy: Policy,
    today: dt.date,
    surges: Sequence[Surge] = (),
) -> list[Obligation]:
    """Everything owed as of `today`, unmet, most urgent first (earliest deadline)."""
    owed: list[Obligation] = []
    owed.extend(_monthly(facts, contacts, policy, today))
    if facts.high_risk:
        owed.extend(_high_risk(facts, contacts, policy, today))
    if DISABLED in facts.groups:
        owed.extend(_disabled_home(facts, contacts, policy, today))
    for surge in surges:
        owed.extend(_surge(facts, contacts, policy, today, surge))
    for recheck in facts.rechecks:
        owed.extend(_recheck(facts, contacts, policy, today, recheck))
    return sorted(owed)


MISSED_MONTHS_LOOKBACK = 12


def _monthly(facts: ElderFacts, contacts: Sequence[Contact], policy: Policy, today: dt.date) -> list[Obligation]:
    owed: list[Obligation] = []
    methods = methods_on(facts, today, policy)
    if not methods or _set_apart(facts, policy):
        return owed
    this_year, this_month = today.year, today.month
    visited_now = visited_in_month(facts, contacts, policy, this_year, this_month)
    # Months missed in a row, up to last month: overdue since the end of the first of them,
    # until a contact is made this month (a missed month stays missed in the figures).
    if not visited_now:
        earliest: dt.date | None = None
        month_start = today.replace(day=1)
        for back in range(1, MISSED_MONTHS_LOOKBACK + 1):
            month = add_months(month_start, -back)
            if not in_denominator(facts, contacts, policy, month.year, month.month):
                break
            if visited_in_month(facts, contacts, policy, month.year, month.month):
                break
            earliest = month
        if earliest is not None:
            owed.append(
                Obligation(month_bounds(earliest.year, earliest.month)[1], Reason.MONTHLY, f"{earliest:%Y-%m}", methods)
            )
    # This month: due by its last day (by next month's end when the obligation began in its last days).
    if not visited_now:
        began = obligation_start(facts, today, policy)
        assert began is not None
        last = month_bounds(this_year, this_month)[1]
        if began > last - dt.timedelta(days=policy.grace_days):
            last = month_bounds(*_next_month(today))[1]
        owed.append(Obligation(last, Reason.MONTHLY, f"{today:%Y-%m}", methods))
    return owed


def _next_month(day: dt.date) -> tuple[int, int]:
    following = add_months(day.replace(day=1), 1)
    return following.year, following.month


def _last_contact(
    facts: ElderFacts,
    contacts: Sequence[Contact],
    policy: Policy,
    until: dt.date,
    methods: frozenset[str] | None = None,
) -> dt.date | None:
    days = [
        c.day
        for c in contacts
        if c.day <= until
        and c.method in (methods or methods_on(facts, c.day, policy))
        and is_obligated(facts, c.day, policy)
    ]
    return max(days) if days else None


def _high_risk(facts: ElderFacts, contacts: Sequence[Contact], policy: Policy, today: dt.date) -> list[Obligation]:
    if not is_obligated(facts, today, policy):
        return []
    start = obligation_start(facts, today, policy)
    assert start is not None
    last = _last_contact(facts, contacts, policy, today)
    since = max(last, start) if last else start
    deadline = since + dt.timedelta(days=policy.high_risk_interval_days)
    return [Obligation(deadline, Reason.HIGH_RISK, "", methods_on(facts, today, policy))]


def _disabled_home(facts: ElderFacts, contacts: Sequence[Contact], policy: Policy, today: dt.date) -> list[Obligation]:
    if HOME not in methods_on(facts, today, policy):
        return []  # away, in hospital or paused: no home visit can be owed now
    start = obligation_start(facts, today, policy)
    assert start is not None
    last = _last_contact(facts, contacts, policy, today, frozenset({HOME}))
    since = max(last, start) if last else start
    deadline = add_months(since, policy.disabled_home_visit_months)
    return [Obligation(deadline, Reason.DISABLED_HOME, "", frozenset({HOME}))]


def _recheck(
    facts: ElderFacts, contacts: Sequence[Contact], policy: Policy, today: dt.date, recheck: Recheck
) -> list[Obligation]:
    """A home visit after the hazard was found, by the re-check day; nothing while no home visit can be owed."""
    if HOME not in methods_on(facts, today, policy):
        return []
    if any(c.method == HOME and recheck.found_on < c.day <= today for c in contacts):
        return []
    return [Obligation(recheck.by, Reason.HAZARD_RECHECK, recheck.label, frozenset({HOME}))]


SURGE_OVERDUE_DAYS = 30


def _surge(
    facts: ElderFacts, contacts: Sequence[Contact], policy: Policy, today: dt.date, surge: Surge
) -> list[Obligation]:
    """Owed inside the window; a missed window shows as overdue for 30 more days, or until a contact."""
    if today < surge.start or (surge.groups and not surge.groups & facts.groups):
        return []
    if today > surge.end + dt.timedelta(days=SURGE_OVERDUE_DAYS):
        return []
    span = (surge.end - surge.start).days + 1
    if not any(is_obligated(facts, surge.start + dt.timedelta(days=i), policy) for i in range(span)):
        return []
    if _counted(facts, contacts, policy, surge.start, max(today, surge.end)) > 0:
        return []
    if not is_obligated(facts, today, policy):
        return []
    reason = Reason.WEATHER if surge.reason == "weather" else Reason.FESTIVAL
    return [Obligation(surge.end, reason, surge.label, methods_on(facts, today, policy))]


def contact_at(moment: dt.datetime, method: str) -> Contact:
    """A contact from the moment it happened: its day is the day in Asia/Shanghai."""
    return Contact(local_date(moment), method)


def month_figures(
    elders: Iterable[tuple[ElderFacts, Sequence[Contact]]], policy: Policy, year: int, month: int
) -> MonthFigures:
    """The month's denominator and how many of it were visited: 月探访率 = visited / denominator."""
    denominator = visited = 0
    for facts, contacts in elders:
        if in_denominator(facts, contacts, policy, year, month):
            denominator += 1
            visited += visited_in_month(facts, contacts, policy, year, month)
    return MonthFigures(denominator, visited)
