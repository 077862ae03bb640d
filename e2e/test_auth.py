"""Logging in: pages need it, and wrong passwords lock the account."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import log_in, screenshot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", ["/regions/", "/users/", "/audit/"])
def test_pages_redirect_to_login_when_logged_out(page: Page, tree, path: str) -> None:
    # Given nobody is logged in
    # When a page behind the log-in is opened
    response = page.goto(path)

    # Then the browser ends up on the log-in page, remembering where it was going
    assert response is not None and response.status == 200
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.locator("main input[name=next]")).to_have_value(path)
    expect(page.locator("#id_username")).to_be_visible()
    expect(page.locator("main form button[type=submit]")).to_have_text("登录")
    expect(page.locator("#mainnav")).to_have_count(0)


def test_five_wrong_passwords_lock_the_account(page: Page, officer_wuzhi) -> None:
    # Given the 武陟县 officer's account
    alert = page.locator("main .alert-danger")

    # When a wrong password is given four times, the page only says it is wrong
    for _ in range(4):
        log_in(page, "officer_wuzhi", "Wrong-password-1")
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        expect(alert).to_contain_text("用户名或密码错误，或账号已被暂时锁定")

    # When a wrong password is given a fifth time
    log_in(page, "officer_wuzhi", "Wrong-password-1")

    # Then the account is locked, and the page says so in words that fit an unknown account as well
    expect(alert).to_contain_text("锁定 15 分钟")
    screenshot(page, "phone-login-locked")

    # When the right password is given now
    log_in(page, "officer_wuzhi")

    # Then it is refused with the same message, and no session is opened
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(alert).to_contain_text("用户名或密码错误，或账号已被暂时锁定")
    response = page.goto("/regions/")
    assert response is not None
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
