"""The registry on a phone: register an elder, find them, reveal with a reason; another county is refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import click_nav, log_in, screenshot
from tanfang.core.id_numbers import make_citizen_id

pytestmark = pytest.mark.e2e


def test_officer_registers_finds_and_reveals_an_elder(page: Page, new_context, officer_wuzhi, officer_boai) -> None:
    number = make_citizen_id("410823", dt.date(1944, 2, 29), 35)

    # Given the 武陟县 officer opens 老年人台账 and chooses to register someone
    log_in(page, "officer_wuzhi")
    click_nav(page, "老年人台账")
    page.get_by_role("link", name="登记老年人").click()

    # When they first type a wrong check character, the form says so in Chinese and keeps the input
    page.locator("#id_name").fill("刘桂芝")
    page.locator("#id_id_number").fill(number[:-1] + ("1" if number[-1] != "1" else "2"))
    page.locator("#id_village_code").fill("410823001001")
    page.get_by_label("独居").check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("[data-field-error=id_number]")).to_contain_text("校验码应为")
    expect(page.locator("#id_name")).to_have_value("刘桂芝")

    # And when they correct it and save
    page.locator("#id_id_number").fill(number)
    page.locator("#id_contacts-0-name").fill("刘小军")
    page.locator("#id_contacts-0-phone").fill("13912345678")
    page.get_by_role("button", name="保存").click()

    # Then the record shows masked values, the derived birth date and 高龄
    expect(page.get_by_role("heading", level=1)).to_contain_text("刘桂芝")
    expect(page.get_by_text(number[:6] + "*" * 12, exact=True).first).to_be_visible()
    expect(page.locator("dd", has_text="1944-02-29")).to_contain_text("高龄")
    expect(page.get_by_text("139*****678", exact=False).first).to_be_visible()
    screenshot(page, "phone-elder-detail")
    detail_url = page.url

    # When they reveal the full number with a reason, it is shown once
    page.get_by_placeholder("查看理由（记入审计日志）").fill("办理高龄津贴")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_test_id("revealed")).to_contain_text(number)

    # And the list finds her by the full ID number
    page.goto("/elders/")
    page.get_by_placeholder("姓名、身份证号或电话").fill(number)
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("elder-list").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("elder-list")).to_contain_text("刘桂芝")
    assert number not in page.url  # the search was sent by POST: the number is in no URL
    screenshot(page, "phone-elder-list")

    # When an officer of another county opens the same record, it does not exist for them
    other = new_context().new_page()
    log_in(other, "officer_boai")
    response = other.goto(detail_url)
    assert response is not None and response.status == 404
    other.goto("/elders/")
    expect(other.get_by_test_id("elder-list")).not_to_contain_text("刘桂芝")
    expect(other).to_have_url(re.compile(r"/elders/$"))
