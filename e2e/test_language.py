"""Chinese first, whatever the browser says; English only when chosen in the footer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import log_in, open_nav, screenshot

pytestmark = pytest.mark.e2e


def test_chinese_by_default_and_english_when_chosen(new_context, officer_wuzhi) -> None:
    # Given a phone whose browser asks for English
    page = new_context(locale="en-US").new_page()

    # When the log-in page opens
    response = page.goto("/accounts/login/")

    # Then it is in Chinese all the same
    assert response is not None and response.headers.get("content-language") == "zh-hans"
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("main form button[type=submit]")).to_have_text("登录")
    expect(page.locator("#language")).to_have_value("zh-hans")

    # And after logging in the nav is in Chinese
    log_in(page, "officer_wuzhi")
    open_nav(page)
    regions_link = page.locator("#mainnav a.nav-link[href='/regions/']")
    expect(regions_link).to_have_text("行政区划")

    # When English is chosen in the footer
    with page.expect_navigation():
        page.select_option("#language", "en")

    # Then the page is English: the html says so and the select shows English.
    # (Whether the labels are translated depends on the catalogue; they must not stay
    # Chinese once an English catalogue exists, so only the switch itself is asserted.)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#language")).to_have_value("en")
    expect(page.locator("#language option:checked")).to_have_text("English")
    open_nav(page)
    expect(regions_link).to_be_visible()
    screenshot(page, "phone-home-english")

    # And the choice sticks on the next page
    response = page.goto("/regions/")
    assert response is not None and response.headers.get("content-language") == "en"
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # When Chinese is chosen again, the nav is Chinese again
    with page.expect_navigation():
        page.select_option("#language", "zh-hans")
    expect(page).to_have_url(re.compile(r"/regions/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    open_nav(page)
    expect(regions_link).to_have_text("行政区划")
