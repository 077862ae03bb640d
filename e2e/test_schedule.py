"""An officer declares extreme weather from the schedule pages, in Chinese and in English; a stale link
shows the error page with a way home."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import click_nav, log_in, screenshot
from tanfang.devtools.factories import make_elder
from tanfang.elders.models import RegionDueRefresh

pytestmark = pytest.mark.e2e
JIANSHE = "410823001001"


def test_an_officer_declares_weather_for_the_groups_chosen_by_check_box(page, officer_wuzhi) -> None:
    # Given a county officer on a phone
    make_elder(officer_wuzhi, "独居老人", JIANSHE, registered_on=dt.date(2025, 3, 1))
    log_in(page, "officer_wuzhi")

    # When the officer goes to the schedule, then to extreme weather
    click_nav(page, "探访进度")
    expect(page.locator("h1")).to_contain_text("探访进度 · 武陟县")
    with page.expect_navigation():
        page.get_by_role("link", name="极端天气").click()

    # Then the groups are six labelled check boxes that a tap on the label ticks
    boxes = page.locator('[data-testid="choices-groups"] input[type=checkbox]')
    expect(boxes).to_have_count(6)
    page.get_by_text("独居", exact=True).click()
    page.get_by_text("失能", exact=True).click()
    expect(page.get_by_label("独居", exact=True)).to_be_checked()
    expect(page.get_by_label("空巢", exact=True)).not_to_be_checked()
    box = boxes.first.bounding_box()
    assert box is not None and box["width"] < 40  # a check box, not a field stretched across the phone
    screenshot(page, "phone-weather-groups")

    # When the officer declares a cold wave for them
    page.select_option("#id_kind", "cold_wave")
    with page.expect_navigation():
        page.get_by_role("button", name="发布").click()

    # Then it is listed, and the county's elders are queued for the background recompute
    expect(page.locator(".alert-success")).to_contain_text("已发布")
    expect(page.locator('[data-testid="weather-events"]')).to_contain_text("寒潮")
    assert list(RegionDueRefresh.objects.values_list("region_path", flat=True)) == ["410000/410800/410823/"]
    click_nav(page, "探访进度")
    expect(page.locator('[data-testid="refreshing"]')).to_contain_text("正在后台重新计算")
    screenshot(page, "phone-schedule-refreshing")


def test_in_english_the_schedule_reads_english(page, officer_wuzhi) -> None:
    # Given the officer chose English in the footer
    log_in(page, "officer_wuzhi")
    with page.expect_navigation():
        page.select_option("#language", "en")

    # When the officer opens the schedule
    click_nav(page, "Visit progress")

    # Then the tabs and the language menu are English
    tabs = page.locator(".nav-tabs a")
    expect(tabs).to_have_text(["Not visited this month", "Overdue", "Unpaired", "Visitor loads"])
    expect(page.locator("#language option")).to_have_text(["简体中文 (Simplified Chinese)", "English"])
    screenshot(page, "phone-schedule-english")


def test_a_stale_link_shows_the_404_page_and_leads_home(page, officer_wuzhi, officer_boai) -> None:
    # Given a link to an elder of another county (as a forwarded message might carry)
    elder = make_elder(officer_wuzhi, "外县老人", JIANSHE)
    log_in(page, "officer_boai")

    # When the officer of 博爱县 opens it
    response = page.goto(f"/elders/{elder.pk}/")

    # Then the page says it found nothing, in Chinese, and the way back leads home
    assert response is not None and response.status == 404
    expect(page.locator('[data-testid="error-page"]')).to_contain_text("未找到该页面或记录")
    expect(page.locator("body")).not_to_contain_text("外县老人")
    screenshot(page, "phone-404")
    with page.expect_navigation():
        page.get_by_role("link", name="返回首页").click()
    expect(page).to_have_url(re.compile(r"/$"))
