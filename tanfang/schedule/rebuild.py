"""Rebuilding a month's figures from the records: `tanfang rebuild_facts --month YYYY-MM [--region CODE]`.

The same `months.elder_month` the upkeep uses, over every elder of the region, from the records of that
month alone; the rows and facts are then replaced (`months.replace_month`). On data the upkeep kept,
nothing changes: the command reports how many fact cells moved, which should be none.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from django.db import connection, connections, transaction
from django.db.models import QuerySet

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.time import local_today
from tanfang.elders.models import Elder
from tanfang.regions.models import Region
from tanfang.schedule import due
from tanfang.schedule.models import MonthDue, MonthFact, VisitorMonth
from tanfang.schedule.months import Activity, MonthSlice, compare_slice, elder_month, load_activity, replace_month
from tanfang.schedule.policies import current_policies
from tanfang.schedule.services import DRAIN_LOCK, PARALLEL_FROM, REGISTRY_FIELDS, registry_facts

REBUILD_CHUNK = 5000
ANALYZE_FROM = 50_000  # rows and cells written by a rebuild from which the tables are analysed after it


@dataclass(frozen=True)
class Rebuilt:
    region_path: str
    month: dt.date
    elders: int
    rows: int
    rows_written: int  # rows that differed from the stored ones (none when the upkeep kept them right)
    cells_changed: int


def _registered(region_path: str, last: dt.date) -> QuerySet[Elder]:
    """The elders a month of the region looks at: registered by the month's end, not merged away."""
    return Elder.objects.filter(region_path__startswith=region_path, merged_into__isnull=True, registered_on__lte=last)


def _rows_between(args: tuple[str, int, int, dt.date, dt.date]) -> MonthSlice:
    """The elder months of the region's elders with ids from `low` to `high`, against the stored ones:
    one slice of the work."""
    region_path, low, high, month, today = args
    first, last = due.month_bounds(month.year, month.month)
    policies = current_policies()
    elders = list(
        _registered(region_path, last)
        .filter(pk__gte=low, pk__lte=high)
        .order_by("pk")
        .values_list(*REGISTRY_FIELDS, named=True)  # what registry_facts reads, without building models
    )
    facts = registry_facts(elders, rechecks=False)
    activity = load_activity([elder.pk for elder in elders], first, last)
    found = []
    for elder in elders:
        row = elder_month(
            facts[elder.pk],
            activity.get(elder.pk) or Activity(),
            policies.policy(elder.region_path),
            month,
            today,
            region_path=elder.region_path,
        )
        if row is not None:
            found.append((elder.pk, row))
    return compare_slice(region_path, month, low, high, found)


def _rows_between_in_child(args: tuple[str, int, int, dt.date, dt.date]) -> MonthSlice:
    # A slice makes some hundred thousand small objects that live until it ends: the cycle collector
    # would walk them again and again (a third of the slice's time). It waits until the slice is done;
    # the objects themselves are freed by their reference counts.
    gc.disable()
    try:
        return _rows_between(args).packed(args[3])
    finally:
        connections.close_all()
        gc.enable()


def _worker_start() -> None:
    gc.freeze()  # what the worker inherited from its parent (Django, the app) is never collected: skip it


def _warm(_: int) -> int:
    return os.getpid()


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes forked while this process holds no database connection (a forked child must never
    touch its parent's), all started before the rebuild opens its transaction."""
    connections.close_all()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start)
    list(pool.map(_warm, range(workers)))
    return pool


def _parallel(count: int) -> int:
    """How many processes compute the rows: every core (up to four) for big regions on PostgreSQL, when
    this process may have children and no transaction is open (children could not see its writes)."""
    workers = min(os.cpu_count() or 1, 4)
    if (
        connection.vendor != "postgresql"
        or count < PARALLEL_FROM
        or workers < 2
        or multiprocessing.current_process().daemon
        or connection.in_atomic_block
    ):
        return 1
    return workers


def month_slices(
    region_path: str, month: dt.date, today: dt.date, pool: ProcessPoolExecutor | None = None
) -> tuple[Iterator[MonthSlice], int, tuple[int, int] | None]:
    """The region's month computed from its records, slice by slice of ids (in `pool` when given), how many
    elders are looked at (those registered by the month's end), and the span of their ids. The slices
    leave no gap in the span: each reaches to where the next begins, so every stored row in it is
    compared with its new one or found gone."""
    last = due.month_bounds(month.year, month.month)[1]
    ids = list(_registered(region_path, last).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return iter(()), 0, None
    starts = list(range(0, len(ids), REBUILD_CHUNK))
    slices = [
        (region_path, ids[start], ids[starts[i + 1]] - 1 if i + 1 < len(starts) else ids[-1], month, today)
        for i, start in enumerate(starts)
    ]
    parts = pool.map(_rows_between_in_child, slices) if pool is not None else map(_rows_between, slices)
    return iter(parts), len(ids), (ids[0], ids[-1])


def rebuild_month(*, region_path: str, month: dt.date, today: dt.date | None = None) -> Rebuilt:
    """Recompute a region's month from the records and replace its rows and facts. One drain at a time:
    the queue's drains wait (PostgreSQL advisory lock) while the rows are computed and written, and the
    region's fact cells are locked first. Big regions are computed in several processes."""
    today = today or local_today()
    month = month.replace(day=1)
    last = due.month_bounds(month.year, month.month)[1]
    workers = _parallel(_registered(region_path, last).count())
    pool = _pool(workers) if workers > 1 else None
    collecting = gc.isenabled()
    gc.disable()  # the slices' results, a million small objects, would be walked again and again (see above)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DRAIN_LOCK])
            list(MonthFact.objects.select_for_update().filter(region_path=region_path, month=month).values_list("pk"))
            slices, considered, span = month_slices(region_path, month, today, pool)
            result = replace_month(region_path, month, slices, span)
            record_event(
                actor=None,
                action=Action.FACTS_REBUILT,
                subject_type="region",
                subject_id=region_path.rstrip("/").rsplit("/", 1)[-1] if region_path else "",
                region_path=region_path or None,
                details={
                    "month": f"{month:%Y-%m}",
                    "rows": result["rows"],
                    "rows_written": result["rows_written"],
                    "cells_changed": result["cells_changed"],
                },
            )
    finally:
        if collecting:
            gc.enable()
        if pool is not None:
            pool.shutdown()
    if connection.vendor == "postgresql" and result["rows_written"] + result["cells_changed"] >= ANALYZE_FROM:
        # Many rows of one month written at once (a first fill): the planner's statistics still say the
        # month is as it was, and would choose scans that are slow on what it is now.
        with connection.cursor() as cursor:
            for model in (MonthDue, MonthFact, VisitorMonth):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return Rebuilt(region_path, month, considered, result["rows"], result["rows_written"], result["cells_changed"])


def path_of(code: str) -> str | None:
    """The path of the region with this code, or None (the command's --region)."""
    return Region.objects.filter(code=code).values_list("path", flat=True).first()
