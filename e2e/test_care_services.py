"""A county officer registers a provider; the provider's staff member records a care service on a phone,
signed on the screen and rated by the elder, and the follow-up it answers is done."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import click_nav, log_in, screenshot
from tanfang.care.models import CareService, FollowUp, FollowUpState, Provider
from tanfang.care.providers import ProviderInput, add_staff, create_provider
from tanfang.care.services import FollowUpInput, assign_follow_up, open_follow_up
from tanfang.core.roles import Role
from tanfang.devtools.factories import make_elder, make_user

pytestmark = pytest.mark.e2e
JIANSHE = "410823001001"
SMALL_PHONE = {"width": 360, "height": 640}


@pytest.fixture
def follow_up(tree, officer_wuzhi) -> FollowUp:
    """An elder who needs help bathing, referred to the county's elder-care centre, which has a staff account."""
    elder = make_elder(officer_wuzhi, "张桂兰", JIANSHE, sequence=41, registered_on=dt.date(2025, 3, 1))
    centre = create_provider(
        actor=officer_wuzhi,
        data=ProviderInput(
            name="武陟县颐养居家养老服务中心",
            category="elder_care",
            kinds=["daily_care"],
            region_code="410823",
            contact_name="周敏",
            contact_phone="13812345678",
        ),
    )
    make_user("yiyang_zhou", Role.VISITOR, [tree.mucheng], display_name="颐养中心护理员周敏")
    add_staff(actor=officer_wuzhi, provider_id=centre.pk, username="yiyang_zhou")
    opened = open_follow_up(
        actor=officer_wuzhi,
        elder_id=elder.pk,
        data=FollowUpInput(kind="provider", title="需要助浴服务", service_kind="daily_care"),
    )
    return assign_follow_up(actor=officer_wuzhi, follow_up_id=opened.pk, provider_id=centre.pk)


def sign(page: Page, field: str) -> None:
    canvas = page.locator(f'canvas[data-signature="{field}"]')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 20, box["y"] + 30)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 18, box["y"] + 30 + (step % 3) * 20)
    page.mouse.up()


def test_a_county_officer_registers_a_provider_from_the_navigation(new_context, officer_wuzhi) -> None:
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()

    # Given the county officer opens the provider registry from the navigation
    log_in(page, "officer_wuzhi")
    click_nav(page, "服务机构")
    expect(page.get_by_role("heading", level=1)).to_have_text("服务机构")

    # When they register a medical provider serving the whole county
    with page.expect_navigation():
        page.get_by_test_id("provider-new").click()
    page.get_by_label("机构名称").fill("武陟县人民医院家庭医生服务团队")
    page.get_by_label("机构类别").select_option("medical")
    page.get_by_label("康复护理").check()
    page.get_by_label("紧急救援").check()
    page.get_by_label("服务范围").select_option("410823")
    page.get_by_label("联系人").fill("李建华")
    page.get_by_label("联系电话").fill("13903910202")
    with page.expect_navigation():
        page.get_by_test_id("provider-save").click()

    # Then its page shows it, the phone masked, and it is in the registry
    expect(page.get_by_text("服务机构已登记")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("武陟县人民医院家庭医生服务团队")
    expect(page.get_by_test_id("provider-facts")).to_contain_text("139*****202")
    expect(page.get_by_test_id("provider-facts")).to_contain_text("康复护理、紧急救援")
    provider = Provider.objects.get(name="武陟县人民医院家庭医生服务团队")
    assert (provider.category, provider.region_id, provider.kinds) == (
        "medical",
        "410823",
        ["rehabilitation", "rescue"],
    )


def test_a_providers_staff_member_records_a_signed_rated_care_service_on_a_phone(new_context, follow_up) -> None:
    page = new_context(viewport=SMALL_PHONE).new_page()

    # Given the provider's staff member opens the follow-up from its list
    log_in(page, "yiyang_zhou")
    click_nav(page, "跟进事项")
    with page.expect_navigation():
        page.get_by_role("link", name="需要助浴服务").click()

    # When they tap 记录关爱服务, say what was done, sign on the screen and the elder rates it
    with page.expect_navigation():
        page.get_by_role("link", name="记录关爱服务").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("张桂兰")
    expect(page.get_by_label("办结的跟进事项")).to_have_value(str(follow_up.pk))
    page.get_by_label("关爱服务情况（做了什么）").fill("上门助浴一次，修剪指甲")
    sign(page, "server_signature")
    page.locator('label[for="sat-very_satisfied"]').click()
    page.get_by_label("备注").fill("老人希望每周一次")
    page_width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "phone-care-service")
    with page.expect_navigation():
        page.get_by_test_id("submit").click()

    # Then the follow-up is done, with the care service on it
    expect(page.get_by_text("关爱服务已记录")).to_be_visible()
    expect(page.get_by_test_id("follow-up-state")).to_have_text("已办结")
    expect(page.get_by_text("上门助浴一次，修剪指甲 · 非常满意")).to_be_visible()
    assert page_width <= SMALL_PHONE["width"]  # nothing to scroll sideways on a small phone
    service = CareService.objects.get()
    assert (service.number, service.satisfaction, service.follow_up_id) == (1, "very_satisfied", follow_up.pk)
    assert service.server_signature and bytes(service.server_signature).startswith(b"\x89PNG")
    assert FollowUp.objects.get().state == FollowUpState.DONE
