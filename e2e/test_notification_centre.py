"""The notification centre in a browser: an officer retries a failed message; a user sets quiet hours."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import click_nav, log_in, open_nav, screenshot
from tanfang.notifications.channels import fake_channel
from tanfang.notifications.models import Notification, Preference
from tanfang.notifications.services import queue, send_pending

pytestmark = pytest.mark.e2e

JIANSHE = "410000/410800/410823/410823001000/410823001001/"


def test_an_officer_finds_a_failed_message_from_the_navigation_and_retries_it(page: Page, officer_wuzhi) -> None:
    # Given an SMS to a visitor of 武陟县 that the provider refused
    fake = fake_channel()
    fake.reset()
    queue(
        key="e2e:failed",
        recipient="13812345678",
        label="网格员陈晓",
        region_path=JIANSHE,
        body="【探访关爱】陈晓，王老汉本月尚未探访",
        via="fake",
    )
    fake.refuse_next = 1
    send_pending()
    row = Notification.objects.get()
    assert row.state == "failed"

    # When the county officer opens 发送失败的消息 from the navigation
    log_in(page, "officer_wuzhi")
    click_nav(page, "发送失败的消息")

    # Then it sees the message, the masked number and the provider's answer, never the full number
    card = page.get_by_test_id(f"message-{row.pk}")
    expect(card).to_contain_text("网格员陈晓")
    expect(card).to_contain_text("138*****678")
    expect(card).to_contain_text("号码无效")
    expect(page.locator("main")).not_to_contain_text("13812345678")
    screenshot(page, "phone-failed-messages")

    # When it retries the message
    with page.expect_navigation():
        card.get_by_role("button", name="重发").click()

    # Then the message went out (the test channel answers at once) and leaves the list
    expect(page.get_by_role("alert")).to_contain_text("已重新排队发送：网格员陈晓")
    expect(page.get_by_test_id("troubled")).to_contain_text("没有发送失败的消息")
    row.refresh_from_db()
    assert row.state == "sent" and fake.sent == [("13812345678", "【探访关爱】陈晓，王老汉本月尚未探访")]
    fake.reset()


def test_a_user_sets_quiet_hours_from_the_inbox(page: Page, officer_wuzhi) -> None:
    # Given the officer logged in
    log_in(page, "officer_wuzhi")

    # When it opens its inbox from the bell, then the settings
    open_nav(page)
    with page.expect_navigation():
        page.get_by_test_id("bell").click()
    with page.expect_navigation():
        page.get_by_role("link", name="接收设置").click()

    # And keeps the inbox, drops SMS, and asks for quiet from 22:00 to 07:00
    form = page.get_by_test_id("preferences")
    form.get_by_label("短信").uncheck()
    form.get_by_label("免打扰开始（北京时间）").fill("22:00")
    form.get_by_label("免打扰结束").fill("07:00")
    with page.expect_navigation():
        form.get_by_role("button", name="保存").click()

    # Then the page says so and shows the saved values
    expect(page.get_by_role("alert")).to_contain_text("消息接收设置已保存")
    expect(page.get_by_label("免打扰开始（北京时间）")).to_have_value("22:00")
    expect(page.get_by_label("短信")).not_to_be_checked()
    screenshot(page, "phone-quiet-hours")
    preference = Preference.objects.get(user=officer_wuzhi)
    assert (preference.inbox, preference.sms, preference.quiet_start, preference.quiet_end) == (
        True,
        False,
        dt.time(22, 0),
        dt.time(7, 0),
    )
