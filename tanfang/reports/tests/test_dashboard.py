"""The supervision dashboard (统计分析) and the lists of elders behind its numbers, through the pages.

The figures are built the way production builds them: elders registered and visits recorded through the
services, then the due-refresh queue drained. The clock is pinned to 12 March 2026.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tanfang.alerts.services import open_incident
from tanfang.care.care_services import CareServiceInput, record_care_service
from tanfang.care.services import FollowUpInput, open_follow_up
from tanfang.core.errors import ValidationFailed
from tanfang.core.roles import RegionLevel
from tanfang.core.time import LOCAL_TZ, local_today
from tanfang.devtools.factories import ensure_region, make_elder, record_test_visit
from tanfang.elders.inputs import GroupInput
from tanfang.records.tests.helpers import png
from tanfang.regions.models import Region
from tanfang.reports.dashboard import Number, SubRegion, red_and_black
from tanfang.schedule.closing import close_due_months
from tanfang.schedule.figures import parse_month
from tanfang.schedule.services import drain_due_queue

NOW = dt.datetime(2026, 3, 12, 10, 0, tzinfo=LOCAL_TZ)
REGISTERED = dt.date(2025, 6, 1)
JIANSHE, HEPING, BAJIE = "410823001001", "410823001002", "410822001001"


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def march(clock, tree, officer_county_north, officer_county_south, settings, tmp_path):
    """March 2026: 武陟县 has three elders to visit and visited two (张 at home, 王 by phone; 李, disabled,
    not yet); 博爱县 has one and visited it."""
    settings.MEDIA_ROOT = tmp_path
    north, south = officer_county_north, officer_county_south
    elders = {
        "张桂兰": make_elder(north, "张桂兰", JIANSHE, sequence=11, registered_on=REGISTERED),
        "李秀英": make_elder(
            north, "李秀英", JIANSHE, sequence=12, registered_on=REGISTERED, groups=[GroupInput("disabled")]
        ),
        "王建国": make_elder(north, "王建国", HEPING, sequence=13, registered_on=REGISTERED),
        "赵福": make_elder(south, "赵福", BAJIE, sequence=14, registered_on=REGISTERED),
    }
    two_days_ago = NOW - dt.timedelta(days=2)
    record_test_visit(north, elders["张桂兰"], occurred_at=two_days_ago)
    record_test_visit(north, elders["王建国"], occurred_at=two_days_ago, method="phone")
    record_test_visit(south, elders["赵福"], occurred_at=two_days_ago)
    drain_due_queue(local_today())
    return elders


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def link(page: str, name: str) -> str:
    """The address of the link whose text is `name`."""
    found = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>\s*' + re.escape(name) + r"\s*</a>", page)
    assert found, f"no link named {name}"
    return html.unescape(found[0])


def number_link(page: str, key: str) -> str:
    """The address behind one of the page's numbers (data-testid="n-KEY")."""
    found = re.search(r'data-testid="n-' + key + r'"><a href="([^"]+)"', page)
    assert found, f"number {key} has no link"
    return html.unescape(found[1])


def sub_region_row(page: str, code: str) -> list[str]:
    """The cells of a sub-region's row of the ranking, as text."""
    row = re.search(r'<tr data-region="' + code + r'">(.*?)</tr>', page)
    assert row, f"no row for {code}"
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row[1])
    return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]


# --- what the dashboard shows ----------------------------------------------------------------------


def test_the_province_officer_sees_the_rate_and_the_ranked_sub_regions(march, officer_province, as_user):
    # given
    client = as_user(officer_province)

    # when the officer opens the dashboard on its own province, then on the city below
    province = text_of(client.get("/figures/"))
    city = text_of(client.get(link(province, "焦作市")))

    # then the province's month: 4 to visit, 3 visited, 1 not
    assert "统计分析 · 河南省" in province
    assert 'data-testid="rate-value">75.0%<' in province
    assert ">4</a>" in province and 'data-testid="n-visited"><a href="/figures/elders/?region=410000' in province
    assert sub_region_row(province, "410800")[:7] == ["1", "焦作市", "75.0%", "↑ 75.0", "4", "3", "1"]
    # and the city's counties ranked: 博爱县 first with 100%, 武陟县 second with 2 of 3
    assert "统计分析 · 焦作市" in city
    assert sub_region_row(city, "410822") == ["1", "博爱县", "100.0%", "↑ 100.0", "1", "1", "0"]
    assert sub_region_row(city, "410823") == ["2", "武陟县", "66.7%", "↑ 66.7", "3", "2", "1"]
    assert re.search(r'data-testid="red-list">.*博爱县.*武陟县.*</ol>', city)


