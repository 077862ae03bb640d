"""Two-factor log-in in a real browser: enrol by scanning (the test reads the secret), log in with a code, recover."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import log_in, log_out, open_nav, screenshot
from tanfang.accounts.models import TwoFactor

pytestmark = pytest.mark.e2e


def test_enrol_log_in_with_a_code_and_recover_with_a_recovery_code(page: Page, officer_wuzhi) -> None:
    # Given the county officer is logged in with a password only
    log_in(page, "officer_wuzhi")

    # When it opens 账号安全 and starts the enrolment
    open_nav(page)
    with page.expect_navigation():
        page.locator("#mainnav").get_by_role("link", name="账号安全").click()
    expect(page.get_by_test_id("two-factor")).to_contain_text("未启用")
    with page.expect_navigation():
        page.get_by_role("link", name="启用两步验证").click()

    # Then a QR code is shown with the secret beside it, for any authenticator app
    expect(page.get_by_test_id("qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("secret").inner_text().strip()
    screenshot(page, "phone-enrol-two-factor")

    # When it types the code its authenticator shows
    page.fill("#id_code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="确认启用").click()

    # Then ten recovery codes are shown, once
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    recovery = codes.nth(0).inner_text().strip()
    assert TwoFactor.objects.get(user=officer_wuzhi).confirmed_at is not None
    log_out(page)

    # When it logs in again: the password, then a code
    log_in(page, "officer_wuzhi")
    expect(page).to_have_url(re.compile(r"/accounts/login/verify/"))
    TwoFactor.objects.filter(user=officer_wuzhi).update(last_step=0)  # the enrolment's code may still be current
    page.fill("#id_code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="验证并登录").click()
    expect(page.get_by_test_id("whoami")).to_contain_text("武陟县民政局")
    log_out(page)

    # When the phone is lost: the password, then a recovery code
    log_in(page, "officer_wuzhi")
    page.fill("#id_code", recovery)
    with page.expect_navigation():
        page.get_by_role("button", name="验证并登录").click()

    # Then it is in, and told how many recovery codes are left
    expect(page.locator("main .alert-warning")).to_contain_text("还剩 9 个")
    screenshot(page, "phone-recovered-with-code")

    # And the same recovery code does not work twice
    log_out(page)
    log_in(page, "officer_wuzhi")
    page.fill("#id_code", recovery)
    with page.expect_navigation():
        page.get_by_role("button", name="验证并登录").click()
    expect(page.locator("main")).to_contain_text("该恢复码已经使用过")
