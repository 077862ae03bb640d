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
from django.db.models import Aggregate, Count, IntegerField, Q, Sum
from django.db.models.functions import Cast

from tanfang.conftest import Tree
from tanfang.core import bulk
from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder, make_user, record_test_visit
from tanfang.elders.models import Elder
from tanfang.schedule import months, rebuild
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


def test_the_rebuild_through_scratch_tables_gives_what_the_batched_statements_give(db, monkeypatch):
    # Given the same month, written by upserts that go through COPY and a scratch table from the first row
    # (PostgreSQL; elsewhere the batched statements, so the same test checks both)
    monkeypatch.setattr(months, "COPY_FROM", 1)
    elders = _people(Tree())
    # Then a rebuild after tampering puts everything back, as with the batched statements
    _rebuild_and_check(elders, monkeypatch)


def _by_hand() -> dict[tuple[str, int], dict[str, int]]:
    """Each village's cells of March as the database adds up the stored rows, without `cell_sums`."""
    counted: dict[str, Aggregate] = {
        f"n_{name}": Sum(Cast(name, IntegerField())) for name in FACT_CELLS if name in ROW_FIELDS
    }
    counted["n_elders"] = Count("pk")
    for method in ("home", "video", "phone", "other"):
        counted[f"n_visited_{method}"] = Count("pk", filter=Q(visited=True, method=method))
    rows = MonthDue.objects.filter(month=MARCH).values("region_path", "cohort").annotate(**counted)
    return {(r["region_path"], r["cohort"]): {c: r[f"n_{c}"] for c in FACT_CELLS} for r in rows}


def test_the_cells_are_the_sums_of_the_rows_as_the_database_counts_them(db):
    # Given March kept by the upkeep, then rebuilt
    elders = _people(Tree())
    rebuild.rebuild_month(region_path="", month=MARCH, today=TODAY)
    expected = _by_hand()
    assert sum(cells["visited_home"] for cells in expected.values()) == 2  # e0 and e4
    assert sum(cells["elders"] for cells in expected.values()) == len(elders) - 2  # e3 and e7: April
    # Then every village cell is what the database counts from the rows, cell by cell
    stored = {
        (f["region_path"], f["cohort"]): {c: f[c] for c in FACT_CELLS}
        for f in MonthFact.objects.filter(month=MARCH, region_path__in={path for path, _c in expected}).values(
            "region_path", "cohort", *FACT_CELLS
        )
    }
    assert stored == expected


def test_deleting_an_elder_deletes_its_months_without_a_key_in_the_database(db):
    # Given elders with rows of March (MonthDue.elder has no foreign key in the database)
    elders = _people(Tree())
    assert MonthDue.objects.filter(elder=elders["e2"]).exists()
    # When one is deleted through the ORM
    Elder.objects.filter(pk=elders["e2"].pk).delete()  # never visited: nothing protects it
    # Then its rows go with it, and the others stay
    assert not MonthDue.objects.filter(elder_id=elders["e2"].pk).exists()
    assert MonthDue.objects.filter(elder=elders["e1"]).exists()


def test_a_copy_line_escapes_what_copy_text_would_read_as_a_separator():
    row = months.ElderMonth(region_path="410000/a\tb\\c\n/", cohort=3, to_visit=True, method="home", visitors=(7, 9))
    line = months._copy_line(12, MARCH, row)
    fields = line.removesuffix("\n").split("\t")
    assert fields[:5] == ["12", "2026-03-01", "410000/a\\tb\\\\c\\n/", "3", "t"]
    assert fields[-1] == "[7, 9]" and len(fields) == 2 + len(ROW_FIELDS)
