"""Every .xlsx export checks the export permission, and writes text as text: "=…" is never a formula."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from openpyxl import load_workbook

from tanfang.audit.models import AuditEvent
from tanfang.core.time import LOCAL_TZ
from tanfang.core.xlsx import XlsxWriter
from tanfang.devtools.factories import make_elder
from tanfang.schedule.services import refresh_due

JIANSHE = "410823001001"
NOW = dt.datetime(2026, 11, 18, 15, 0, tzinfo=LOCAL_TZ)
SCHEDULE_LISTS = ["not_visited", "overdue", "unpaired", "loads"]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def formula_elder(tree, officer_county_north, frozen):
    elder = make_elder(
        officer_county_north,
        "=1+1",
        JIANSHE,
        registered_on=dt.date(2026, 1, 5),
        address='=HYPERLINK("http://example.invalid","点我")',
    )
    refresh_due([elder.pk], NOW.date())
    return elder


def _cells(content: bytes) -> list[tuple[object, str]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [(cell.value, cell.data_type) for row in sheet.iter_rows(min_row=2) for cell in row]


@pytest.mark.parametrize("kind", ["not_visited", "overdue", "unpaired"])
def test_a_name_starting_with_equals_is_written_as_text_in_the_schedule_lists(
    formula_elder, as_user, officer_county_north, kind
):
    response = as_user(officer_county_north).get(f"/schedule/410823/{kind}.xlsx")

    assert response.status_code == 200
    cells = _cells(response.content)
    assert ("=1+1", "s") in cells
    assert not any(kind == "f" for _value, kind in cells)


def test_the_registry_export_writes_formulas_as_text(formula_elder, as_user, officer_county_north):
    response = as_user(officer_county_north).get("/elders/export.xlsx")

    cells = _cells(response.content)
    assert ("=1+1", "s") in cells
    assert ('=HYPERLINK("http://example.invalid","点我")', "s") in cells
    assert not any(kind == "f" for _value, kind in cells)


@pytest.mark.parametrize("kind", SCHEDULE_LISTS)
def test_a_role_that_sees_elders_but_may_not_export_gets_403_and_no_file(
    formula_elder, as_user, worker_village_north, kind
):
    # given a village worker: it sees its village's elders, but exports are for officers
    client = as_user(worker_village_north)
    before = AuditEvent.objects.filter(action="elder.exported").count()

    # when
    response = client.get(f"/schedule/{JIANSHE}/{kind}.xlsx")

    # then
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()
    assert AuditEvent.objects.filter(action="elder.exported").count() == before
    assert client.get("/elders/export.xlsx").status_code == 403


def test_the_region_page_offers_the_export_only_to_those_who_may(
    formula_elder, as_user, worker_village_north, officer_county_north
):
    worker_page = as_user(worker_village_north).get(f"/schedule/{JIANSHE}/").content.decode()
    officer_page = as_user(officer_county_north).get(f"/schedule/{JIANSHE}/").content.decode()

    assert "导出 Excel" not in worker_page
    assert "导出 Excel" in officer_page


def test_another_countys_officer_cannot_export_this_countys_lists(formula_elder, as_user, officer_county_south):
    for kind in SCHEDULE_LISTS:
        assert as_user(officer_county_south).get(f"/schedule/410823/{kind}.xlsx").status_code == 404


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(A1)", "普通文字"])
def test_the_writer_keeps_every_text_a_text(text):
    book = XlsxWriter()
    book.sheet("名单", ["内容"])
    book.row([text, 3, dt.date(2026, 11, 18)])

    cells = _cells(book.to_bytes())

    assert cells[0] == (text, "s")
    assert cells[1] == (3, "n")
    assert cells[2][1] == "d" or isinstance(cells[2][0], dt.datetime)
