"""Form templates as data: what a template may say and which answers it takes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tanfang.records.formdefs import Item, TemplateInvalid, check_answers, describe, parse_definition

TEMPLATES = Path(__file__).resolve().parent.parent / "form_templates"
HENAN = json.loads((TEMPLATES / "henan-2023.json").read_text(encoding="utf-8"))
HUBEI = json.loads((TEMPLATES / "hubei-2022.json").read_text(encoding="utf-8"))

FULL = {
    "household_members": {"option": "same"},
    "speech": "same",
    "mobility": "worse",
    "illness": {"option": "serious", "text": "脑梗"},
    "mental": "better",
    "housing": "safe",
    "electricity": "fairly_safe",
    "water_gas": "unsafe",
    "economy": "same",
    "family_support": "same",
    "daily_care": "same",
    "needs": {"text": "需要助浴"},
    "suggestions": "",
}


def item(code: str) -> Item:
    found = parse_definition(HENAN).item(code)
    assert found is not None
    return found


def test_the_henan_form_has_every_item_of_section_5_in_the_form_order():
    form = parse_definition(HENAN)

    assert [i.code for i in form.items] == [
        "household_members",
        "speech",
        "mobility",
        "illness",
        "mental",
        "housing",
        "electricity",
        "water_gas",
        "economy",
        "assistance",
        "family_support",
        "daily_care",
        "need_kinds",
        "needs",
        "suggestions",
    ]
    assert [o.label for o in item("water_gas").options] == ["安全", "较安全", "不安全"]
    assert [o.label for o in item("daily_care").options] == ["无变化", "较好", "较差"]


def test_a_full_answer_is_kept_and_its_findings_named():
    checked = check_answers(parse_definition(HENAN), FULL)

    assert checked.errors == []
    assert checked.answers["illness"] == {"option": "serious", "text": "脑梗"}
    assert checked.answers["speech"] == {"option": "same"}
    assert "suggestions" not in checked.answers  # empty optional text is not stored
    assert checked.findings == ["mobility", "illness", "water_gas", "needs"]


def test_an_answer_code_not_in_the_template_is_refused_by_item():
    answers = FULL | {"speech": "excellent", "favourite_food": "面条"}

    checked = check_answers(parse_definition(HENAN), answers)

    assert {e.field for e in checked.errors} == {"answers.speech", "answers.favourite_food"}
    assert "“语言表达能力”的选项“excellent”不在模板中" in [e.message for e in checked.errors]


def test_a_missing_required_item_is_named_and_an_attempt_may_leave_it_empty():
    answers = {k: v for k, v in FULL.items() if k != "mental"}

    complete = check_answers(parse_definition(HENAN), answers)
    attempt = check_answers(parse_definition(HENAN), {}, complete=False)

    assert [(e.field, e.message) for e in complete.errors] == [("answers.mental", "请填写“精神状态”")]
    assert attempt.errors == []


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ({"option": "more", "count": 2}, True),
        ({"option": "fewer", "count": "1"}, True),
        ({"option": "more"}, False),
        ({"option": "more", "count": 0}, False),
        ({"option": "more", "count": 51}, False),
        ({"option": "more", "count": True}, False),
        ({"option": "more", "count": "两"}, False),
    ],
)
def test_a_change_in_household_size_needs_a_number_of_people(answer, ok):
    checked = check_answers(parse_definition(HENAN), FULL | {"household_members": answer})

    assert (checked.errors == []) is ok


def test_a_serious_illness_needs_its_name():
    checked = check_answers(parse_definition(HENAN), FULL | {"illness": {"option": "serious", "text": "  "}})

    assert [e.field for e in checked.errors] == ["answers.illness"]


def test_answers_read_as_a_person_reads_them():
    assert describe(item("household_members"), {"option": "more", "count": 2}) == "增加2人"
    assert describe(item("illness"), {"option": "serious", "text": "脑梗"}) == "严重（脑梗）"
    assert describe(item("needs"), {"text": "助浴"}) == "助浴"
    assert describe(item("speech"), None) == ""


def test_another_province_form_is_only_data():
    form = parse_definition(HUBEI)

    checked = check_answers(
        form,
        {
            "health": "good",
            "living_security": "fair",
            "living_environment": "good",
            "fire_safety": {"option": "hazard", "text": "电线老化"},
            "family_affection": "poor",
        },
    )

    assert len(form.items) == 7
    assert checked.errors == []
    assert checked.findings == ["fire_safety", "family_affection"]


def _broken(change):
    document = copy.deepcopy(HENAN)
    change(document)
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "模板应为一个 JSON 对象"),
        (_broken(lambda d: d.update(code="Henan 2023")), "模板编码“Henan 2023”无效"),
        (_broken(lambda d: d.update(sections=[])), "至少要有一个部分"),
        (_broken(lambda d: d["sections"][1]["items"].append(d["sections"][1]["items"][0])), "事项编码“speech”重复"),
        (_broken(lambda d: d["sections"][0]["items"][0].update(kind="slider")), "类型“slider”无效"),
        (_broken(lambda d: d["sections"][0]["items"][0]["options"].pop(1)), None),
        (
            _broken(lambda d: d["sections"][0]["items"][0].update(options=[{"code": "a", "label": "甲"}])),
            "至少要有两个",
        ),
        (_broken(lambda d: d["sections"][0]["items"][0]["options"][1].update(detail="photo")), "detail“photo”无效"),
        (_broken(lambda d: d["sections"][0]["items"][0].update(code="9lives")), "编码“9lives”无效"),
        (_broken(lambda d: d["sections"][4]["items"][1].update(options=[])), "文字事项不能有选项"),
        (
            _broken(lambda d: d["sections"][4]["items"][0]["options"][0].update(detail="text")),
            "多选事项的选项不能要求补充说明",
        ),
        (_broken(lambda d: d["sections"][2].pop("title")), "缺少“title”"),
    ],
)
def test_a_broken_template_is_refused_with_where_and_why(document, message):
    if message is None:  # two options left: still a valid choice item
        parse_definition(document)
        return
    with pytest.raises(TemplateInvalid) as error:
        parse_definition(document)
    assert message in str(error.value)


def test_a_multi_choice_answer_keeps_its_options_in_form_order_and_refuses_unknown_ones():
    form = parse_definition(HENAN)
    checked = check_answers(form, FULL | {"need_kinds": ["adaptation", "daily_care", "daily_care"]})
    assert checked.answers["need_kinds"] == {"options": ["daily_care", "adaptation"]}
    assert "need_kinds" in checked.findings

    refused = check_answers(form, FULL | {"need_kinds": {"options": ["flying"]}})
    assert [e.field for e in refused.errors] == ["answers.need_kinds"]
    assert "flying" in refused.errors[0].message
