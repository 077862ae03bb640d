"""The inbox: the bell on every page shows the unread count; the message list marks them read."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import log_in, open_nav, screenshot
from tanfang.notifications.services import tell_user

pytestmark = pytest.mark.e2e


def test_the_bell_leads_to_the_inbox_and_messages_are_marked_read(page: Page, officer_wuzhi) -> None:
    # Given two messages for the county officer
    tell_user(key="e2e:1", user_id=officer_wuzhi.pk, body="建设社区有 3 位老人本月尚未探访", link="/")
    tell_user(key="e2e:2", user_id=officer_wuzhi.pk, body="您的密码已被重置", urgent=True)

    # When it logs in, the bell shows 2 unread
    log_in(page, "officer_wuzhi")
    open_nav(page)
    bell = page.get_by_test_id("bell")
    expect(bell).to_contain_text("2")

    # And it opens the inbox from the bell
    with page.expect_navigation():
        bell.click()
    inbox = page.get_by_test_id("inbox")
    expect(inbox).to_contain_text("建设社区有 3 位老人本月尚未探访")
    expect(inbox.locator(".badge", has_text="紧急")).to_have_count(1)
    screenshot(page, "phone-inbox")

    # When it marks everything read
    with page.expect_navigation():
        page.get_by_role("button", name="全部标为已读").click()

    # Then nothing is unread, and the bell shows no count
    expect(inbox.locator(".badge", has_text="未读")).to_have_count(0)
    open_nav(page)
    expect(page.get_by_test_id("bell")).to_have_text("消息")
