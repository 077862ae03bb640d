"""From a finding to help, in a real browser: a visit's finding opens a follow-up, the township assigns it
from the follow-up list, the visitor sees it on its work list and finishes it; a visit rejected on review
reaches its visitor's inbox with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from e2e.conftest import click_nav, log_in, open_nav, screenshot
from tanfang.care.models import FollowUp, FollowUpState
from tanfang.core.roles import Role
from tanfang.devtools.factories import make_elder, make_user
from tanfang.records.services import submit_record
from tanfang.records.tests.helpers import FULL_ANSWERS, record_input
from tanfang.visitors.services import VisitorInput, create_visitor, pair

pytestmark = pytest.mark.e2e
JIANSHE = "410823001001"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def visited(tree, officer_wuzhi):
    """A visitor paired with 张桂兰, whose visit found her economic situation worse."""
    user = make_user("visitor_li", Role.VISITOR, [tree.jianshe], display_name="志愿者李华")
    visitor = create_visitor(actor=officer_wuzhi, data=VisitorInput(name="李华", kind="volunteer", region_code=JIANSHE))
    visitor.user = user
    visitor.save()
    elder = make_elder(officer_wuzhi, "张桂兰", JIANSHE, sequence=41, registered_on=dt.date(2025, 3, 1))
    pair(actor=officer_wuzhi, elder=elder, visitor=visitor, on=dt.date(2025, 3, 1))
    answers = FULL_ANSWERS | {"mobility": "same", "illness": "same", "water_gas": "safe"}
    visit, _ = submit_record(
        actor=user, elder=elder, data=record_input(answers=answers | {"economy": "worse"}, checkin=None)
    )
    make_user("officer_mucheng", Role.TOWNSHIP_OFFICER, [tree.mucheng], display_name="木城街道办")
    return visit


def test_a_finding_is_assigned_worked_and_done(new_context, visited) -> None:
    # Given the visit opened a follow-up for the economic situation
    follow_up = FollowUp.objects.get(elder=visited.elder)
    assert follow_up.kind == "economic"

    # When the township officer opens 跟进事项 from the navigation and assigns it to the visitor
    officer = new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(officer, "officer_mucheng")
    click_nav(officer, "跟进事项")
    rows = officer.get_by_test_id("follow-up-list")
    expect(rows).to_contain_text("张桂兰")
    with officer.expect_navigation():
        rows.get_by_role("link", name=follow_up.title).click()
    officer.get_by_label("分派给").select_option(f"user:{visited.visitor.user_id}")
    with officer.expect_navigation():
        officer.get_by_test_id("follow-up-assign").get_by_role("button", name="分派").click()
    expect(officer.get_by_test_id("follow-up-state")).to_have_text("已分派")

    # Then the visitor sees it on its work list, on a phone, and in its inbox
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "visitor_li")
    click_nav(page, "我的探访")
    expect(page.get_by_test_id(f"follow-ups-{visited.elder_id}")).to_have_text("1 项跟进事项待办")
    open_nav(page)
    expect(page.get_by_test_id("bell")).to_contain_text("1")
    with page.expect_navigation():
        page.get_by_test_id(f"follow-ups-{visited.elder_id}").click()
    with page.expect_navigation():
        page.get_by_test_id("follow-up-list").get_by_role("link", name=follow_up.title).click()

    # When it accepts the follow-up and says what was done
    with page.expect_navigation():
        page.get_by_role("button", name="接收").click()
    expect(page.get_by_test_id("follow-up-state")).to_have_text("处理中")
    page.get_by_label("办理情况").fill("已协助老人到村委会咨询临时救助")
    with page.expect_navigation():
        page.get_by_test_id("follow-up-done").get_by_role("button", name="办结").click()
    screenshot(page, "phone-follow-up-done")

    # Then it is done, with every step in its timeline
    expect(page.get_by_test_id("follow-up-state")).to_have_text("已办结")
    timeline = page.get_by_test_id("follow-up-timeline")
    for step in ("发起", "分派", "接收", "办结"):
        expect(timeline).to_contain_text(step)
    assert FollowUp.objects.get().state == FollowUpState.DONE


def test_a_visit_rejected_on_review_reaches_the_visitors_inbox(new_context, visited, officer_wuzhi) -> None:
    # Given the county officer rejects the visit on its page, saying why
    officer = new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(officer, "officer_wuzhi")
    click_nav(officer, "老年人台账")
    with officer.expect_navigation():
        officer.get_by_role("link", name="张桂兰").click()
    with officer.expect_navigation():
        officer.get_by_role("link", name="探访记录").click()
    with officer.expect_navigation():
        officer.locator(f"a[href='/records/visits/{visited.pk}/']").first.click()
    officer.locator("label[for='o-rejected']").click()
    officer.get_by_label("审核意见", exact=True).fill("签到位置与老人住址不符")
    with officer.expect_navigation():
        officer.get_by_role("button", name="保存审核结果").click()

    # When the visitor logs in on its phone and opens the inbox from the bell
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "visitor_li")
    click_nav(page, "我的探访")
    expect(page.get_by_test_id(f"rejected-{visited.elder_id}")).to_contain_text("未获认可")
    open_nav(page)
    with page.expect_navigation():
        page.get_by_test_id("bell").click()

    # Then the message names the elder and the reason
    inbox = page.get_by_test_id("inbox")
    expect(inbox).to_contain_text("张桂兰")
    expect(inbox).to_contain_text("签到位置与老人住址不符")
    screenshot(page, "phone-inbox-rejected")
    # and the follow-up the visit opened was cancelled with the reason
    follow_up = FollowUp.objects.get()
    assert follow_up.state == FollowUpState.CLOSED and follow_up.outcome == "cancelled"


def test_a_county_officer_sets_the_days_a_kind_of_follow_up_has(new_context, officer_wuzhi) -> None:
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "officer_wuzhi")
    click_nav(page, "跟进事项")
    with page.expect_navigation():
        page.get_by_test_id("deadlines-link").click()
    expect(page.get_by_test_id("days-doctor")).to_have_text("7")

    page.get_by_label("家庭医生转介").fill("3")
    with page.expect_navigation():
        page.get_by_test_id("deadlines-save").click()

    expect(page.get_by_test_id("days-doctor")).to_have_text("3")
    screenshot(page, "phone-follow-up-deadlines")


def test_the_county_chases_a_township_from_its_not_visited_list(new_context, tree, officer_wuzhi) -> None:
    # Given an elder of 木城街道 not visited this month, and the township's officer
    make_elder(officer_wuzhi, "王老汉", JIANSHE, sequence=7, registered_on=dt.date(2025, 3, 1))
    township_officer = make_user("officer_mucheng", Role.TOWNSHIP_OFFICER, [tree.mucheng], display_name="木城街道办")

    # When the county officer opens the township's progress and chases it
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(page, "officer_wuzhi")
    click_nav(page, "探访进度")
    with page.expect_navigation():
        page.get_by_role("link", name=tree.mucheng.name).first.click()
    with page.expect_navigation():
        page.get_by_test_id("chase-township").click()

    # Then the page says so, and the township officer finds it in the inbox
    expect(page.locator("main")).to_contain_text("已催办")
    assert township_officer.inbox.filter(body__contains="1位老人未探访").exists()
