"""An emergency found during a visit: the visitor opens an incident from the visit page on a phone and logs
a call; the township officer finds it in the navigation and closes it; the timeline shows both."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import click_nav, log_in, log_out, screenshot
from tanfang.alerts.models import Incident
from tanfang.core.roles import Role
from tanfang.devtools.factories import make_elder, make_user
from tanfang.elders.inputs import ContactInput
from tanfang.visitors.services import VisitorInput, create_visitor, pair

pytestmark = pytest.mark.e2e
JIANSHE = "410823001001"
ROUTINE = {
    "household_members": "same",
    "speech": "same",
    "mobility": "same",
    "illness": "same",
    "mental": "same",
    "economy": "same",
    "family_support": "same",
    "daily_care": "same",
    "housing": "safe",
    "electricity": "safe",
    "water_gas": "safe",
}


@pytest.fixture
def paired(tree, officer_wuzhi):
    user = make_user("visitor_li", Role.VISITOR, [tree.jianshe], display_name="志愿者李华")
    visitor = create_visitor(actor=officer_wuzhi, data=VisitorInput(name="李华", kind="volunteer", region_code=JIANSHE))
    visitor.user = user
    visitor.save()
    elder = make_elder(
        officer_wuzhi,
        "张桂兰",
        JIANSHE,
        sequence=41,
        registered_on=dt.date(2025, 3, 1),
        contacts=[ContactInput("王强", "儿子", "13900005678"), ContactInput("赵敏", "女儿", "13700001234")],
    )
    pair(actor=officer_wuzhi, elder=elder, visitor=visitor, on=dt.date(2025, 3, 1))
    make_user("officer_mucheng", Role.TOWNSHIP_OFFICER, [tree.mucheng], display_name="木城街道赵主任")
    return elder


def test_a_visitor_reports_an_emergency_from_the_visit_and_an_officer_closes_it(page: Page, paired) -> None:
    # Given the visitor records a phone visit from its work list, and lands on the visit page
    log_in(page, "visitor_li")
    click_nav(page, "我的探访")
    with page.expect_navigation():
        page.get_by_test_id(f"record-{paired.pk}").click()
    page.locator('label[for="m-phone"]').click()
    for item, option in ROUTINE.items():
        page.locator(f'label[for="a-{item}-{option}"]').click()
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    expect(page.get_by_text("探访记录已保存")).to_be_visible()

    # When it finds the elder unwell: 紧急情况 → 医疗急症
    button = page.get_by_test_id(f"emergency-{paired.pk}")
    button.locator("summary", has_text="紧急情况").click()
    with page.expect_navigation():
        button.get_by_role("button", name="医疗急症").click()

    # Then the incident page offers 120 first, then the contacts in order, masked
    expect(page.get_by_role("heading", level=1)).to_have_text("张桂兰 · 医疗急症")
    calls = page.get_by_test_id("call-buttons").locator("a")
    expect(calls.nth(0)).to_have_attribute("href", "tel:120")
    expect(calls.nth(3)).to_contain_text("王强（儿子）")
    expect(calls.nth(4)).to_contain_text("赵敏（女儿）")
    expect(page.get_by_test_id("call-buttons")).not_to_contain_text("13900005678")
    screenshot(page, "phone-incident")

    # And the call to 120 is logged with its outcome
    form = page.get_by_test_id("call-form")
    form.locator("select[name=target]").select_option("120")
    form.locator('label[for="outcome-answered"]').click()
    form.locator("input[name=note]").fill("120 已派车")
    with page.expect_navigation():
        form.get_by_role("button", name="记录通话").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("拨打 120 急救 120：已接通。120 已派车")
    expect(page.get_by_test_id("close-form")).to_have_count(0)  # a visitor reports; the township closes
    log_out(page)

    # When the township officer opens 紧急事件 from the navigation, and the incident from the list
    log_in(page, "officer_mucheng")
    click_nav(page, "紧急事件")
    with page.expect_navigation():
        page.get_by_test_id("incidents").get_by_role("link", name="张桂兰").click()

    # And tries to close it without a disposition first
    close = page.get_by_test_id("close-form")
    close.locator("textarea[name=account]").fill("120 送县人民医院，儿子王强已到医院")
    with page.expect_navigation():
        close.get_by_role("button", name="结案归档").click()
    expect(page.get_by_role("alert")).to_contain_text("请选择处置结果")
    expect(page.get_by_test_id("state")).to_have_text("处理中")

    # Then, with the disposition, it closes
    close = page.get_by_test_id("close-form")
    close.locator("select[name=disposition]").select_option(label="已送医救治")
    close.locator("textarea[name=account]").fill("120 送县人民医院，儿子王强已到医院")
    with page.expect_navigation():
        close.get_by_role("button", name="结案归档").click()

    # And the archived timeline shows the report, the call and the closing, in order
    expect(page.get_by_test_id("state")).to_have_text("已结案")
    expect(page.get_by_test_id("disposition")).to_have_text("已送医救治")
    entries = page.get_by_test_id("timeline").locator("li")
    expect(entries).to_have_count(3)
    expect(entries.nth(0)).to_contain_text("报告紧急情况：医疗急症")
    expect(entries.nth(1)).to_contain_text("已接通")
    expect(entries.nth(2)).to_contain_text("结案：已送医救治。120 送县人民医院，儿子王强已到医院")
    screenshot(page, "phone-incident-closed")
    assert Incident.objects.get().state == "closed"
    response = page.request.get(page.get_by_test_id("archive").get_attribute("href") or "")
    assert response.ok and re.match(r"application/pdf", response.headers["content-type"])
