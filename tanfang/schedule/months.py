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
import json
import operator
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Cast

from tanfang.alerts.models import Incident
from tanfang.care.models import SATISFACTION_SCORES, CareService, FollowUp, Satisfaction
from tanfang.core.bulk import among
from tanfang.core.roles import RegionLevel
from tanfang.core.time import local_date, local_day_start
from tanfang.elders.models import Group
from tanfang.regions.models import Region
from tanfang.regions.paths import parent_path, path_prefixes
from tanfang.schedule import due
from tanfang.schedule.models import MonthDue, MonthFact, VillageMonth, VisitorMonth
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


class VisitFact(NamedTuple):  # named tuples, not dataclasses: a rebuild makes a million of each
    day: dt.date
    method: str
    outcome: str
    rejected: bool
    flagged: bool
    review: str
    visitor_id: int | None


class FollowUpFact(NamedTuple):
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


def load_activity(
    elder_ids: Sequence[int], since: dt.date, until: dt.date | None = None, *, visits_only: bool = False
) -> dict[int, Activity]:
    """The records of these elders dated from `since` (to `until`, inclusive), in four queries (one with
    `visits_only`: what the due rules need when no month is kept).

    Follow-ups are taken when opened, done or due in the span, so that each of the three counts sees them.
    """
    wanted = set(elder_ids)
    elders = among("elder_id", elder_ids)  # may match elders in between: only the wanted ones are kept
    found: dict[int, Activity] = defaultdict(Activity)
    visits = Visit.objects.filter(elders, day__gte=since)
    if until is not None:
        visits = visits.filter(day__lte=until)
    for row in visits.values_list(
        "elder_id", "day", "method", "outcome", "rejected", "flagged", "review", "visitor_id"
    ):
        if row[0] in wanted:
            found[row[0]].visits.append(VisitFact(*row[1:]))
    if visits_only:
        return found
    start = local_day_start(since)
    spanned = Q(opened_at__gte=start) | Q(done_at__gte=start) | Q(deadline__gte=start)
    ups = FollowUp.objects.filter(elders).filter(spanned)
    for elder_id, opened_at, deadline, done_at, closed_at in ups.values_list(
        "elder_id", "opened_at", "deadline", "done_at", "closed_at"
    ):
        if elder_id not in wanted:
            continue
        ends = [moment for moment in (done_at, closed_at) if moment is not None]
        found[elder_id].follow_ups.append(
            FollowUpFact(local_date(opened_at), deadline, done_at, min(ends, default=None))
        )
    services = CareService.objects.filter(elders, served_on__gte=since)
    if until is not None:
        services = services.filter(served_on__lte=until)
    for elder_id, served_on, satisfaction in services.values_list("elder_id", "served_on", "satisfaction"):
        if elder_id in wanted:
            found[elder_id].services.append(
                (served_on, SATISFACTION_SCORES.get(Satisfaction(satisfaction), 0) if satisfaction else 0)
            )
    for elder_id, opened_at in Incident.objects.filter(elders, opened_at__gte=start).values_list(
        "elder_id", "opened_at"
    ):
        if elder_id in wanted:
            found[elder_id].incidents.append(local_date(opened_at))
    return found


# --- one elder's month ----------------------------------------------------------------------------


class ElderMonth(NamedTuple):
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

    def cells(self) -> dict[str, int]:
        """Its contribution to the facts of its village and every region above."""
        return dict(zip(FACT_CELLS, cell_sums((self,)), strict=True))


ROW_FIELDS = list(ElderMonth._fields)
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


_SUMMED_CELLS = [FACT_CELLS.index(name) for name in _SUMMED]
_summed_of = operator.itemgetter(*(ROW_FIELDS.index(name) for name in _SUMMED))  # a row's summed fields
_ELDERS_AT = FACT_CELLS.index("elders")
_METHOD_CELL = {cell.removeprefix("visited_"): i for i, cell in enumerate(FACT_CELLS) if cell.startswith("visited_")}


