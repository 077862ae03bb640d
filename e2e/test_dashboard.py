"""Officers of a province, a county and a township open 统计分析 from the menu, see the month's visit rate
and its charts, drill down through the regions by clicking, and reach the elders behind a number.

The clock is pinned to 12 March 2026 (ticking), for the server and the data alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Page, expect

from e2e.conftest import DESKTOP, click_nav, log_in, screenshot
from tanfang.accounts.models import User
from tanfang.conftest import Tree
from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ, local_today
from tanfang.devtools.factories import make_elder, make_user, record_test_visit
from tanfang.elders.inputs import GroupInput
from tanfang.elders.models import Elder
from tanfang.schedule.services import drain_due_queue

pytestmark = pytest.mark.e2e
NOW = dt.datetime(2026, 3, 12, 10, 0, tzinfo=LOCAL_TZ)
REGISTERED = dt.date(2025, 6, 1)
JIANSHE, HEPING, BAJIE = "410823001001", "410823001002", "410822001001"


@pytest.fixture
def march(tree: Tree, officer_wuzhi: User, officer_boai: User, settings, tmp_path) -> Iterator[dict[str, Elder]]:
    """March 2026: 武陟县 visited two of its three elders (李秀英, disabled, not yet); 博爱县 its one."""
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=True):
        elders = {
            "张桂兰": make_elder(officer_wuzhi, "张桂兰", JIANSHE, sequence=11, registered_on=REGISTERED),
            "李秀英": make_elder(
                officer_wuzhi, "李秀英", JIANSHE, sequence=12, registered_on=REGISTERED, groups=[GroupInput("disabled")]
            ),
            "王建国": make_elder(officer_wuzhi, "王建国", HEPING, sequence=13, registered_on=REGISTERED),
            "赵福": make_elder(officer_boai, "赵福", BAJIE, sequence=14, registered_on=REGISTERED),
        }
        earlier = NOW - dt.timedelta(days=2)
        record_test_visit(officer_wuzhi, elders["张桂兰"], occurred_at=earlier)
        record_test_visit(officer_wuzhi, elders["王建国"], occurred_at=earlier, method="phone")
        record_test_visit(officer_boai, elders["赵福"], occurred_at=earlier)
        drain_due_queue(local_today())
        yield elders


def watch_console(page: Page) -> list[str]:
    """Errors the page logs (a script refused by the Content-Security-Policy, say)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def expect_charts_drawn(page: Page) -> None:
    expect(page.locator("#chart-trend canvas")).to_have_count(1)
    expect(page.locator("#chart-trend canvas")).to_be_visible()
    bar = page.locator(".progress-bar")
    if bar.count():
        width = bar.evaluate("element => element.getBoundingClientRect().width")
        assert width > 0  # dashboard.js set the bar's width


