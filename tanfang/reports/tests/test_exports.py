"""The monthly 通报 and the progress report: exact figures, ranks and changes; scoped; audited; a bad month
refused in Chinese.

焦作市 has two counties. In October 2026 武陟县 visited 1 of its 4 elders and 博爱县 both of its 2; in
November 武陟县 visited 3 of 4 (two at home, one by phone, the disabled elder among them) and 博爱县 1 of
2 (by video), its third elder declining visits. So in November 武陟县 is first at 75.0% (+50.0 points),
博爱县 second at 50.0% (-50.0 points), and the city visited 4 of 6 (66.7%, +16.7 points from 50.0%).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, cast
from urllib.parse import quote

import pytest
import time_machine
from django.template.loader import render_to_string
from openpyxl import load_workbook
from pypdf import PdfReader

from tanfang.audit.models import AuditEvent
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder, record_test_visit
from tanfang.elders.inputs import GroupInput
from tanfang.elders.models import Elder
from tanfang.reports.bulletins import Bulletin
from tanfang.schedule.closing import close_month
from tanfang.schedule.figures import Ranked
from tanfang.schedule.services import drain_due_queue

JIANSHE = "410823001001"  # 武陟县 木城街道 建设社区
BAJIE = "410822001001"  # 博爱县 清化镇街道 八街
TODAY = dt.date(2026, 12, 3)
NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=LOCAL_TZ)
REGISTERED = dt.date(2025, 3, 1)
CITY_TITLE = "焦作市2026年11月探访关爱工作通报"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), LOCAL_TZ)


def visit(actor, elder, day: dt.date, method: str = "home") -> None:
    with time_machine.travel(at(day, 11), tick=False):
        record_test_visit(actor, elder, occurred_at=at(day), method=method)


@pytest.fixture
def city(tree, officer_county_north, officer_county_south):
    """October and November of 焦作市's two counties, as the module docstring tells."""
    with time_machine.travel(at(dt.date(2026, 10, 1), 8), tick=False):
        zhang = make_elder(
            officer_county_north,
            "张桂兰",
            JIANSHE,
            sequence=51,
            registered_on=REGISTERED,
            groups=[GroupInput("disabled")],
        )
        li = make_elder(officer_county_north, "李秀英", JIANSHE, sequence=52, registered_on=REGISTERED)
        wang = make_elder(officer_county_north, "王建国", JIANSHE, sequence=53, registered_on=REGISTERED)
        make_elder(officer_county_north, "赵淑珍", JIANSHE, sequence=54, registered_on=REGISTERED)
        chen = make_elder(officer_county_south, "陈玉梅", BAJIE, sequence=61, registered_on=REGISTERED)
        liu = make_elder(officer_county_south, "刘秀珍", BAJIE, sequence=62, registered_on=REGISTERED)
        make_elder(
            officer_county_south, "孙桂英", BAJIE, sequence=63, registered_on=REGISTERED, willingness="unwilling"
        )
    visit(officer_county_north, zhang, dt.date(2026, 10, 15))
    visit(officer_county_south, chen, dt.date(2026, 10, 16))
    visit(officer_county_south, liu, dt.date(2026, 10, 17))
    visit(officer_county_north, zhang, dt.date(2026, 11, 10))
    visit(officer_county_north, li, dt.date(2026, 11, 12))
    visit(officer_county_north, wang, dt.date(2026, 11, 14), method="phone")
    visit(officer_county_south, chen, dt.date(2026, 11, 16), method="video")
    with time_machine.travel(NOW, tick=False):
        drain_due_queue(TODAY)
    return tree


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def rows_by_region(sheet, header_row: int = 3) -> dict[str, dict[str, object]]:
    headers = [c.value for c in sheet[header_row]]
    found = {}
    for row in sheet.iter_rows(min_row=header_row + 1, values_only=True):
        if row[0] and len(row) == len(headers) and row[2] is not None:
            found[row[0]] = dict(zip(headers, row, strict=True))
    return found


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_bulletin_workbook_ranks_each_county_with_its_change_and_totals_the_city(
    city, clock, officer_city, as_user
):
    # when
    response = as_user(officer_city).get("/figures/report.xlsx", {"region": "410800", "month": "2026-11"})

    # then
    assert response.status_code == 200
    sheet = workbook(response.content)
    assert sheet["A1"].value == CITY_TITLE
    assert sheet["A2"].value == "统计月份：2026年11月　月结状态：未月结　制表日期：2026年12月3日"
    assert sheet.freeze_panes == "C4"
    rows = rows_by_region(sheet)
    names = list(rows)
    assert names[:2] == ["武陟县", "博爱县"] and names[-1] == "焦作市（合计）"
    assert {rows[name]["排名"] for name in names[2:-1]} == {"—"}  # the city's other districts: none to visit
    north, south, total = rows["武陟县"], rows["博爱县"], rows["焦作市（合计）"]
    assert (north["排名"], north["应探访"], north["已探访"], north["月探访率"]) == (1, 4, 3, 0.75)
    assert (north["上门"], north["电话"], north["视频"]) == (2, 1, 0)
    assert (north["失能应探访"], north["失能已探访"], north["不愿接受探访"]) == (1, 1, 0)
    assert north["较上月（个百分点）"] == 50.0
    assert (south["排名"], south["应探访"], south["已探访"], south["月探访率"]) == (2, 2, 1, 0.5)
    assert (south["视频"], south["不愿接受探访"]) == (1, 1)
    assert south["较上月（个百分点）"] == -50.0
    assert (total["排名"], total["应探访"], total["已探访"]) == (None, 6, 4)
    assert total["月探访率"] == pytest.approx(4 / 6)
    assert total["较上月（个百分点）"] == 16.7
    header = [c.value for c in sheet[3]]
    assert sheet.cell(4, header.index("月探访率") + 1).number_format == "0.0%"