def cell_sums(rows: Sequence[ElderMonth]) -> list[int]:
    """What these rows add to the facts (FACT_CELLS, in order): the one place that says how a row counts.
    The upkeep asks it for one row at a time, the rebuild for all the rows of a village and cohort at once."""
    sums = [0] * len(FACT_CELLS)
    for row in rows:
        for cell, value in zip(_SUMMED_CELLS, _summed_of(row), strict=True):
            sums[cell] += value  # booleans count 1
        if row.visited and row.method in _METHOD_CELL:
            sums[_METHOD_CELL[row.method]] += 1
    sums[_ELDERS_AT] = len(rows)
    return sums


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
    contacts: list[due.Contact] = []
    attempts = flagged = pending = confirmed = rejected = 0
    visitors: set[int] = set()
    for v in activity.visits:
        if not first <= v.day <= last:
            continue
        if v.outcome == Outcome.VISITED:
            if not v.rejected:
                contacts.append(due.Contact(v.day, v.method))
        else:
            attempts += 1
        flagged += v.flagged
        pending += v.review == "pending"
        confirmed += v.review in REVIEW_CONFIRMED
        rejected += v.rejected
        if v.visitor_id is not None:
            visitors.add(v.visitor_id)
    standing = due.month_standing(facts, contacts, policy, month.year, month.month)
    services = [score for day, score in activity.services if first <= day <= last] if activity.services else []
    ups = activity.follow_ups
    row = ElderMonth(
        region_path=region_path,
        cohort=cohort_of(facts.groups, facts.high_risk),
        to_visit=standing.to_visit,
        visited=standing.visited,
        method=standing.method,
        declined=standing.declined,
        contacts=standing.contacts,
        attempts=attempts,
        flagged=flagged,
        pending=pending,
        confirmed=confirmed,
        rejected=rejected,
        fu_opened=sum(1 for f in ups if first <= f.opened_on <= last) if ups else 0,
        fu_done=sum(1 for f in ups if f.done_at is not None and first <= local_date(f.done_at) <= last) if ups else 0,
        fu_overdue=sum(1 for f in ups if _overdue_in(f, first, last, today)) if ups else 0,
        services=len(services),
        satisfaction_sum=sum(s for s in services if s),
        satisfaction_n=sum(1 for s in services if s),
        incidents=sum(1 for day in activity.incidents if first <= day <= last),
        visitors=tuple(sorted(visitors)),
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


def apply(new: Mapping[Key, ElderMonth | None], months: Sequence[dt.date]) -> int:
    """Store these elder months (None: the month has no row) and add what changed to the facts.

    Must run in the transaction that locked the elders' due rows (services.refresh_due), so that two
    refreshes of one elder never both take the same old row as their starting point. Returns the rows
    that changed.
    """
    elder_ids = sorted({elder_id for elder_id, _month in new})
    old: dict[Key, tuple[int, ElderMonth]] = {}
    stored = MonthDue.objects.filter(elder_id__in=elder_ids, month__in=list(months))
    for elder_id, month, pk, *values in stored.values_list("elder_id", "month", "pk", *ROW_FIELDS):
        values[-1] = tuple(values[-1])  # the visitors: a JSON list
        old[(elder_id, month)] = (pk, ElderMonth(*values))
    facts: dict[tuple[str, dt.date, int], Counter[str]] = defaultdict(Counter)
    helpers: Counter[tuple[int, dt.date, str]] = Counter()
    villages: Counter[tuple[str, dt.date, str]] = Counter()
    upserts: list[tuple[int, dt.date, ElderMonth]] = []
    deletes: list[int] = []
    for key, row in new.items():
        before = old.get(key)
        was = before[1] if before is not None else None
        if was == row:
            continue
        elder_id, month = key
        if was is not None:
            _add(facts, helpers, was, month, -1)
            villages[(was.region_path, month, "to_visit")] -= was.to_visit
            villages[(was.region_path, month, "visited")] -= was.visited
        if row is not None:
            _add(facts, helpers, row, month, +1)
            villages[(row.region_path, month, "to_visit")] += row.to_visit
            villages[(row.region_path, month, "visited")] += row.visited
            upserts.append((elder_id, month, row))
        elif before is not None:
            deletes.append(before[0])
    _upsert_rows(sorted(upserts, key=lambda r: (r[0], r[1])))
    if deletes:
        MonthDue.objects.filter(pk__in=deletes).delete()
    add_to_facts(facts)
    add_to_visitors(helpers)
    write_villages(
        {
            (path, month): (villages[(path, month, "to_visit")], villages[(path, month, "visited")])
            for path, month, _cell in villages
        },
        add=True,
    )
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
    for path in path_prefixes(row.region_path):  # visitors active are kept at every level, like the cells
        for visitor_id in row.visitors:
            helpers[(visitor_id, month, path)] += sign


def add_to_facts(deltas: Mapping[tuple[str, dt.date, int], Counter[str]]) -> None:
    """Add these differences to the facts, creating cells as needed, in key order (no deadlocks)."""
    rows = [
        (path, parent_path(path) or "", month, cohort, *(delta.get(c, 0) for c in FACT_CELLS))
        for (path, month, cohort), delta in sorted(deltas.items())
        if any(delta.values())
    ]
    table = connection.ops.quote_name(MonthFact._meta.db_table)
    _upsert(
        MonthFact,
        ["region_path", "parent_path", "month", "cohort", *FACT_CELLS],
        ["region_path", "month", "cohort"],
        ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in FACT_CELLS),
        rows,
    )