def test_clicking_through_the_regions_reaches_exactly_the_elders_not_visited(march, officer_province, as_user):
    # given
    client = as_user(officer_province)
    page = text_of(client.get("/figures/"))

    # when the officer follows the links province → city → county → township → village
    for name in ("焦作市", "武陟县", "木城街道", "建设社区居民委员会"):
        page = text_of(client.get(link(page, name)))
        assert f"统计分析 · {name}" in page
    # and then the village's number of elders not visited
    elders = client.get(number_link(page, "not_visited"))

    # then the list names exactly 李秀英, linked to her page
    assert elders.status_code == 200
    listed = text_of(elders)
    assert "未探访 · 建设社区居民委员会" in listed
    assert re.findall(r'<a href="/elders/(\d+)/">([^<]+)</a>', listed) == [(str(march["李秀英"].pk), "李秀英")]


def test_the_disabled_elders_coverage_leads_to_the_disabled_elders(march, officer_county_north, as_user):
    # given
    client = as_user(officer_county_north)

    # when
    page = text_of(client.get("/figures/"))
    disabled = re.search(r'data-testid="disabled-table">(.*?)</table>', page)

    # then 1 disabled elder to visit, none visited; the number links to her alone
    assert disabled
    assert re.findall(r"<th scope=\"row\">([^<]+)</th><td[^>]*>(?:<a [^>]+>)?(\d+)", disabled[1]) == [
        ("应探访", "1"),
        ("已探访", "0"),
        ("未探访", "1"),
        ("其中上门探访", "0"),
    ]
    url = html.unescape(re.findall(r'href="([^"]+)"', disabled[1])[-1])
    assert "group=disabled" in url and "measure=not_visited" in url
    listed = text_of(client.get(url))
    assert "未探访（失能） · 武陟县" in listed
    assert re.findall(r'<a href="/elders/\d+/">([^<]+)</a>', listed) == ["李秀英"]


def test_the_methods_and_their_elders(march, officer_county_north, as_user):
    client = as_user(officer_county_north)

    page = text_of(client.get("/figures/"))
    phoned = text_of(client.get(number_link(page, "visited_phone")))

    methods = re.search(r'data-testid="methods-table">(.*?)</table>', page)
    assert methods
    assert re.findall(r"<th scope=\"row\">([^<]+)</th><td[^>]*>(?:<a [^>]+>)?(\d+)", methods[1]) == [
        ("上门探访", "1"),
        ("互联网音（视）频探访", "0"),
        ("电话问候", "1"),
        ("其他", "0"),
    ]
    assert re.findall(r'<a href="/elders/\d+/">([^<]+)</a>', phoned) == ["王建国"]
    assert 'data-label="探访方式">电话问候<' in phoned


def test_follow_ups_care_services_and_incidents_are_counted(march, officer_county_north, as_user):
    # given a follow-up, two care services (satisfied, very satisfied) and an incident for 张桂兰 in March
    zhang = march["张桂兰"]
    open_follow_up(actor=officer_county_north, elder_id=zhang.pk, data=FollowUpInput(kind="reminder", title="提醒"))
    for satisfaction in ("satisfied", "very_satisfied"):
        record_care_service(
            actor=officer_county_north,
            elder_id=zhang.pk,
            data=CareServiceInput(
                served_on=local_today(),
                content="上门服务",
                server_name="周敏",
                satisfaction=satisfaction,
                server_signature=png(),
            ),
        )
    open_incident(actor=officer_county_north, elder_id=zhang.pk, kind="fall")
    drain_due_queue(local_today())

    # when
    page = text_of(as_user(officer_county_north).get("/figures/"))

    # then each is counted, and the counts with a measure lead to 张桂兰
    assert re.search(r'data-testid="n-fu_opened"><a [^>]+>1</a>', page)
    assert 'data-testid="n-fu_done">0<' in page
    assert re.search(r'data-testid="n-services"><a [^>]+>2</a>', page)
    assert 'data-testid="n-satisfaction">4.5<' in page
    assert re.search(r'data-testid="n-incidents"><a [^>]+>1</a>', page)
    services = text_of(as_user(officer_county_north).get(number_link(page, "services")))
    assert re.findall(r'<a href="/elders/\d+/">([^<]+)</a>', services) == ["张桂兰"]
    assert "关爱服务 2" in services and "紧急事件 1" in services