def test_the_bulletin_is_of_last_month_and_the_users_own_region_by_default(city, clock, officer_city, as_user):
    # when no region and no month is asked for
    response = as_user(officer_city).get("/figures/report.xlsx")

    # then it is 焦作市's November, named so
    assert response.status_code == 200
    assert workbook(response.content)["A1"].value == CITY_TITLE
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="bulletin-410800-2026-11.xlsx"; ')
    assert f"filename*=UTF-8''{quote(CITY_TITLE + '.xlsx')}" in disposition


def test_the_printed_bulletin_has_the_title_the_counties_and_the_honour_rolls(city, clock, officer_city, as_user):
    # when
    response = as_user(officer_city).get("/figures/report.pdf", {"region": "410800", "month": "2026-11"})

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('inline; filename="bulletin-410800-2026-11.pdf"')
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    text = text_of(response.content)
    assert CITY_TITLE in text
    assert "制表日期：2026年12月3日" in text
    assert "武陟县" in text and "75.0%" in text and "+50.0" in text
    assert "红榜（探访率最高）：1. 武陟县 75.0%" in text
    assert "黑榜（探访率最低）：2. 博爱县 50.0%" in text
    assert "第 1 页，共 1 页" in text


def test_a_closed_month_is_reported_from_its_snapshot_with_the_records_added_since(
    city, officer_province, officer_county_north, officer_city, as_user
):
    # given November closed, then a visit to 赵淑珍 dated in November recorded late
    with time_machine.travel(at(dt.date(2026, 12, 6), 9), tick=False):
        close_month(actor=officer_province, region_code="410000", month=dt.date(2026, 11, 1))
    zhao = Elder.objects.get(name="赵淑珍")
    with time_machine.travel(at(dt.date(2026, 12, 7), 9), tick=False):
        record_test_visit(officer_county_north, zhao, occurred_at=at(dt.date(2026, 11, 28)))
        drain_due_queue(dt.date(2026, 12, 7))

        # when
        response = as_user(officer_city).get("/figures/report.xlsx", {"region": "410800", "month": "2026-11"})

    # then the snapshot's figures, and the late record counted apart
    sheet = workbook(response.content)
    assert "月结状态：已月结，补录 1 条" in sheet["A2"].value
    assert rows_by_region(sheet)["武陟县"]["已探访"] == 3


def test_the_progress_report_shows_the_month_so_far_and_twelve_months(city, clock, officer_county_north, as_user):
    client = as_user(officer_county_north)

    # when
    pdf = client.get("/figures/progress.pdf", {"region": "410823", "month": "2026-11"})
    xlsx = client.get("/figures/progress.xlsx", {"region": "410823", "month": "2026-11"})

    # then
    assert pdf.status_code == xlsx.status_code == 200
    text = text_of(pdf.content)
    assert "武陟县探访关爱工作进度报告（2026年11月）" in text
    assert "近12个月探访率" in text and "2025年12月" in text and "2026年10月" in text
    assert "第 1 页，共 1 页" in text
    sheet = workbook(xlsx.content)
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=4, max_row=27, values_only=True) if row[0]}
    assert (values["应探访"], values["已探访"], values["未探访"], values["月探访率"]) == (4, 3, 1, 0.75)
    assert values["较上月（个百分点）"] == 50.0
    assert (values["失能应探访"], values["失能已探访"], values["失能探访率"]) == (1, 1, 1.0)
    assert "月结状态：未月结" in sheet["A2"].value
    trend = {row[0]: row[1:4] for row in sheet.iter_rows(min_row=31, values_only=True) if row[0]}
    assert len(trend) == 12
    assert trend["2026年10月"] == (4, 1, 0.25)
    assert trend["2026年11月"] == (4, 3, 0.75)