def add_to_visitors(deltas: Mapping[tuple[int, dt.date, str], int]) -> None:
    """Add to the count of rows naming each (visitor, month, region at any level); drop those that reach zero.
    A region's visitors active are then its rows with a count above zero: a count, never a distinct count."""
    rows = [(key, n) for key, n in sorted(deltas.items()) if n]
    if not rows:
        return
    table = connection.ops.quote_name(VisitorMonth._meta.db_table)
    _upsert(
        VisitorMonth,
        ["visitor_id", "month", "region_path", "rows"],
        ["visitor_id", "month", "region_path"],
        f"rows = {table}.rows + excluded.rows",
        [(visitor_id, month, path, n) for (visitor_id, month, path), n in rows],
    )
    fallen = [(visitor_id, month, path) for (visitor_id, month, path), n in rows if n < 0]
    if fallen:  # only a count that went down can have reached zero
        VisitorMonth.objects.filter(
            rows__lte=0,
            visitor_id__in={v for v, _m, _p in fallen},
            month__in={m for _v, m, _p in fallen},
            region_path__in={p for _v, _m, p in fallen},
        ).delete()


def write_villages(values: Mapping[tuple[str, dt.date], tuple[int, int]], *, add: bool) -> None:
    """Add these (to visit, visited) to each village's month, or (add=False) set them, creating rows as
    needed, in key order."""
    table = connection.ops.quote_name(VillageMonth._meta.db_table)
    new = {c: f"{table}.{c} + excluded.{c}" if add else f"excluded.{c}" for c in ("to_visit", "visited")}
    _upsert(
        VillageMonth,
        ["month", "region_path", "to_visit", "visited"],
        ["month", "region_path"],
        f"to_visit = {new['to_visit']}, visited = {new['visited']}",
        [(month, path, *pair) for (path, month), pair in sorted(values.items()) if pair != (0, 0) or not add],
    )


def _upsert_rows(rows: Sequence[tuple[int, dt.date, ElderMonth]]) -> None:
    """Store these elder months (elder id, month, row), replacing the stored ones, in the order given."""
    _upsert(
        MonthDue,
        ["elder_id", "month", *ROW_FIELDS],
        ["elder_id", "month"],
        ", ".join(f"{c} = excluded.{c}" for c in ROW_FIELDS),
        [(elder_id, month, *row[:-1], json.dumps(list(row.visitors))) for elder_id, month, row in rows],
    )


COPY_FROM = 2000  # rows from which an upsert goes through a scratch table filled by COPY (PostgreSQL)


