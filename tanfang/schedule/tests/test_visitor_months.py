"""Visitors active are kept per region at every level: the migration that spread the village rows up,
and the count a region reads."""

from __future__ import annotations

import datetime as dt
import importlib

from django.apps import apps

from tanfang.schedule.figures import _live_visitors
from tanfang.schedule.models import VisitorMonth

MONTH = dt.date(2026, 3, 1)
TOWNSHIP = "410000/410800/410823/410823001000/"
A, B = TOWNSHIP + "410823001001/", TOWNSHIP + "410823001002/"


def test_the_village_rows_are_spread_to_every_region_above_and_counted_there(db):
    # Given village rows as they were kept before: one visitor in two villages, another in one
    VisitorMonth.objects.bulk_create(
        [
            VisitorMonth(visitor_id=1, month=MONTH, region_path=A, rows=2),
            VisitorMonth(visitor_id=1, month=MONTH, region_path=B, rows=1),
            VisitorMonth(visitor_id=2, month=MONTH, region_path=A, rows=1),
            VisitorMonth(visitor_id=3, month=MONTH, region_path=B, rows=0),  # a count fallen to zero
        ]
    )
    # When the migration runs
    migration = importlib.import_module("tanfang.schedule.migrations.0008_visitors_at_every_level")
    migration.spread_up(apps, None)
    # Then every region above holds each visitor once, with the rows of its villages
    rows = {(v.visitor_id, v.region_path): v.rows for v in VisitorMonth.objects.filter(rows__gt=0)}
    assert rows[(1, TOWNSHIP)] == 3 and rows[(1, "410000/")] == 3 and rows[(2, "410000/410800/")] == 1
    assert (3, TOWNSHIP) not in rows
    # And a region's visitors active are a count of its rows
    assert _live_visitors([TOWNSHIP, A, B, "410000/410800/410822/"], MONTH) == {
        TOWNSHIP: 2,
        A: 2,
        B: 1,
        "410000/410800/410822/": 0,
    }
