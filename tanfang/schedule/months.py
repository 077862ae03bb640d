"""The month's figures: each elder's month (MonthDue) and the region facts (MonthFact) that sum them.

One path, two callers:

* **Upkeep.** Every refresh of an elder's due state (`services.refresh_due`: drained from the due-refresh
  queue, the nightly recompute, a reader's stale check) recomputes the elder's last `WINDOW` months
  with `elder_month` and hands them to `apply`. `apply` compares them with the stored rows, writes
  only what changed, and adds the difference to the facts of the elder's village and of every region
  above it, in the same transaction. A region's facts are therefore always the sum of the rows below
  it, and a read is a primary-key lookup, never a scan of visits.
* **Rebuild.** `rebuild_month` recomputes one month of a region from the records with the same
  `elder_month`, replaces the rows, and sums them again (`tanfang rebuild_facts`). The two must agree
  cell for cell; `tests/test_facts_reconcile.py` checks it on randomised histories.

What an elder's month holds comes from `due.py` (in the denominator, visited, how, declined) and from
the records of the month: attempts, flagged visits and reviews, follow-ups opened, done and overdue,
care services and their satisfaction, incidents, and the visitors who recorded visits. Groups and the
risk level are the elder's current ones (the registry keeps no history of them); the village is the
elder's current village. Months further back than `WINDOW` change only by `rebuild_facts`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from tanfang.alerts.models import Incident
from tanfang.care.models import SATISFACTION_SCORES, CareService, FollowUp, Satisfaction
from tanfang.core.time import local_date, local_day_start
from tanfang.elders.models import Group
from tanfang.regions.paths import parent_path, path_prefixes
from tanfang.schedule import due
from tanfang.schedule.models import MonthDue, MonthFact, VisitorMonth
from tanfang.visits.models import Outcome, Visit

WINDOW = 13  # months recomputed by every refresh: the current one and the twelve before it

GROUP_BITS = {group: 1 << i for i, group in enumerate(Group.values)}
HIGH_RISK_BIT = 1 << len(GROUP_BITS)
ALL_COHORTS = 32767  # per-region totals that are not sums (visitors active, in snapshots): the largest smallint

REVIEW_CONFIRMED = frozenset({"confirmed", "corrected"})


def cohort_of(groups: Iterable[str], high_risk: bool) -> int:
    """The elder's groups and high risk as bits: facts are kept per cohort, so any breakdown is a sum."""
    bits = 0
    for group in groups:
        bits |= GROUP_BITS.get(group, 0)
    return bits | (HIGH_RISK_BIT if high_risk else 0)


def months_back(today: dt.date, count: int = WINDOW) -> list[dt.date]:
    """The first days of the `count` months up to today's, oldest first."""
    start = today.replace(day=1)
    return [due.add_months(start, -back) for back in range(count - 1, -1, -1)]


# --- what the records say about an elder's months -----------------------------------------------


@dataclass(frozen=True)
class VisitFact:
    day: dt.date
    method: str
    outcome: str
    rejected: bool
    flagged: bool
    review: str
    visitor_id: int | None


@dataclass(frozen=True)
class FollowUpFact:
    opened_on: dt.date
    deadline: dt.datetime
    done_at: dt.datetime | None
    ended_at: dt.datetime | None  # done or closed, whichever came first


@dataclass
class Activity:
    """An elder's records from a day on: what the month rows count besides the schedule's rules."""

    visits: list[VisitFact] = field(default_factory=list)
    follow_ups: list[FollowUpFact] = field(default_factory=list)
    services: list[tuple[dt.date, int]] = field(default_factory=list)  # (day, satisfaction score)
    incidents: list[dt.date] = field(default_factory=list)