def expect_no_sideways_scroll(page: Page) -> None:
    """Nothing wider than the phone: wide tables scroll inside their own box."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]


def click_link(page: Page, scope: str, name: str) -> None:
    with page.expect_navigation():
        page.locator(scope).get_by_role("link", name=name, exact=True).first.click()


def test_the_province_officer_drills_down_to_the_elders_not_visited(
    page: Page, march: dict[str, Elder], tree: Tree
) -> None:
    # Given the province officer, on a phone
    make_user("officer_henan", Role.PROVINCE_OFFICER, [tree.henan], display_name="省厅干部")
    log_in(page, "officer_henan")
    errors = watch_console(page)  # from here on: this feature's pages

    # When the officer opens 统计分析 from the menu
    click_nav(page, "统计分析")

    # Then the province's month: 3 of 4 visited, the trend drawn, 焦作市 ranked first
    expect(page.locator("h1")).to_have_text("统计分析 · 河南省")
    expect(page.get_by_test_id("rate-value")).to_have_text("75.0%")
    expect(page.get_by_test_id("n-not_visited")).to_have_text("1")
    expect_charts_drawn(page)
    expect(page.locator('tr[data-region="410800"]')).to_contain_text("焦作市")
    expect_no_sideways_scroll(page)
    screenshot(page, "dashboard-province-phone")

    # When the officer clicks down the ranking: city, county, township, village
    for name in ("焦作市", "武陟县", "木城街道", "建设社区居民委员会"):
        click_link(page, '[data-testid="sub-regions"]', name)
        expect(page.locator("h1")).to_have_text(f"统计分析 · {name}")
        if name == "焦作市":
            expect(page.get_by_test_id("red-list")).to_contain_text("博爱县")
            screenshot(page, "dashboard-city-phone")
    expect(page.get_by_test_id("rate-value")).to_have_text("50.0%")
    screenshot(page, "dashboard-village-phone")

    # and then the village's number of elders not visited
    with page.expect_navigation():
        page.get_by_test_id("n-not_visited").get_by_role("link").click()

    # Then the list names 李秀英 alone, linked to her page
    expect(page.get_by_test_id("elders-title")).to_have_text("未探访 · 建设社区居民委员会")
    names = page.get_by_test_id("elders-behind").locator("tbody a")
    expect(names).to_have_text(["李秀英"])
    assert names.first.get_attribute("href") == f"/elders/{march['李秀英'].pk}/"
    expect_no_sideways_scroll(page)
    screenshot(page, "dashboard-elders-phone")
    assert errors == []


def test_the_county_officer_reads_the_charts_on_a_desktop_and_finds_the_disabled_elder(
    new_context, march: dict[str, Elder], officer_wuzhi: User
) -> None:
    # Given the county officer at a desktop
    page = new_context(viewport=DESKTOP, reduced_motion="reduce").new_page()
    log_in(page, "officer_wuzhi")
    errors = watch_console(page)

    # When the officer opens 统计分析
    click_nav(page, "统计分析")

    # Then 2 of 3 visited, every chart drawn, each with its data table
    expect(page.locator("h1")).to_have_text("统计分析 · 武陟县")
    expect(page.get_by_test_id("rate-value")).to_have_text("66.7%")
    expect_charts_drawn(page)
    for chart in ("#chart-subs", "#chart-disabled", "#chart-methods"):
        expect(page.locator(f"{chart} canvas")).to_be_visible()
        assert page.locator(chart).get_attribute("aria-label")  # ECharts' own description of the chart
    page.locator("details summary").first.click()
    expect(page.get_by_test_id("trend-table")).to_be_visible()
    screenshot(page, "dashboard-county-desktop")

    # When the officer opens the disabled elders' table and clicks the number not visited
    page.locator("details", has=page.get_by_test_id("disabled-table")).locator("summary").click()
    with page.expect_navigation():
        page.get_by_test_id("n-disabled-not_visited").get_by_role("link").click()

    # Then the list is of the disabled elder not visited
    expect(page.get_by_test_id("elders-title")).to_have_text("未探访（失能） · 武陟县")
    expect(page.get_by_test_id("elders-behind").locator("tbody a")).to_have_text(["李秀英"])
    screenshot(page, "dashboard-elders-desktop")
    assert errors == []


def test_the_township_officer_picks_a_village_and_a_past_month(page: Page, march: dict[str, Elder], tree: Tree) -> None:
    # Given the township officer, on a phone
    make_user("officer_mucheng", Role.TOWNSHIP_OFFICER, [tree.mucheng], display_name="木城街道办")
    log_in(page, "officer_mucheng")
    errors = watch_console(page)

    # When the officer opens 统计分析 and clicks 和平社区 in the ranking
    click_nav(page, "统计分析")
    expect(page.locator("h1")).to_have_text("统计分析 · 木城街道")
    expect(page.get_by_test_id("rate-value")).to_have_text("66.7%")
    expect_charts_drawn(page)
    expect_no_sideways_scroll(page)
    screenshot(page, "dashboard-township-phone")
    click_link(page, '[data-testid="sub-regions"]', "和平社区居民委员会")

    # Then the village visited its one elder, by phone
    expect(page.get_by_test_id("rate-value")).to_have_text("100.0%")
    page.locator("details", has=page.get_by_test_id("methods-table")).locator("summary").click()
    with page.expect_navigation():
        page.get_by_test_id("n-visited_phone").get_by_role("link").click()
    expect(page.get_by_test_id("elders-behind").locator("tbody a")).to_have_text(["王建国"])

    # When the officer goes back and picks February, a month nobody was visited
    page.go_back()
    page.fill("#month", "2026-02")
    with page.expect_navigation():
        page.get_by_role("button", name="查看").click()

    # Then February's figures: its elder was due and not visited
    expect(page.get_by_test_id("month-state")).to_contain_text("2026-02")
    expect(page.get_by_test_id("rate-value")).to_have_text("0.0%")
    screenshot(page, "dashboard-past-month-phone")
    assert errors == []
