"""The audit log as a county officer sees it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import click_nav, log_in, screenshot

pytestmark = pytest.mark.e2e


def test_officer_sees_own_login_and_filters_by_actor(page: Page, officer_wuzhi) -> None:
    # Given the 武陟县 officer has logged in through the page
    log_in(page, "officer_wuzhi")

    # When they open 审计日志 from the nav
    click_nav(page, "审计日志")

    # Then their own log-in is listed: 操作 "登录", 操作人 their username
    expect(page).to_have_url(re.compile(r"/audit/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("审计日志")
    rows = page.get_by_test_id("audit-table").locator("tbody tr")
    login_row = rows.filter(has=page.locator("td[data-label='操作人']", has_text=re.compile(r"^officer_wuzhi$")))
    expect(login_row).to_have_count(1)
    expect(login_row.locator("td[data-label='对象']")).to_have_text("武陟县民政局（officer_wuzhi）")
    expect(login_row.locator("td[data-label='操作']")).to_have_text("登录")
    screenshot(page, "phone-audit")

    # When they filter by their own name, the event stays
    page.locator("input[name=user]").fill("officer_wuzhi")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    expect(login_row).to_have_count(1)

    # When they filter by someone else's name
    page.locator("input[name=user]").fill("somebody_else")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()

    # Then nothing matches
    expect(page).to_have_url(re.compile(r"user=somebody_else"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("没有符合条件的记录")