def _upsert(
    model: type[models.Model], columns: Sequence[str], key: Sequence[str], updates: str, rows: Sequence[Sequence[Any]]
) -> None:
    """Insert these rows into the model's table, or where the key is taken set `updates` (SQL that may read
    `excluded`), in the order given. A few at a time as VALUES; many (a rebuild) by COPY into a scratch
    table and one statement."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(columns)
    conflict = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
            cursor.execute(f"CREATE TEMP TABLE upsert_rows AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
            _fill(cursor, "upsert_rows", columns, rows)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM upsert_rows {conflict}")  # noqa: S608
            cursor.execute("DROP TABLE upsert_rows")
            return
        marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([marks] * len(chunk))} {conflict}",  # noqa: S608
                [value for row in chunk for value in row],
            )


# --- the whole month of a region, from the records ---------------------------------------------------


@dataclass
class MonthSlice:
    """What a slice of elders (a range of ids) brings to a rebuilt month, against the stored rows."""

    changed: list[tuple[int, ElderMonth]]  # rows new this month, or that differ from the stored ones
    gone: list[int]  # elders of the region with a stored row and no row now
    visitors: Counter[tuple[int, str]]  # (visitor, village) → rows naming the visitor
    cells: dict[tuple[str, int], list[int]]  # (village, cohort) → what its rows add to the facts (FACT_CELLS)
    rows: int
    copy_lines: str = ""  # `changed` as lines of PostgreSQL's COPY text (`packed`), which it is then empty of
    packed_rows: int = 0

    def packed(self, month: dt.date) -> MonthSlice:
        """This slice with its changed rows as COPY lines: made by the worker processes, so that the parent
        passes them on to the database as they are, instead of unpickling a tuple per row and adapting it."""
        lines = "".join(_copy_line(elder_id, month, row) for elder_id, row in self.changed)
        return replace(self, changed=[], copy_lines=self.copy_lines + lines, packed_rows=self.written)

    @property
    def written(self) -> int:
        return len(self.changed) + self.packed_rows


def _copy_line(elder_id: int, month: dt.date, row: ElderMonth) -> str:
    """A MonthDue row as a line of COPY text: tab-separated, booleans t/f, text escaped."""
    values = [str(elder_id), month.isoformat()]
    for value in row[:-1]:
        if isinstance(value, bool):
            values.append("t" if value else "f")
        elif isinstance(value, str):
            values.append(value.translate(_COPY_ESCAPES))
        else:
            values.append(str(value))
    values.append(json.dumps(list(row.visitors)))
    return "\t".join(values) + "\n"


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def compare_slice(
    region_path: str, month: dt.date, low: int, high: int, rows: Sequence[tuple[int, ElderMonth]]
) -> MonthSlice:
    """These rows (of the region's elders with ids from `low` to `high`) against the stored ones. A stored
    row is the elder's wherever it is filed: an elder who moved into the region has it corrected."""
    old: dict[int, tuple[Any, ...]] = {}
    stored = MonthDue.objects.filter(month=month, elder_id__gte=low, elder_id__lte=high)
    # The visitors as text, parsed here: Django's JSON converter costs more than the rest of the row.
    fields = [*ROW_FIELDS[:-1], "visitors_text"]
    stored = stored.annotate(visitors_text=Cast("visitors", models.TextField()))
    for elder_id, *values in stored.values_list("elder_id", *fields):
        text = values[-1].strip()  # a JSON list of ids: "[]", "[12, 40]"
        values[-1] = tuple(map(int, text[1:-1].split(","))) if len(text) > 2 else ()
        old[elder_id] = tuple(values)
    visitors: Counter[tuple[int, str]] = Counter()
    cohorts: dict[tuple[str, int], list[ElderMonth]] = defaultdict(list)
    changed = []
    for elder_id, row in rows:
        if old.pop(elder_id, None) != row:
            changed.append((elder_id, row))
        for visitor_id in row.visitors:
            visitors[(visitor_id, row.region_path)] += 1
        cohorts[(row.region_path, row.cohort)].append(row)
    gone = sorted(elder_id for elder_id, was in old.items() if was[0].startswith(region_path))  # was[0]: its path
    cells = {key: cell_sums(members) for key, members in cohorts.items()}
    return MonthSlice(changed, gone, visitors, cells, len(rows))


@transaction.atomic
def replace_month(
    region_path: str, month: dt.date, slices: Iterable[MonthSlice], span: tuple[int, int] | None
) -> dict[str, int]:
    """Make a region's rows of one month those of the slices, and its facts and those above their sums.

    Writes only what differs: the rows new, changed or gone, and the fact cells and visitor counts that
    moved (a month the upkeep kept right writes nothing). Must run under the drains' lock (the rebuild
    takes it), so that no row is written beside it. Returns how many rows there are and were written, and
    how many fact cells of the region's subtree changed value. The slices cover the ids of `span` (the
    region's least and greatest elder id; None when it has none): the region's rows outside it are gone.
    """
    outside = MonthDue.objects.filter(month=month, region_path__startswith=region_path)
    if span is not None:
        outside = outside.filter(Q(elder_id__lt=span[0]) | Q(elder_id__gt=span[1]))
    rows, written = 0, outside.delete()[0]
    writer = _RowWriter(month)
    visitors: Counter[tuple[int, str]] = Counter()
    cells: dict[tuple[str, int], list[int]] = {}
    for part in slices:
        writer.add(part.changed)
        writer.add_lines(part.copy_lines)
        for start in range(0, len(part.gone), 5000):
            MonthDue.objects.filter(month=month, elder_id__in=part.gone[start : start + 5000]).delete()
        rows += part.rows
        written += part.written + len(part.gone)
        visitors.update(part.visitors)
        for key, sums in part.cells.items():  # slices split villages: a village's cells add up across them
            before = cells.get(key)
            cells[key] = sums if before is None else [a + b for a, b in zip(before, sums, strict=True)]
    writer.finish()
    changed = _replace_facts(region_path, month, cells)
    _replace_visitors(region_path, month, visitors)
    _replace_villages(region_path, month, cells)
    return {"cells_changed": changed, "rows": rows, "rows_written": written}


class _RowWriter:
    """Writes a rebuilt month's new and changed rows. On PostgreSQL they are COPY'd into a scratch table as
    the slices come in and moved into `MonthDue` in one statement at the end: while worker processes still
    read the stored rows, the table's indexes must not fill with this transaction's uncommitted rows (a
    month the planner believes empty is read through its month index, which would then hold them all)."""

    COLUMNS = ("elder_id", "month", *ROW_FIELDS)

    def __init__(self, month: dt.date) -> None:
        self.month = month
        self.staged = False

    def add(self, rows: Sequence[tuple[int, ElderMonth]]) -> None:
        if not rows:
            return
        if connection.vendor != "postgresql":
            _upsert_rows([(elder_id, self.month, row) for elder_id, row in rows])
            return
        self.add_lines("".join(_copy_line(elder_id, self.month, row) for elder_id, row in rows))

    def add_lines(self, lines: str) -> None:
        """Rows already written as COPY lines (PostgreSQL only: `MonthSlice.packed` is used there alone)."""
        if not lines:
            return
        names = ", ".join(self.COLUMNS)
        with connection.cursor() as cursor:
            if not self.staged:
                table = connection.ops.quote_name(MonthDue._meta.db_table)
                cursor.execute(
                    f"CREATE TEMP TABLE monthdue_incoming ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"  # noqa: S608
                )
                self.staged = True
            with cursor.cursor.copy(f"COPY monthdue_incoming ({names}) FROM STDIN") as copy:
                copy.write(lines)

    def finish(self) -> None:
        if not self.staged:
            return
        table = connection.ops.quote_name(MonthDue._meta.db_table)
        names = ", ".join(self.COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in ROW_FIELDS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM monthdue_incoming "  # noqa: S608 - names are ours
                f"ON CONFLICT (elder_id, month) DO UPDATE SET {updates}"  # staged in id order, the key's order
            )
            cursor.execute("DROP TABLE monthdue_incoming")
        self.staged = False


def _replace_facts(region_path: str, month: dt.date, sums: Mapping[tuple[str, int], Sequence[int]]) -> int:
    """Sum the cells of the region's rows (`sums`: per village and cohort, from `cell_sums`) up every
    level of its subtree, in the database; replace the subtree's facts when a cell differs, and move the
    regions above by the difference at the region itself. Returns the cells that changed."""
    facts = connection.ops.quote_name(MonthFact._meta.db_table)
    regions = connection.ops.quote_name(Region._meta.db_table)
    cells = ", ".join(FACT_CELLS)
    resummed = ", ".join(f"SUM({cell}) AS {cell}" for cell in FACT_CELLS)
    nonzero = " OR ".join(f"{cell} <> 0" for cell in FACT_CELLS)
    subtree = region_path + "%"
    top = Region.objects.filter(path=region_path).values_list("level", flat=True).first() or 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE fact_build AS SELECT region_path, cohort, {cells} FROM {facts} WHERE 1 = 0"  # noqa: S608
        )
        _fill(cursor, "fact_build", ["region_path", "cohort", *FACT_CELLS], ((*k, *v) for k, v in sums.items()))
        # Up the tree a level at a time, the deepest first, to the region itself (a province has no parent).
        for level in sorted((lv for lv in RegionLevel.values if lv > max(top, 1)), reverse=True):
            cursor.execute(
                f"INSERT INTO fact_build (region_path, cohort, {cells}) SELECT p.path, f.cohort, {resummed} "  # noqa: S608
                f"FROM fact_build f JOIN {regions} r ON r.path = f.region_path "
                f"JOIN {regions} p ON p.code = r.parent_id "
                "WHERE r.level = %s GROUP BY p.path, f.cohort",
                [level],
            )
        cursor.execute(
            f"CREATE TEMP TABLE fact_new AS SELECT region_path, cohort, {resummed} FROM fact_build "  # noqa: S608
            "GROUP BY region_path, cohort"
        )
        # The cells to write: new, or apart from the stored ones. Then the stored cells to drop: apart, or
        # no longer there (all-zero cells count as none). Only those are written.
        in_subtree = f"{facts}.month = %s AND {facts}.region_path LIKE %s"
        cursor.execute(
            f"CREATE TEMP TABLE fact_diff AS SELECT n.* FROM fact_new n LEFT JOIN {facts} o "  # noqa: S608
            f"ON o.month = %s AND o.region_path = n.region_path AND o.cohort = n.cohort "
            f"WHERE o.region_path IS NULL OR {' OR '.join(f'n.{c} <> o.{c}' for c in FACT_CELLS)}",
            [month],
        )
        cursor.execute("SELECT COUNT(*) FROM fact_diff")
        changed = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COUNT(*) FROM {facts} WHERE {in_subtree} AND ({nonzero}) AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM fact_new n WHERE n.region_path = {facts}.region_path AND n.cohort = {facts}.cohort)",
            [month, subtree],
        )
        changed += cursor.fetchone()[0]
        if changed:
            at_region = "SELECT cohort, {cells} FROM {table} WHERE region_path = %s"
            cursor.execute(at_region.format(cells=cells, table=facts) + " AND month = %s", [region_path, month])
            was = {row[0]: row[1:] for row in cursor.fetchall()}
            cursor.execute(at_region.format(cells=cells, table="fact_new"), [region_path])
            now_ = {row[0]: row[1:] for row in cursor.fetchall()}
            cursor.execute(
                f"DELETE FROM {facts} WHERE {in_subtree} AND ("  # noqa: S608
                f"EXISTS (SELECT 1 FROM fact_diff d WHERE d.region_path = {facts}.region_path "
                f"AND d.cohort = {facts}.cohort) OR NOT EXISTS (SELECT 1 FROM fact_new n "
                f"WHERE n.region_path = {facts}.region_path AND n.cohort = {facts}.cohort))",
                [month, subtree],
            )
            cursor.execute(
                f"INSERT INTO {facts} (region_path, parent_path, month, cohort, {cells}) "  # noqa: S608
                f"SELECT d.region_path, COALESCE(p.path, ''), %s, d.cohort, {', '.join('d.' + c for c in FACT_CELLS)} "
                f"FROM fact_diff d LEFT JOIN {regions} r ON r.path = d.region_path "
                f"LEFT JOIN {regions} p ON p.code = r.parent_id ORDER BY d.region_path, d.cohort",  # the key's order
                [month],
            )
        cursor.execute("DROP TABLE fact_diff")
        cursor.execute("DROP TABLE fact_build")
        cursor.execute("DROP TABLE fact_new")
    above = [p for p in path_prefixes(region_path) if p != region_path]
    if changed and above:
        # The regions above hold the subtree's old sums: move them by the difference at the region itself.
        difference: dict[tuple[str, dt.date, int], Counter[str]] = defaultdict(Counter)
        for cohort in set(was) | set(now_):
            before, after = was.get(cohort, (0,) * len(FACT_CELLS)), now_.get(cohort, (0,) * len(FACT_CELLS))
            for cell, b, a in zip(FACT_CELLS, before, after, strict=True):
                if a != b:
                    for path in above:
                        difference[(path, month, cohort)][cell] += a - b
        add_to_facts(difference)
    return changed


