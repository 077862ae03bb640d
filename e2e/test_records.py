"""A visitor records every item of the form on a phone; the draft survives a reload; the form prints."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from e2e.conftest import log_in, screenshot
from tanfang.accounts.models import User
from tanfang.core.roles import Role
from tanfang.devtools.factories import make_elder, make_user
from tanfang.elders.inputs import ContactInput
from tanfang.records.models import VisitRecord
from tanfang.records.services import submit_record
from tanfang.records.tests.helpers import FULL_ANSWERS, daytime, record_input
from tanfang.visitors.services import VisitorInput, create_visitor, pair

pytestmark = pytest.mark.e2e
JIANSHE = "410823001001"


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
        address="建设路12号",
        contacts=[ContactInput("王强", "儿子", "13900005678")],
    )
    pair(actor=officer_wuzhi, elder=elder, visitor=visitor, on=dt.date(2025, 3, 1))
    return elder


def choose(page: Page, item: str, option: str) -> None:
    page.locator(f'label[for="a-{item}-{option}"]').click()


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


def test_a_visitor_records_every_item_on_a_phone_and_prints_the_form(new_context, paired, tmp_path) -> None:
    context = new_context(
        geolocation={"latitude": 35.1, "longitude": 113.4, "accuracy": 15}, permissions=["geolocation"]
    )
    page = context.new_page()

    # Given the visitor opens the work list on a phone and taps 记录探访
    log_in(page, "visitor_li")
    page.goto("/worklist/")
    with page.expect_navigation():
        page.get_by_test_id(f"record-{paired.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("张桂兰")
    expect(page.locator("[data-position]")).to_contain_text("位置已获取")

    # When they answer every item of section 5
    choose(page, "household_members", "more")
    page.locator('input[name="a-household_members-count"]').fill("2")
    choose(page, "speech", "same")
    choose(page, "mobility", "worse")
    choose(page, "illness", "serious")
    page.locator('input[name="a-illness-text"]').fill("高血压")
    choose(page, "mental", "better")
    choose(page, "housing", "safe")
    choose(page, "electricity", "fairly_safe")
    choose(page, "water_gas", "unsafe")
    choose(page, "economy", "same")
    choose(page, "family_support", "better")
    choose(page, "daily_care", "worse")
    choose(page, "need_kinds", "daily_care")  # two boxes of an item that takes several answers
    choose(page, "need_kinds", "emotional")
    page.locator('textarea[name="a-needs-text"]').fill("希望有人帮忙买药")
    page.locator('textarea[name="a-suggestions-text"]').fill("联系家庭医生上门")
    page.get_by_label("已与老人核对以上信息").check()

    # And the page is reloaded before sending (a weak signal, a closed tab): nothing is lost
    client_id = page.locator('input[name="client_id"]').input_value()
    page.reload()
    expect(page.locator("[data-draft-note]")).to_be_visible()
    expect(page.locator("#a-water_gas-unsafe")).to_be_checked()
    expect(page.locator('input[name="a-illness-text"]')).to_have_value("高血压")
    expect(page.locator("#a-need_kinds-daily_care")).to_be_checked()
    expect(page.locator("#a-need_kinds-emotional")).to_be_checked()
    expect(page.locator("#a-need_kinds-rescue")).not_to_be_checked()
    expect(page.locator('input[name="client_id"]')).to_have_value(client_id)

    # And both sign on the touch screen, then send
    sign(page, "elder_signature")
    sign(page, "visitor_signature")
    screenshot(page, "phone-visit-form")
    with page.expect_navigation():
        page.get_by_test_id("submit").click()

    # Then the record shows what was found, and the draft is gone from the phone
    expect(page.get_by_text("探访记录已保存")).to_be_visible()
    expect(page.locator('[data-answer="household_members"]')).to_have_text("增加2人")
    expect(page.locator('[data-answer="illness"]')).to_have_text("严重（高血压）")
    expect(page.locator('[data-answer="water_gas"]')).to_have_text("不安全")
    assert page.evaluate(f"localStorage.getItem('tanfang-draft-{paired.pk}')") is None
    record = VisitRecord.objects.get()
    assert str(record.visit.client_id) == client_id
    assert record.elder_signature and record.visitor_signature and record.checkin_latitude is not None
    assert record.registry_confirmed
    assert record.answers["need_kinds"] == {"options": ["daily_care", "emotional"]}
    screenshot(page, "phone-visit-record")
    # And the way on to the next elder is one tap
    with page.expect_navigation():
        page.get_by_test_id("back-to-worklist").click()
    expect(page.get_by_test_id("worklist")).to_be_visible()

    # And the printed form carries every section, the answers and the Chinese, in duplicate
    response = page.request.get(f"/api/v1/visits/{record.pk}/form.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    for expected in (
        "特殊困难老年人探访关爱服务记录表",
        "一、探访对象基本情况",
        "二、家庭基本情况",
        "三、家庭生活条件",
        "四、已享受帮扶情况",
        "五、探访情况",
        "六、关爱服务情况",
        "张桂兰",
        "■ 上门探访",
        "第 1 次开展探访",
        "■ 增加 2 人",
        "■ 严重：高血压",
        "■ 不安全",
        "希望有人帮忙买药",
        "联系家庭医生上门",
        "被探访人（签字）",
        "第一联：县级民政部门存档",
        "第二联：乡镇（街道）存档",
        "此表一式两份",
    ):
        assert expected in text, expected
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    assert image.width < image.height  # A4 portrait
    histogram = image.histogram()  # grey levels 0–255
    dark = sum(histogram[:128])
    assert dark > 2000  # the grid and the text are drawn, not an empty page


def test_an_attempt_on_a_phone_needs_no_answers(new_context, paired) -> None:
    page = new_context().new_page()
    log_in(page, "visitor_li")
    page.goto(f"/records/elders/{paired.pk}/new/")

    page.locator("#outcome").select_option("nobody_home")
    expect(page.locator("[data-visit-only]").first).to_be_hidden()
    page.get_by_placeholder("未能探访时写明原因；其他说明").fill("敲门无人应，邻居说去了女儿家")
    with page.expect_navigation():
        page.get_by_test_id("submit").click()

    expect(page.get_by_text("探访记录已保存")).to_be_visible()
    assert VisitRecord.objects.get().number is None


def test_a_phone_visit_asks_only_the_visitor_to_sign(new_context, paired) -> None:
    page = new_context().new_page()
    log_in(page, "visitor_li")
    page.goto("/worklist/")
    # Given the visitor opens the elder's history from its name, then records from the work list
    with page.expect_navigation():
        page.get_by_test_id("elder-history").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("张桂兰")
    page.go_back()
    with page.expect_navigation():
        page.get_by_test_id(f"record-{paired.pk}").click()
    expect(page.locator('canvas[data-signature="elder_signature"]')).to_be_visible()
    # When the visit is by phone
    page.locator('label[for="m-phone"]').click()
    # Then the elder's signature is not asked for, and the visitor's is
    expect(page.locator('canvas[data-signature="elder_signature"]')).to_be_hidden()
    expect(page.locator('canvas[data-signature="visitor_signature"]')).to_be_visible()
    for item, option in (("household_members", "same"), ("speech", "same"), ("mobility", "same"),
                         ("illness", "same"), ("mental", "same"), ("housing", "safe"), ("electricity", "safe"),
                         ("water_gas", "safe"), ("economy", "same"), ("family_support", "same"),
                         ("daily_care", "same")):  # fmt: skip
        choose(page, item, option)
    page.get_by_label("已与老人核对以上信息").check()
    sign(page, "visitor_signature")
    screenshot(page, "phone-call-visit-form")
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    expect(page.get_by_text("探访记录已保存")).to_be_visible()
    record = VisitRecord.objects.get()
    assert record.visit.method == "phone" and record.visitor_signature and not record.elder_signature


def test_all_same_fills_every_item_from_no_change_or_last_time_in_one_tap(new_context, paired) -> None:
    # Given a visit recorded last time (water and gas unsafe, housing safe, an illness noted)
    visitor = User.objects.get(username="visitor_li")
    last = record_input(
        occurred_at=daytime(hours_ago=24 * 3), answers=dict(FULL_ANSWERS) | {"need_kinds": ["emotional"]}
    )
    submit_record(actor=visitor, elder=paired, data=last)
    page = new_context().new_page()
    log_in(page, "visitor_li")
    page.goto("/worklist/")
    with page.expect_navigation():
        page.get_by_test_id(f"record-{paired.pk}").click()
    # When the visitor taps 全部无变化
    page.get_by_test_id("all-same").click()
    # Then items with "no change" say it, the others take last time's answer, and each stays editable
    expect(page.locator("#a-speech-same")).to_be_checked()
    expect(page.locator("#a-illness-same")).to_be_checked()
    expect(page.locator("#a-housing-safe")).to_be_checked()
    expect(page.locator("#a-water_gas-unsafe")).to_be_checked()
    expect(page.locator("#a-need_kinds-emotional")).to_be_checked()
    choose(page, "mobility", "worse")
    page.get_by_label("已与老人核对以上信息").check()
    sign(page, "elder_signature")
    sign(page, "visitor_signature")
    screenshot(page, "phone-visit-all-same")
    with page.expect_navigation():
        page.get_by_test_id("submit").click()
    expect(page.get_by_text("探访记录已保存")).to_be_visible()
    record = VisitRecord.objects.latest("pk")
    assert record.answers["speech"] == {"option": "same"} and record.answers["mobility"] == {"option": "worse"}
    assert record.answers["water_gas"] == {"option": "unsafe"} and record.answers["need_kinds"] == {
        "options": ["emotional"]
    }
