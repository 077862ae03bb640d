"""A county officer creates a village worker, who must change the initial password."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import click_nav, log_in, log_out, screenshot
from tanfang.accounts.models import User

pytestmark = pytest.mark.e2e

INITIAL_PASSWORD = "Cunwei2026abc"
NEW_PASSWORD = "Xinmima2026xyz"


def fill_user_form(page: Page, username: str, password: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_display_name", "张社工")
    page.select_option("#id_role", label="村（社区）工作人员")
    page.fill("#id_region_codes", "410823001001")
    page.fill("#id_password", password)


def test_officer_creates_village_worker_who_changes_password(page: Page, officer_wuzhi) -> None:
    # Given the 武陟县 officer on 用户管理
    log_in(page, "officer_wuzhi")
    click_nav(page, "用户管理")
    expect(page.get_by_role("heading", level=1)).to_have_text("用户管理")

    # When they create a village worker of 建设社区
    with page.expect_navigation():
        page.get_by_role("link", name="新建用户").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建用户")
    fill_user_form(page, "zhang_jianshe", INITIAL_PASSWORD)
    screenshot(page, "phone-user-form")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()

    # Then they land on the new user's page
    expect(page).to_have_url(re.compile(r"/users/\d+/$"))
    expect(page.get_by_role("alert")).to_have_text("已创建用户 张社工（zhang_jianshe）")
    expect(page.get_by_role("heading", level=1)).to_have_text("张社工（zhang_jianshe）")
    details = page.locator("dl")
    expect(details).to_contain_text("村（社区）工作人员")
    expect(details).to_contain_text("河南省焦作市武陟县木城街道建设社区居民委员会")
    screenshot(page, "phone-user-detail")

    # When they try another user with a too-short password
    page.goto("/users/new/")
    fill_user_form(page, "li_jianshe", "Kq7wz2")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()

    # Then the form comes back with a Chinese error next to the password, and nothing is created
    expect(page).to_have_url(re.compile(r"/users/new/$"))
    expect(page.locator("[data-field-error=password]")).to_have_text("密码太短，至少需要 10 个字符。")
    expect(page.locator("#id_username")).to_have_value("li_jianshe")
    assert not User.objects.filter(username="li_jianshe").exists()
    page.goto("/users/?q=li_jianshe")
    expect(page.locator("table tbody")).to_have_text("没有符合条件的用户")

    # When the officer logs out and the new worker logs in with the initial password
    log_out(page)
    log_in(page, "zhang_jianshe", INITIAL_PASSWORD)

    # Then the worker is sent to change the password first, and cannot go elsewhere
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("修改密码")
    expect(page.locator(".alert-warning")).to_contain_text("请先修改密码后再使用系统")
    page.goto("/regions/")
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    screenshot(page, "phone-password-forced")

    # When they change it
    page.fill("#id_old_password", INITIAL_PASSWORD)
    page.fill("#id_new_password", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()

    # Then they land on the home page with their village
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("alert")).to_have_text("密码已修改")
    expect(page.get_by_role("heading", level=1)).to_have_text("您好，张社工")
    expect(page.get_by_test_id("my-regions")).to_contain_text("建设社区居民委员会")
    response = page.goto("/regions/")
    assert response is not None and response.status == 200
    expect(page).to_have_url(re.compile(r"/regions/$"))