def test_the_progress_report_is_of_this_month_by_default(city, clock, officer_county_north, as_user):
    response = as_user(officer_county_north).get("/figures/progress.pdf")

    assert response.status_code == 200
    assert "武陟县探访关爱工作进度报告（2026年12月）" in text_of(response.content)


def test_an_export_writes_one_audit_event(city, clock, officer_city, tree, as_user):
    # given
    before = AuditEvent.objects.count()

    # when
    as_user(officer_city).get("/figures/report.pdf", {"region": "410800", "month": "2026-11"})

    # then
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("pk")
    assert event.action == "report.exported"
    assert event.subject_id == "410800"
    assert event.details == {"report": "bulletin", "month": "2026-11", "format": "pdf"}


def test_another_countys_officer_gets_404_and_nothing_is_audited(city, clock, officer_county_south, as_user):
    # given
    client = as_user(officer_county_south)
    before = AuditEvent.objects.filter(action="report.exported").count()

    # when
    responses = [
        client.get(url, {"region": "410823", "month": "2026-11"})
        for url in ("/figures/report.xlsx", "/figures/report.pdf", "/figures/progress.pdf", "/figures/progress.xlsx")
    ]

    # then
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert AuditEvent.objects.filter(action="report.exported").count() == before


def test_a_visitor_reads_no_figures(city, clock, visitor_north, as_user):
    client = as_user(visitor_north)

    assert client.get("/figures/report.xlsx", {"region": JIANSHE}).status_code == 404
    assert client.get("/figures/progress.pdf").status_code == 404
    assert not AuditEvent.objects.filter(action="report.exported").exists()


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "十一月", "0000-01", "2026-11-01"])
def test_a_malformed_month_is_refused_in_chinese(tree, clock, officer_city, as_user, month):
    response = as_user(officer_city).get("/figures/report.xlsx", {"region": "410800", "month": month})

    assert response.status_code == 422
    assert "无法识别，请按“年-月”选择" in response.content.decode()
    assert not AuditEvent.objects.filter(action="report.exported").exists()


def test_a_month_not_yet_begun_is_refused(tree, clock, officer_city, as_user):
    response = as_user(officer_city).get("/figures/progress.pdf", {"region": "410800", "month": "2027-01"})

    assert response.status_code == 422
    assert "2027-01 尚未到来，没有统计数据" in response.content.decode()


def test_the_export_buttons_lead_to_the_three_reports(city, clock, officer_city, as_user):
    # given the buttons as the dashboard shows them
    html = render_to_string("reports/_export_buttons.html", {"region": city.jiaozuo, "month": dt.date(2026, 11, 1)})
    client = as_user(officer_city)

    # then each names the region and the month, and answers
    for label in ("导出通报（Excel）", "打印通报（PDF）", "进度报告（PDF）"):
        assert label in html
    links = [part.split('"')[0].replace("&amp;", "&") for part in html.split('href="')[1:]]
    assert links == [
        "/figures/report.xlsx?region=410800&month=2026-11",
        "/figures/report.pdf?region=410800&month=2026-11",
        "/figures/progress.pdf?region=410800&month=2026-11",
        "/figures/progress.xlsx?region=410800&month=2026-11",
    ]
    assert [client.get(link).status_code for link in links] == [200, 200, 200, 200]


@pytest.mark.parametrize(
    ("ranked", "best", "worst"), [(1, [], []), (2, [1], [2]), (5, [1, 2], [5, 4]), (8, [1, 2, 3], [8, 7, 6])]
)
def test_the_honour_rolls_hold_up_to_three_and_never_one_region_twice(ranked, best, worst):
    # given sub-regions ranked 1..n, and one without anyone to visit
    rows = [Ranked(figures=cast(Any, None), rank=rank, change=None) for rank in range(1, ranked + 1)]
    rows.append(Ranked(figures=cast(Any, None), rank=None, change=None))
    bulletin = Bulletin(
        region=cast(Any, None),
        month=dt.date(2026, 11, 1),
        made_on=TODAY,
        total=cast(Any, None),
        change=None,
        rows=rows,
        status=cast(Any, None),
    )

    # when
    red, black = bulletin.honour_rolls()

    # then
    assert [r.rank for r in red] == best
    assert [r.rank for r in black] == worst
