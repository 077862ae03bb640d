"""The printed form's sheets: every font embedded, each copy ending cleanly on its own sheet(s)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from pypdf import PdfReader

from tanfang.core.id_numbers import make_citizen_id
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder
from tanfang.elders.inputs import AssistanceInput, BenefitInput, ContactInput, GroupInput, MemberInput
from tanfang.elders.models import Elder
from tanfang.records.printing import print_visits
from tanfang.records.services import submit_record
from tanfang.records.tests.helpers import FULL_ANSWERS, JIANSHE, png, record_input
from tanfang.visitors.services import pair
from tanfang.visits.models import Visit

TITLE = "特殊困难老年人探访关爱服务记录表"
NOTE = "备注：此表一式两份，县级民政部门、乡镇（街道）各存档一份。"
FIRST_COPY, SECOND_COPY = "第一联：县级民政部门存档", "第二联：乡镇（街道）存档"
BIRTH = dt.date(1948, 3, 15)
HOUSEHOLD = [
    MemberInput("李秀英", "户主", "F", make_citizen_id("410823", BIRTH, 52), "慢性病", "minimum"),
    MemberInput("王德明", "配偶", "M", make_citizen_id("410823", dt.date(1945, 1, 1), 53), "失能", "minimum"),
    MemberInput("王建国", "儿子", "M", make_citizen_id("410823", dt.date(1970, 5, 6), 51), "健康"),
    MemberInput("赵芳", "儿媳", "F", make_citizen_id("410823", dt.date(1972, 8, 9), 62), "健康"),
    MemberInput("王小军", "孙子", "M", make_citizen_id("410823", dt.date(1998, 4, 5), 33), "健康"),
    MemberInput("王小红", "孙女", "F", make_citizen_id("410823", dt.date(2001, 6, 7), 44), "健康"),
    MemberInput("王建华", "儿子", "M", make_citizen_id("410823", dt.date(1974, 2, 3), 71), "残疾", "marginal"),
    MemberInput("孙丽", "儿媳", "F", make_citizen_id("410823", dt.date(1976, 9, 10), 82), "健康"),
    MemberInput("王浩", "孙子", "M", make_citizen_id("410823", dt.date(2003, 11, 12), 91), "在校学生"),
    MemberInput("王悦", "孙女", "F", make_citizen_id("410823", dt.date(2008, 1, 2), 26), "在校学生"),
]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 5, 20, 15, 0, tzinfo=LOCAL_TZ), tick=False):
        yield  # the visits below happen at 10:00 that day (helpers.daytime)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def an_elder_with_everything(officer: Any, visitor: Any, *, members: int) -> Elder:
    """An elder with every part of the registry the form prints filled in, paired with the visitor."""
    elder = make_elder(
        officer,
        "李秀英",
        JIANSHE,
        birth=BIRTH,
        sequence=52,
        registered_on=dt.date(2025, 3, 1),
        phone="13800004321",
        address="建设路88号院3号楼2单元501室",
        lives_at_registration=False,
        registered_region_code="410823001002",
        disability_certificate=make_citizen_id("410823", BIRTH, 52) + "21",
        disability_grade=2,
        disability_type="physical",
        drinking_water_safe=True,
        electricity_safe=True,
        housing_safe=False,
        household_income=Decimal("1850.00"),
        groups=[GroupInput("living_alone"), GroupInput("disabled"), GroupInput("special_family")],
        contacts=[ContactInput("王建国", "儿子", "13900005678"), ContactInput("王丽", "女儿", "13700001111")],
        household=HOUSEHOLD[:members],
        benefits=[
            BenefitInput("pension", Decimal("180")),
            BenefitInput("minimum_subsistence", Decimal("420")),
            BenefitInput("old_age", Decimal("50")),
            BenefitInput("disability_care", Decimal("90")),
        ],
        assistance=[
            AssistanceInput("grassroots", "木城街道建设社区居民委员会", "张红", "每月上门探访两次，代购生活用品"),
            AssistanceInput("volunteer", "武陟县阳光志愿者协会", "刘洋", "定期打扫卫生、陪同就医"),
            AssistanceInput("social_worker", "武陟县社会工作服务中心", "陈静", "心理疏导、链接慈善资源"),
        ],
    )
    pair(actor=officer, elder=elder, visitor=visitor, on=dt.date(2025, 3, 1))
    return elder


def a_full_record(officer: Any, elder: Elder, visitor: Any, **changes: Any) -> Visit:
    """Every answer and all three signatures, entered by an officer for the paired visitor."""
    values: dict[str, Any] = {
        "visitor_id": visitor.pk,
        "entered_by_name": "社区工作人员周敏",
        "entry_signature": png(pattern=2),
        "note": "老人近期血压偏高，已提醒按时服药。",
    } | changes
    visit, _ = submit_record(actor=officer, elder=elder, data=record_input(**values))
    return visit


def fonts_of(content: bytes) -> dict[str, bool]:
    """Every font a page (or a form drawn on it) uses: its name, and whether its glyphs are in the file."""
    found: dict[str, bool] = {}

    def font(entry: Any) -> None:
        entry = entry.get_object()
        subtype = entry.get("/Subtype")
        if subtype == "/Type0":  # a composite font: the glyphs are in its descendant
            for descendant in entry["/DescendantFonts"].get_object():
                font(descendant)
        elif subtype == "/Type3":  # glyphs drawn by the PDF itself
            found[str(entry.get("/Name", "Type3"))] = True
        else:
            descriptor = entry.get("/FontDescriptor")
            files = descriptor.get_object().keys() if descriptor is not None else set()
            found[str(entry["/BaseFont"])] = bool({"/FontFile", "/FontFile2", "/FontFile3"} & set(files))

    def resources(entry: Any) -> None:
        entry = entry.get_object() if entry is not None else {}
        for each in (entry.get("/Font") or {}).values():
            font(each)
        for each in (entry.get("/XObject") or {}).values():
            xobject = each.get_object()
            if xobject.get("/Subtype") == "/Form":
                resources(xobject.get("/Resources"))

    for page in PdfReader(io.BytesIO(content)).pages:
        resources(page.get("/Resources"))
    return found


def copies_of(content: bytes) -> list[list[str]]:
    """The text of each page, grouped by copy: a copy starts on the page that carries the form's title."""
    grouped: list[list[str]] = []
    for page in PdfReader(io.BytesIO(content)).pages:
        text = page.extract_text()
        if TITLE in text or not grouped:
            grouped.append([])
        grouped[-1].append(text)
    return grouped


