"""Browsing the region tree on a phone and on a desktop, and staying inside one's own county."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import DESKTOP, click_nav, log_in, screenshot

pytestmark = pytest.mark.e2e


def test_county_officer_browses_down_from_home_on_a_phone(page: Page, officer_wuzhi) -> None:
    # Given the county officer of 武陟县 on a phone, at the log-in page with its styles loaded
    with page.expect_response(re.compile(r"/static/vendor/bootstrap/css/bootstrap\.min\.css$")) as css:
        page.goto("/accounts/login/")
    assert css.value.status == 200
    # Bootstrap is applied, not just served: the navbar has the primary colour.
    expect(page.locator("nav.navbar")).to_have_css("background-color", "rgb(13, 110, 253)")

    # When they log in
    log_in(page, "officer_wuzhi")

    # Then the home page greets them and lists their county
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，武陟县民政局")
    expect(page.get_by_test_id("my-regions")).to_contain_text("武陟县")
    expect(page.get_by_test_id("whoami")).to_have_text("武陟县民政局 · 县级民政干部")
    screenshot(page, "phone-home")

    # When they open 行政区划 from the collapsed nav
    click_nav(page, "行政区划")

    # Then their county is the one region at the top
    expect(page).to_have_url(re.compile(r"/regions/$"))
    children = page.get_by_test_id("region-children")
    expect(children.locator("a")).to_have_count(1)
    expect(children).to_contain_text("武陟县")

    # When they open the county
    with page.expect_navigation():
        children.get_by_role("link", name=re.compile("武陟县")).click()

    # Then 木城街道 is among its children
    expect(page.get_by_test_id("region-title")).to_have_text("武陟县 410823")
    expect(children).to_contain_text("木城街道")
    expect(children.get_by_role("link", name=re.compile("木城街道"))).to_contain_text("2 个下级")

    # When they open 木城街道
    with page.expect_navigation():
        children.get_by_role("link", name=re.compile("木城街道")).click()

    # Then they see its villages and a breadcrumb back up to 武陟县
    expect(page).to_have_url(re.compile(r"/regions/410823001000/$"))
    expect(page.get_by_test_id("region-title")).to_have_text("木城街道 410823001000")
    expect(children).to_contain_text("建设社区居民委员会")
    expect(children).to_contain_text("和平社区居民委员会")
    breadcrumb = page.locator("ol.breadcrumb")
    expect(breadcrumb.get_by_role("link", name="武陟县", exact=True)).to_be_visible()
    expect(breadcrumb.locator(".active")).to_have_text("木城街道")
    expect(page.get_by_text("河南省焦作市武陟县木城街道 · 乡镇（街道）")).to_be_visible()
    screenshot(page, "phone-region-township")


def test_outsider_county_gets_404_for_another_county(new_context, officer_wuzhi, officer_boai) -> None:
    # Given the 武陟县 officer has logged in through the page, leaving a log-in event in 武陟县
    wuzhi = new_context().new_page()
    log_in(wuzhi, "officer_wuzhi")
    expect(wuzhi.get_by_test_id("my-regions")).to_contain_text("武陟县")

    # And the 博爱县 officer is logged in elsewhere
    page = new_context().new_page()
    log_in(page, "officer_boai")
    expect(page.get_by_test_id("my-regions")).to_contain_text("博爱县")

    # When they type in the address of 武陟县 and of one of its townships
    county = page.goto("/regions/410823/")
    township = page.goto("/regions/410823001000/")

    # Then both are "not found", not just hidden
    assert county is not None and county.status == 404
    assert township is not None and township.status == 404
    expect(page.locator("body")).not_to_contain_text("木城街道")

    # While their own county opens
    own = page.goto("/regions/410822/")
    assert own is not None and own.status == 200
    expect(page.get_by_test_id("region-title")).to_have_text("博爱县 410822")
    expect(page.get_by_test_id("region-children")).to_contain_text("博爱县清化镇街道")

    # And a search for 武陟县's code finds nothing of it
    page.goto("/regions/?q=410823")
    expect(page.get_by_text("在您的辖区内没有找到")).to_be_visible()

    # And the audit log shows their own log-in but nothing of the 武陟县 officer
    page.goto("/audit/")
    table = page.get_by_test_id("audit-table")
    expect(table.locator("td[data-label='操作人']").first).to_have_text("officer_boai")
    expect(table).not_to_contain_text("officer_wuzhi")
    expect(table).not_to_contain_text("武陟县民政局")
    page.locator("input[name=user]").fill("officer_wuzhi")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    expect(table.locator("tbody")).to_have_text("没有符合条件的记录")


def test_desktop_nav_is_expanded_and_region_page_lists_children(new_context, officer_wuzhi) -> None:
    # Given the county officer on a desktop-sized window
    page = new_context(viewport=DESKTOP).new_page()
    log_in(page, "officer_wuzhi")

    # Then the nav is open without touching the toggler
    expect(page.locator("button.navbar-toggler")).to_be_hidden()
    expect(page.locator("#mainnav")).to_be_visible()
    for label in ("首页", "行政区划", "用户管理", "审计日志"):
        expect(page.locator("#mainnav").get_by_role("link", name=label, exact=True)).to_be_visible()

    # When they click 行政区划 and then their county
    with page.expect_navigation():
        page.locator("#mainnav").get_by_role("link", name="行政区划", exact=True).click()
    with page.expect_navigation():
        page.get_by_test_id("region-children").get_by_role("link", name=re.compile("武陟县")).click()

    # Then the county page renders its children list
    expect(page.get_by_test_id("region-title")).to_have_text("武陟县 410823")
    children = page.get_by_test_id("region-children")
    expect(children.locator("a")).to_have_count(1)
    expect(children.locator("a").first).to_contain_text("木城街道")
    expect(children.locator("a").first).to_contain_text("410823001000")
    screenshot(page, "desktop-region-county")