def _fill(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Put these rows into a scratch table: by COPY on PostgreSQL, in batches elsewhere."""
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    batch = 500
    pending = list(rows)
    for start in range(0, len(pending), batch):
        chunk = pending[start : start + batch]
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES {', '.join([marks] * len(chunk))}",  # noqa: S608 - names are ours
            [value for row in chunk for value in row],
        )


def _replace_visitors(region_path: str, month: dt.date, counts: Counter[tuple[int, str]]) -> None:
    """The visitor counts of the region's subtree in the month, from the rows' counts per village, written
    where they differ; the regions above move by the difference at the region itself."""
    new: Counter[tuple[int, str]] = Counter()
    for (visitor_id, village), n in counts.items():
        for path in path_prefixes(village):
            if path.startswith(region_path):
                new[(visitor_id, path)] += n
    stored = VisitorMonth.objects.filter(month=month, region_path__startswith=region_path, rows__gt=0)
    old = {(v, p): n for v, p, n in stored.values_list("visitor_id", "region_path", "rows")}
    above = [p for p in path_prefixes(region_path) if p != region_path]
    deltas: Counter[tuple[int, dt.date, str]] = Counter()
    for visitor_id, path in new.keys() | old.keys():
        moved = new.get((visitor_id, path), 0) - old.get((visitor_id, path), 0)
        if moved:
            deltas[(visitor_id, month, path)] += moved
            if path == region_path:
                for up in above:
                    deltas[(visitor_id, month, up)] += moved
    add_to_visitors(deltas)


def _replace_villages(region_path: str, month: dt.date, sums: Mapping[tuple[str, int], Sequence[int]]) -> None:
    """The villages' two numbers of the month, from the cells of their rows, written where they differ."""
    to_visit_at, visited_at = FACT_CELLS.index("to_visit"), FACT_CELLS.index("visited")
    new: dict[str, tuple[int, int]] = {}
    for (path, _cohort), values in sums.items():
        to_visit, visited = new.get(path, (0, 0))
        new[path] = (to_visit + values[to_visit_at], visited + values[visited_at])
    stored = VillageMonth.objects.filter(month=month, region_path__startswith=region_path)
    old = {
        path: (to_visit, visited)
        for path, to_visit, visited in stored.values_list("region_path", "to_visit", "visited")
    }
    write_villages(
        {
            (path, month): new.get(path, (0, 0))
            for path in new.keys() | old.keys()
            if new.get(path, (0, 0)) != old.get(path)
        },
        add=False,
    )
