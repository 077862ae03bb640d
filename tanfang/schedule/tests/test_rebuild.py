"""Rebuilding a month (`rebuild.rebuild_month`): slices of ids that leave no gaps, only the rows that
differ written, stray rows removed, and the parallel path (PostgreSQL) answering as the serial one.

The randomised reconciliation of upkeep and rebuild is `test_facts_reconcile.py`; these are the
rebuild's own edges.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tanfang.conftest import Tree
from tanfang.core import bulk
from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder, make_user, record_test_visit
from tanfang.elders.models import Elder
from tanfang.schedule import rebuild
from tanfang.schedule.models import MonthDue, MonthFact, VisitorMonth
from tanfang.schedule.months import FACT_CELLS, ROW_FIELDS, load_activity
from tanfang.schedule.services import drain_due_queue
from tanfang.visitors.services import VisitorInput, create_visitor, pair

NOW = dt.datetime(2026, 3, 20, 15, 0, tzinfo=LOCAL_TZ)
MARCH = dt.date(2026, 3, 1)
TODAY = dt.date(2026, 3, 20)


def _people(tree: Tree) -> dict[str, Elder]:
    """Six elders of March in two villages, four visited by two visitors, and two registered only in April,
    one between them by id and one after: a row of March for either is a stray."""
    officer = make_user("officer_rebuild", Role.COUNTY_OFFICER, [tree.wuzhi])
    with time_machine.travel(NOW, tick=False):
        visitors = [
            create_visitor(actor=officer, data=VisitorInput(name=f"探访员{i}", kind="volunteer", region_code=village))
            for i, village in enumerate(["410823001001", "410823001002"])
        ]
        elders: dict[str, Elder] = {}
        for i, village in enumerate(["410823001001"] * 3 + ["410823001002"] * 5):
            registered = dt.date(2026, 4, 10) if i in (3, 7) else dt.date(2026, 1, 5)
            with time_machine.travel(max(NOW, dt.datetime.combine(registered, dt.time(9), LOCAL_TZ)), tick=False):
                elder = make_elder(officer, f"老人{i}", village, sequence=40 + i, registered_on=registered)
            elders[f"e{i}"] = elder
            if i not in (3, 7):
                pair(actor=officer, elder=elder, visitor=visitors[i // 3 % 2], on=dt.date(2026, 1, 5))
        for key, method in [("e0", "home"), ("e1", "phone"), ("e4", "home"), ("e5", "video")]:
            record_test_visit(officer, elders[key], occurred_at=NOW - dt.timedelta(days=3), method=method)
        drain_due_queue()
    return elders


def _stored() -> dict[str, Any]:
    """Everything a month's figures are: rows, cells (zero rows count as none) and visitor counts."""
    return {
        "rows": {
            r["elder_id"]: tuple(r[f] for f in ROW_FIELDS)
            for r in MonthDue.objects.filter(month=MARCH).values("elder_id", *ROW_FIELDS)
        },
        "cells": {
            (f["region_path"], f["cohort"]): tuple(f[c] for c in FACT_CELLS)
            for f in MonthFact.objects.filter(month=MARCH).values("region_path", "cohort", *FACT_CELLS)
            if any(f[c] for c in FACT_CELLS)
        },
        "visitors": set(
            VisitorMonth.objects.filter(month=MARCH, rows__gt=0).values_list("visitor_id", "region_path", "rows")
        ),
    }


def _tamper(elders: dict[str, Elder]) -> None:
    """One row deleted, one changed, two stray rows added, one cell and one visitor count moved."""
    MonthDue.objects.filter(month=MARCH, elder=elders["e6"]).delete()
    MonthDue.objects.filter(month=MARCH, elder=elders["e0"]).update(visited=False, method="")
    for stray_of in ("e3", "e7"):
        stray = MonthDue.objects.get(month=MARCH, elder=elders["e2"])
        stray.pk, stray.elder_id = None, elders[stray_of].pk
        stray.save()
    village = MonthFact.objects.filter(month=MARCH, region_path__endswith="410823001001/").first()
    assert village is not None
    MonthFact.objects.filter(pk=village.pk).update(incidents=village.incidents + 2)
    VisitorMonth.objects.filter(month=MARCH).update(rows=9)


def _rebuild_and_check(elders: dict[str, Elder], monkeypatch: pytest.MonkeyPatch) -> None:
    before = _stored()
    assert len(before["rows"]) == 6 and not {elders["e3"].pk, elders["e7"].pk} & set(before["rows"])
    _tamper(elders)
    assert _stored() != before
    # When March is rebuilt in slices of two elders
    monkeypatch.setattr(rebuild, "REBUILD_CHUNK", 2)
    result = rebuild.rebuild_month(region_path="", month=MARCH, today=TODAY)
    # Then the figures are the upkeep's again: four rows written back (recreated, corrected, strays removed)
    assert _stored() == before
    assert (result.elders, result.rows, result.rows_written) == (6, 6, 4) and result.cells_changed > 0
    # And a second rebuild finds nothing to write
    again = rebuild.rebuild_month(region_path="", month=MARCH, today=TODAY)
    assert (again.rows_written, again.cells_changed) == (0, 0)


def test_a_rebuild_in_small_slices_puts_back_every_row_cell_and_visitor_count(db, monkeypatch):
    elders = _people(Tree())
    _rebuild_and_check(elders, monkeypatch)


@pytest.mark.postgresql
def test_the_rebuild_in_worker_processes_gives_what_the_serial_one_gives(transactional_db, monkeypatch):
    # (no frozen clock while rebuilding: forked worker processes must not inherit a patched clock)
    elders = _people(Tree())
    monkeypatch.setattr(rebuild, "PARALLEL_FROM", 1)
    monkeypatch.setattr(rebuild.os, "cpu_count", lambda: 2)
    assert rebuild._parallel(6) == 2
    _rebuild_and_check(elders, monkeypatch)


def test_the_activity_of_a_range_of_elders_keeps_only_those_asked_for(db, monkeypatch):
    # Given three elders with visits, and a range filter (`among`) for many ids close together
    elders = _people(Tree())
    monkeypatch.setattr(bulk, "DENSE_FROM", 2)
    asked = [elders["e0"].pk, elders["e5"].pk]
    assert "__gte" in str(bulk.among("elder_id", asked)) or elders["e5"].pk - elders["e0"].pk >= 8
    # When the activity of the first and the last is loaded
    found = load_activity(asked, MARCH, dt.date(2026, 3, 31))
    # Then the elders between them, visited too, are left out
    assert set(found) == set(asked)
    assert [v.method for v in found[elders["e5"].pk].visits] == ["video"]