def test_the_page_carries_the_chart_data_and_the_charts_script(march, officer_county_north, as_user):
    page = as_user(officer_county_north).get("/figures/")

    assert page.status_code == 200
    data = page.context["board"].data
    assert data["trend"]["months"][-1] == "2026-03" and len(data["trend"]["months"]) == 12
    assert data["trend"]["toVisit"][-1] == 3 and data["trend"]["visited"][-1] == 2
    assert data["trend"]["rates"][-1] == 66.7
    assert data["subRegions"] == {"names": ["木城街道"], "rates": [66.7]}
    text = page.content.decode()
    assert '<script id="dashboard-data" type="application/json">' in text
    assert "/static/vendor/echarts/echarts.min.js" in text and "/static/reports/dashboard.js" in text


def test_a_region_without_figures_says_so(clock, tree, officer_county_south, as_user):
    # given a county where nobody is registered
    # when
    response = as_user(officer_county_south).get("/figures/")

    # then
    assert response.status_code == 200
    text = text_of(response)
    assert "本月暂无数据" in text
    assert sub_region_row(text, "410822001000")[:4] == ["—", "博爱县清化镇街道", "—", "—"]


def test_a_closed_month_shows_its_snapshot_after_a_late_record(march, clock, officer_county_north, as_user):
    # given March closed after its grace days
    clock.move_to(dt.datetime(2026, 4, 10, 10, 0, tzinfo=LOCAL_TZ))
    assert close_due_months(local_today())

    # when a visit to 李秀英 dated in March arrives late, and the officer opens March
    record_test_visit(
        officer_county_north, march["李秀英"], occurred_at=dt.datetime(2026, 3, 20, 9, 0, tzinfo=LOCAL_TZ)
    )
    drain_due_queue(local_today())
    response = as_user(officer_county_north).get("/figures/?region=410823&month=2026-03")

    # then the month shows its snapshot: still 2 of 3, with one correction waiting
    text = text_of(response)
    state = re.search(r'data-testid="month-state">(.*?)</p>', text)
    assert state and "已月结" in state[1]
    assert 'data-testid="corrections">补录 1<' in text
    assert 'data-testid="rate-value">66.7%<' in text
    assert re.search(r'data-testid="n-visited"><a [^>]+>2</a>', text)
    # and the list behind "未探访" says it shows the records as they are now
    listed = text_of(as_user(officer_county_north).get(number_link(text, "not_visited")))
    assert 'data-testid="closed-note"' in listed


def test_an_open_month_says_when_it_closes(march, officer_county_north, as_user):
    text = text_of(as_user(officer_county_north).get("/figures/?month=2026-02"))

    state = re.search(r'data-testid="month-state">(.*?)</p>', text)
    assert state and "未月结" in state[1] and "月结日 2026-03-05" in state[1]


@pytest.mark.parametrize(
    ("text", "month"),
    [("", dt.date(2026, 3, 1)), (" 2026-03 ", dt.date(2026, 3, 1)), ("2025-12", dt.date(2025, 12, 1))],
)
def test_a_month_is_read_from_its_year_and_month(text, month):
    assert parse_month(text, dt.date(2026, 3, 31)) == month


@pytest.mark.parametrize("text", ["2026-04", "2026-3", "2026-00", "２０２６-０３", "2026-03-01", "1999-12"])
def test_anything_else_and_a_month_to_come_are_refused(text):
    with pytest.raises(ValidationFailed):
        parse_month(text, dt.date(2026, 3, 31))


# --- refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/figures/?region=410823",
        "/figures/?region=410823&month=2026-03",
        "/figures/elders/?region=410823&month=2026-03&measure=not_visited",
        "/figures/elders/?region=410823&month=bad&measure=not_visited",
    ],
)
def test_a_region_outside_the_scope_answers_404(march, officer_county_south, as_user, url):
    response = as_user(officer_county_south).get(url)

    assert response.status_code == 404
    assert "武陟" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/figures/",
        "/figures/?region=410823001001",
        "/figures/elders/?region=410823001001&month=2026-03&measure=not_visited",
    ],
)
def test_a_visitor_gets_404_and_no_menu_item(march, visitor_north, as_user, url):
    client = as_user(visitor_north)

    assert client.get(url).status_code == 404
    assert "统计分析" not in client.get("/").content.decode()