def load_activity(elder_ids: Sequence[int], since: dt.date, until: dt.date | None = None) -> dict[int, Activity]:
    """The records of these elders dated from `since` (to `until`, inclusive), in four queries.

    Follow-ups are taken when opened, done or due in the span, so that each of the three counts sees them.
    """
    found: dict[int, Activity] = defaultdict(Activity)
    visits = Visit.objects.filter(elder_id__in=elder_ids, day__gte=since)
    if until is not None:
        visits = visits.filter(day__lte=until)
    for row in visits.values_list(
        "elder_id", "day", "method", "outcome", "rejected", "flagged", "review", "visitor_id"
    ).iterator(chunk_size=5000):
        found[row[0]].visits.append(VisitFact(*row[1:]))
    start = local_day_start(since)
    ups = FollowUp.objects.filter(elder_id__in=elder_ids).filter(
        Q(opened_at__gte=start) | Q(done_at__gte=start) | Q(deadline__gte=start)
    )
    for elder_id, opened_at, deadline, done_at, closed_at in ups.values_list(
        "elder_id", "opened_at", "deadline", "done_at", "closed_at"
    ):
        ends = [moment for moment in (done_at, closed_at) if moment is not None]
        found[elder_id].follow_ups.append(
            FollowUpFact(local_date(opened_at), deadline, done_at, min(ends, default=None))
        )
    services = CareService.objects.filter(elder_id__in=elder_ids, served_on__gte=since)
    if until is not None:
        services = services.filter(served_on__lte=until)
    for elder_id, served_on, satisfaction in services.values_list("elder_id", "served_on", "satisfaction"):
        found[elder_id].services.append(
            (served_on, SATISFACTION_SCORES.get(Satisfaction(satisfaction), 0) if satisfaction else 0)
        )
    for elder_id, opened_at in Incident.objects.filter(elder_id__in=elder_ids, opened_at__gte=start).values_list(
        "elder_id", "opened_at"
    ):
        found[elder_id].incidents.append(local_date(opened_at))
    return found


# --- one elder's month ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ElderMonth:
    """What one elder's month adds to the figures; the fields are MonthDue's."""

    region_path: str
    cohort: int
    to_visit: bool = False
    visited: bool = False
    method: str = ""
    declined: bool = False
    contacts: int = 0
    attempts: int = 0
    flagged: int = 0
    pending: int = 0
    confirmed: int = 0
    rejected: int = 0
    fu_opened: int = 0
    fu_done: int = 0
    fu_overdue: int = 0
    services: int = 0
    satisfaction_sum: int = 0
    satisfaction_n: int = 0
    incidents: int = 0
    visitors: tuple[int, ...] = ()

    def cells(self) -> Counter[str]:
        """Its contribution to the facts of its village and every region above."""
        cells: Counter[str] = Counter(elders=1)
        for name in _SUMMED:
            cells[name] = int(getattr(self, name))
        if self.visited and self.method:
            cells[f"visited_{self.method}"] = 1
        return cells


ROW_FIELDS = [f.name for f in fields(ElderMonth)]
_SUMMED = [name for name in ROW_FIELDS if name not in ("region_path", "cohort", "method", "visitors")]
FACT_CELLS = [
    "elders",
    "to_visit",
    "visited",
    "visited_home",
    "visited_video",
    "visited_phone",
    "visited_other",
    "declined",
    "contacts",
    "attempts",
    "flagged",
    "pending",
    "confirmed",
    "rejected",
    "fu_opened",
    "fu_done",
    "fu_overdue",
    "services",
    "satisfaction_sum",
    "satisfaction_n",
    "incidents",
]


def elder_month(
    facts: due.ElderFacts,
    activity: Activity,
    policy: due.Policy,
    month: dt.date,
    today: dt.date,
    *,
    region_path: str,
) -> ElderMonth | None:
    """One elder's month, or None when the month has nothing to say about the elder."""
    first, last = due.month_bounds(month.year, month.month)
    visits = [v for v in activity.visits if first <= v.day <= last]
    contacts = [due.Contact(v.day, v.method) for v in visits if v.outcome == Outcome.VISITED and not v.rejected]
    year, number = month.year, month.month
    to_visit = due.in_denominator(facts, contacts, policy, year, number)
    visited = to_visit and due.visited_in_month(facts, contacts, policy, year, number)
    services = [score for day, score in activity.services if first <= day <= last]
    row = ElderMonth(
        region_path=region_path,
        cohort=cohort_of(facts.groups, facts.high_risk),
        to_visit=to_visit,
        visited=visited,
        method=due.method_of_month(facts, contacts, policy, year, number) if visited else "",
        declined=due.declined_in_month(facts, contacts, policy, year, number),
        contacts=due.counted_contacts(facts, contacts, policy, first, last),
        attempts=sum(1 for v in visits if v.outcome != Outcome.VISITED),
        flagged=sum(1 for v in visits if v.flagged),
        pending=sum(1 for v in visits if v.review == "pending"),
        confirmed=sum(1 for v in visits if v.review in REVIEW_CONFIRMED),
        rejected=sum(1 for v in visits if v.rejected),
        fu_opened=sum(1 for f in activity.follow_ups if first <= f.opened_on <= last),
        fu_done=sum(1 for f in activity.follow_ups if f.done_at is not None and first <= local_date(f.done_at) <= last),
        fu_overdue=sum(1 for f in activity.follow_ups if _overdue_in(f, first, last, today)),
        services=len(services),
        satisfaction_sum=sum(s for s in services if s),
        satisfaction_n=sum(1 for s in services if s),
        incidents=sum(1 for day in activity.incidents if first <= day <= last),
        visitors=tuple(sorted({v.visitor_id for v in visits if v.visitor_id is not None})),
    )
    if not (row.to_visit or row.declined) and not any(getattr(row, name) for name in _SUMMED) and not row.visitors:
        return None
    return row