def share_of_last_page(copy: list[str]) -> float:
    return len(copy[-1].strip()) / sum(len(page.strip()) for page in copy)


def test_every_font_of_a_printed_form_is_embedded(paired, officer_county_north):
    # given a full record and an attempt
    elder = an_elder_with_everything(officer_county_north, paired.visitor, members=5)
    full = a_full_record(officer_county_north, elder, paired.visitor)
    attempt, _ = submit_record(
        actor=paired.user,
        elder=paired.elder,
        data=record_input(outcome="refused", answers={}, elder_signature=None, note="老人外出不在家"),
    )

    # when
    content = print_visits(actor=None, visits=[full, attempt])

    # then
    fonts = fonts_of(content)
    assert [name for name, embedded in fonts.items() if not embedded] == []
    assert {name.split("+")[-1] for name in fonts} == {"NotoSansSC-Regular", "NotoSansSC-Bold"}


def test_a_print_with_no_visits_embeds_its_font_too(db):
    content = print_visits(actor=None, visits=[])

    fonts = fonts_of(content)
    assert [name for name, embedded in fonts.items() if not embedded] == []
    assert {name.split("+")[-1] for name in fonts} == {"NotoSansSC-Regular", "NotoSansSC-Bold"}
    assert copies_of(content) == [["第 1 页\n 没有符合条件的探访记录\n"]]


def test_a_full_record_prints_each_copy_on_one_sheet(paired, officer_county_north):
    # given every part of the form filled in, a household of five included
    elder = an_elder_with_everything(officer_county_north, paired.visitor, members=5)
    visit = a_full_record(officer_county_north, elder, paired.visitor)

    # when
    content = print_visits(actor=None, visits=[visit])

    # then each copy is one page holding the whole form, down to its closing note
    copies = copies_of(content)
    assert [len(copy) for copy in copies] == [1, 1]
    for (page,), label in zip(copies, (FIRST_COPY, SECOND_COPY), strict=True):
        assert label in page
        assert all(member.name in page for member in HOUSEHOLD[:5])
        assert "■ 严重：高血压" in page and "希望有人帮忙买药" in page and "社区工作人员周敏" in page
        assert page.rstrip().endswith(NOTE)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="visited"),
        pytest.param({"outcome": "refused", "answers": {}, "elder_signature": None, "note": "拒绝"}, id="refused"),
    ],
)
def test_a_sparse_record_prints_each_copy_on_one_sheet(paired, changes):
    # given an elder with little in the registry (no household, no benefits, no assistance)
    visit, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(**changes))

    # when
    content = print_visits(actor=None, visits=[visit])

    # then
    copies = copies_of(content)
    assert [len(copy) for copy in copies] == [1, 1]
    assert [FIRST_COPY in page for (page,) in copies] == [True, False]
    assert [SECOND_COPY in page for (page,) in copies] == [False, True]
    assert all(page.rstrip().endswith(NOTE) for (page,) in copies)


def test_a_record_too_long_for_one_sheet_carries_the_whole_visit_onto_the_second(paired, officer_county_north):
    # given a household of ten and long answers
    elder = an_elder_with_everything(officer_county_north, paired.visitor, members=10)
    needs = "希望社区帮助联系家庭医生定期上门测量血压，" * 8
    answers = FULL_ANSWERS | {"needs": needs, "suggestions": "联系家庭医生上门，协调志愿者每周陪同复诊。" * 6}
    visit = a_full_record(officer_county_north, elder, paired.visitor, answers=answers, note="老人近期血压偏高。" * 20)

    # when
    content = print_visits(actor=None, visits=[visit])

    # then each copy breaks before the visit: the registry on its first sheet, the visit on its second
    copies = copies_of(content)
    assert [len(copy) for copy in copies] == [2, 2]
    for first, second in copies:
        assert "四、已享受帮扶情况" in first and "王悦" in first
        assert "五、探访情况" not in first and "五、探访情况" in second
        assert "六、关爱服务情况" in second and second.rstrip().endswith(NOTE)
        assert share_of_last_page([first, second]) > 0.4  # a real share of the form, not a few stray lines


def test_each_visit_of_a_print_starts_its_copies_on_a_fresh_sheet(paired, officer_county_north):
    # given two visits to two elders
    elder = an_elder_with_everything(officer_county_north, paired.visitor, members=5)
    full = a_full_record(officer_county_north, elder, paired.visitor)
    sparse, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input())

    # when
    content = print_visits(actor=None, visits=[full, sparse])

    # then four sheets: two copies of each, in order
    copies = copies_of(content)
    assert [len(copy) for copy in copies] == [1, 1, 1, 1]
    assert [("李秀英" in page, "张桂兰" in page) for (page,) in copies] == [(True, False)] * 2 + [(False, True)] * 2
    assert [FIRST_COPY in page for (page,) in copies] == [True, False, True, False]