def test_officers_find_the_dashboard_in_the_menu(clock, officer_township_north, as_user):
    home = as_user(officer_township_north).get("/").content.decode()

    assert '<a class="nav-link tap-target" href="/figures/">统计分析</a>' in home


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "月份“2026-13”无法识别，请按“年-月”选择，例如 2026-03"),
        ("三月", "月份“三月”无法识别，请按“年-月”选择，例如 2026-03"),
        ("1999-12", "月份“1999-12”无法识别，请按“年-月”选择，例如 2026-03"),
        ("2026-04", "2026-04 尚未到来，没有统计数据"),
    ],
)
def test_a_bad_or_future_month_is_refused_in_chinese(march, officer_county_north, as_user, month, message):
    client = as_user(officer_county_north)

    dashboard = client.get("/figures/", {"month": month})
    elders = client.get("/figures/elders/", {"region": "410823", "month": month, "measure": "visited"})

    for response in (dashboard, elders):
        assert response.status_code == 422
        text = text_of(response)
        assert f'data-testid="month-error">{html.escape(message)}<' in text
        assert 'type="month"' in text  # the picker, to choose again


def test_an_unknown_measure_or_group_answers_404(march, officer_county_north, as_user):
    client = as_user(officer_county_north)

    assert client.get("/figures/elders/?region=410823&month=2026-03&measure=everything").status_code == 404
    assert client.get("/figures/elders/?region=410823&month=2026-03&measure=visited&group=vip").status_code == 404


# --- speed ----------------------------------------------------------------------------------------


def _township_with_villages(tree, count: int) -> list[Region]:
    return [
        ensure_region(f"410823001{i:03d}", f"第{i}村", RegionLevel.VILLAGE, tree.mucheng) for i in range(3, 3 + count)
    ]


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/figures/?region=410823001000").status_code == 200
    return len(queries)


def test_the_dashboard_reads_a_bounded_number_of_rows_whatever_the_number_of_elders(
    clock, tree, officer_county_north, as_user, django_assert_max_num_queries, settings, tmp_path
):
    # given a township of eight villages with one elder visited in each
    settings.MEDIA_ROOT = tmp_path
    villages = [tree.jianshe, tree.heping, *_township_with_villages(tree, 6)]
    sequence = iter(range(100, 200))

    def register_one_in_each() -> None:
        for village in villages:
            elder = make_elder(
                officer_county_north, "老人", village.code, sequence=next(sequence), registered_on=REGISTERED
            )
            record_test_visit(officer_county_north, elder, occurred_at=NOW - dt.timedelta(days=1))
        drain_due_queue(local_today())

    register_one_in_each()
    client = as_user(officer_county_north)
    client.get("/figures/?region=410823001000")  # the session and caches warm
    few = _dashboard_queries(client)

    # when three times as many elders are registered and visited
    register_one_in_each()
    register_one_in_each()

    # then the dashboard reads as many times as before, and within a fixed bound
    assert _dashboard_queries(client) == few
    with django_assert_max_num_queries(100):
        client.get("/figures/?region=410823001000")


# --- the 红黑榜 ----------------------------------------------------------------------------------------


def _row(name: str, rank: int | None) -> SubRegion:
    zero = Number("n", "n", 0)
    rate = 100.0 - rank if rank is not None else None
    return SubRegion(Region(code=name, name=name), rank, rate, None, zero, zero, zero, "")


@pytest.mark.parametrize(
    ("count", "best", "worst"),
    [
        (12, [1, 2, 3, 4, 5], [12, 11, 10, 9, 8]),
        (10, [1, 2, 3, 4, 5], [10, 9, 8, 7, 6]),
        (7, [1, 2, 3, 4, 5], [7, 6]),
        (3, [1, 2, 3], []),
        (0, [], []),
    ],
)
def test_the_red_and_black_lists_name_five_each_and_no_one_twice(count, best, worst):
    # given the ranked sub-regions, best first, and one with nobody to visit (unranked, last)
    rows = [*(_row(f"第{i}村", i) for i in range(1, count + 1)), _row("无人村", None)]

    # when
    red, black = red_and_black(rows)

    # then
    assert [r.rank for r in red] == best
    assert [r.rank for r in black] == worst