def _overdue_in(follow_up: FollowUpFact, first: dt.date, last: dt.date, today: dt.date) -> bool:
    """Due in the month, the deadline's day has passed, and it was not ended by the deadline."""
    deadline_day = local_date(follow_up.deadline)
    if not first <= deadline_day <= last or deadline_day >= today:
        return False
    return follow_up.ended_at is None or follow_up.ended_at > follow_up.deadline


# --- keeping the facts: rows in, differences out ---------------------------------------------------


Key = tuple[int, dt.date]  # (elder id, month)


def _stored(row: MonthDue) -> ElderMonth:
    values = {name: getattr(row, name) for name in ROW_FIELDS}
    values["visitors"] = tuple(row.visitors)
    return ElderMonth(**values)


def apply(new: Mapping[Key, ElderMonth | None], months: Sequence[dt.date]) -> int:
    """Store these elder months (None: the month has no row) and add what changed to the facts.

    Must run in the transaction that locked the elders' due rows (services.refresh_due), so that two
    refreshes of one elder never both take the same old row as their starting point. Returns the rows
    that changed.
    """
    elder_ids = sorted({elder_id for elder_id, _month in new})
    old = {
        (row.elder_id, row.month): row
        for row in MonthDue.objects.filter(elder_id__in=elder_ids, month__in=list(months))
    }
    facts: dict[tuple[str, dt.date, int], Counter[str]] = defaultdict(Counter)
    helpers: Counter[tuple[int, dt.date, str]] = Counter()
    upserts: list[MonthDue] = []
    deletes: list[int] = []
    for key, row in new.items():
        before = old.get(key)
        was = _stored(before) if before is not None else None
        if was == row:
            continue
        elder_id, month = key
        if was is not None:
            _add(facts, helpers, was, month, -1)
        if row is not None:
            _add(facts, helpers, row, month, +1)
            upserts.append(MonthDue(elder_id=elder_id, month=month, **{**asdict(row), "visitors": list(row.visitors)}))
        elif before is not None:
            deletes.append(before.pk)
    if upserts:
        MonthDue.objects.bulk_create(
            sorted(upserts, key=lambda r: (r.elder_id, r.month)),
            update_conflicts=True,
            unique_fields=["elder", "month"],
            update_fields=ROW_FIELDS,
            batch_size=1000,
        )
    if deletes:
        MonthDue.objects.filter(pk__in=deletes).delete()
    add_to_facts(facts)
    add_to_visitors(helpers)
    return len(upserts) + len(deletes)


def _add(
    facts: dict[tuple[str, dt.date, int], Counter[str]],
    helpers: Counter[tuple[int, dt.date, str]],
    row: ElderMonth,
    month: dt.date,
    sign: int,
) -> None:
    cells = row.cells()
    for path in path_prefixes(row.region_path):
        target = facts[(path, month, row.cohort)]
        for name, value in cells.items():
            target[name] += sign * value
    for visitor_id in row.visitors:
        helpers[(visitor_id, month, row.region_path)] += sign


def add_to_facts(deltas: Mapping[tuple[str, dt.date, int], Counter[str]]) -> None:
    """Add these differences to the facts, creating cells as needed, in key order (no deadlocks)."""
    rows = [(key, delta) for key, delta in sorted(deltas.items()) if any(delta.values())]
    if not rows:
        return
    table = connection.ops.quote_name(MonthFact._meta.db_table)
    columns = ["region_path", "parent_path", "month", "cohort", *FACT_CELLS]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in FACT_CELLS)
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            params: list[Any] = []
            for (path, month, cohort), delta in chunk:
                params.extend([path, parent_path(path) or "", month, cohort, *(delta.get(c, 0) for c in FACT_CELLS)])
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([marks] * len(chunk))} "  # noqa: S608 - names are ours
                f"ON CONFLICT (region_path, month, cohort) DO UPDATE SET {updates}",
                params,
            )


