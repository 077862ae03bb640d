"""Rebuilding a month's figures from the records: `tanfang rebuild_facts --month YYYY-MM [--region CODE]`.

The same `months.elder_month` the upkeep uses, over every elder of the region, from the records of that
month alone; the rows and facts are then replaced (`months.replace_month`). On data the upkeep kept,
nothing changes: the command reports how many fact cells moved, which should be none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.time import local_today
from tanfang.elders.models import Elder
from tanfang.regions.models import Region
from tanfang.schedule import due
from tanfang.schedule.models import MonthFact
from tanfang.schedule.months import Activity, ElderMonth, elder_month, load_activity, replace_month
from tanfang.schedule.policies import current_policies
from tanfang.schedule.services import DRAIN_LOCK, REGISTRY_FIELDS, registry_facts

REBUILD_CHUNK = 5000


@dataclass(frozen=True)
class Rebuilt:
    region_path: str
    month: dt.date
    elders: int
    rows: int
    cells_changed: int


def month_rows(region_path: str, month: dt.date, today: dt.date) -> tuple[dict[int, ElderMonth], int]:
    """Every elder month of the region, computed from the records of that month, and how many elders
    were looked at (those registered by the month's end)."""
    first, last = due.month_bounds(month.year, month.month)
    policies = current_policies()
    ids = list(
        Elder.objects.filter(region_path__startswith=region_path, merged_into__isnull=True, registered_on__lte=last)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rows: dict[int, ElderMonth] = {}
    for start in range(0, len(ids), REBUILD_CHUNK):
        chunk = ids[start : start + REBUILD_CHUNK]
        elders = list(Elder.objects.filter(pk__in=chunk).only(*REGISTRY_FIELDS))
        facts = registry_facts(elders, rechecks=False)
        activity = load_activity(chunk, first, last)
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
                rows[elder.pk] = row
    return rows, len(ids)


def rebuild_month(*, region_path: str, month: dt.date, today: dt.date | None = None) -> Rebuilt:
    """Recompute a region's month from the records and replace its rows and facts. One drain at a time:
    the queue's drains wait (PostgreSQL advisory lock), and the region's fact cells are locked first."""
    today = today or local_today()
    month = month.replace(day=1)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DRAIN_LOCK])
        list(MonthFact.objects.select_for_update().filter(region_path=region_path, month=month).values_list("pk"))
        rows, considered = month_rows(region_path, month, today)
        result = replace_month(region_path, month, rows)
        record_event(
            actor=None,
            action=Action.FACTS_REBUILT,
            subject_type="region",
            subject_id=region_path.rstrip("/").rsplit("/", 1)[-1] if region_path else "",
            region_path=region_path or None,
            details={"month": f"{month:%Y-%m}", "rows": result["rows"], "cells_changed": result["cells_changed"]},
        )
    return Rebuilt(region_path, month, considered, result["rows"], result["cells_changed"])


def path_of(code: str) -> str | None:
    """The path of the region with this code, or None (the command's --region)."""
    return Region.objects.filter(code=code).values_list("path", flat=True).first()