def add_to_visitors(deltas: Mapping[tuple[int, dt.date, str], int]) -> None:
    """Add to the count of rows naming each (visitor, month, village); drop those that reach zero."""
    rows = [(key, n) for key, n in sorted(deltas.items()) if n]
    if not rows:
        return
    table = connection.ops.quote_name(VisitorMonth._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            params: list[Any] = []
            for (visitor_id, month, path), n in chunk:
                params.extend([visitor_id, month, path, n])
            cursor.execute(
                f"INSERT INTO {table} (visitor_id, month, region_path, rows) "  # noqa: S608 - names are ours
                f"VALUES {', '.join(['(%s, %s, %s, %s)'] * len(chunk))} "
                f"ON CONFLICT (visitor_id, month, region_path) DO UPDATE SET rows = {table}.rows + excluded.rows",
                params,
            )
    VisitorMonth.objects.filter(rows__lte=0, month__in=sorted({month for (_v, month, _p), _n in rows})).delete()


# --- the whole month of a region, from the records ---------------------------------------------------


def sum_rows(rows: Iterable[ElderMonth], month: dt.date) -> dict[tuple[str, dt.date, int], Counter[str]]:
    """The facts of these rows, for the village and every region above (what `apply` keeps, summed anew)."""
    facts: dict[tuple[str, dt.date, int], Counter[str]] = defaultdict(Counter)
    helpers: Counter[tuple[int, dt.date, str]] = Counter()
    for row in rows:
        _add(facts, helpers, row, month, +1)
    return facts


@transaction.atomic
def replace_month(region_path: str, month: dt.date, rows: Mapping[int, ElderMonth]) -> dict[str, int]:
    """Replace a region's rows of one month, and its facts and those above by the new sums.

    Returns how many fact cells of the region's subtree changed value, and how many rows were written.
    """
    old_facts = {
        (f.region_path, f.cohort): {c: getattr(f, c) for c in FACT_CELLS}
        for f in MonthFact.objects.filter(region_path__startswith=region_path, month=month)
    }
    MonthDue.objects.filter(month=month, region_path__startswith=region_path).delete()
    MonthDue.objects.bulk_create(
        [
            MonthDue(elder_id=elder_id, month=month, **{**asdict(row), "visitors": list(row.visitors)})
            for elder_id, row in sorted(rows.items())
        ],
        batch_size=2000,
    )
    new = sum_rows(rows.values(), month)
    inside = {key: cells for key, cells in new.items() if key[0].startswith(region_path)}
    MonthFact.objects.filter(region_path__startswith=region_path, month=month).delete()
    add_to_facts(inside)
    # The regions above hold the subtree's old sums: move them by the difference at the region itself.
    above = [p for p in path_prefixes(region_path) if p != region_path]
    if above:
        difference: dict[tuple[str, dt.date, int], Counter[str]] = defaultdict(Counter)
        cohorts = {cohort for (path, cohort) in old_facts if path == region_path} | {
            cohort for (path, _m, cohort) in inside if path == region_path
        }
        for cohort in cohorts:
            was = old_facts.get((region_path, cohort), {})
            now_ = inside.get((region_path, month, cohort), Counter())
            for cell in FACT_CELLS:
                change = now_.get(cell, 0) - was.get(cell, 0)
                if change:
                    for path in above:
                        difference[(path, month, cohort)][cell] += change
        add_to_facts(difference)
    VisitorMonth.objects.filter(month=month, region_path__startswith=region_path).delete()
    visitors: Counter[tuple[int, dt.date, str]] = Counter()
    for row in rows.values():
        for visitor_id in row.visitors:
            visitors[(visitor_id, month, row.region_path)] += 1
    add_to_visitors(visitors)
    changed = sum(
        1
        for key in set(old_facts) | {(p, c) for (p, _m, c) in inside}
        if {k: v for k, v in old_facts.get(key, {}).items() if v}
        != {k: v for k, v in inside.get((key[0], month, key[1]), Counter()).items() if v}
    )
    return {"cells_changed": changed, "rows": len(rows)}
