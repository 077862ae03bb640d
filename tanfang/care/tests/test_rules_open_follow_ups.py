"""Each finding rule of the Henan form opens the right follow-up, once, inside the visit's transaction."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine

from tanfang.audit.models import AuditEvent
from tanfang.care.models import Finding, FollowUp, FollowUpEvent, FollowUpState, Outcome
from tanfang.care.rules import RulesInvalid, evaluate, parse_rules
from tanfang.care.selectors import timeline
from tanfang.core.time import LOCAL_TZ
from tanfang.records.formdefs import TemplateInvalid, parse_definition
from tanfang.records.models import ReviewState, VisitRecord
from tanfang.records.services import DEFAULT_TEMPLATE, review_record, submit_record, submit_records
from tanfang.records.tests.helpers import record_input

MID_MONTH = dt.datetime(2026, 11, 18, 15, 0, tzinfo=LOCAL_TZ)

# Every item as it was last time, nothing found: the baseline each case changes.
QUIET: dict[str, Any] = {
    "household_members": "same",
    "speech": "same",
    "mobility": "same",
    "illness": "same",
    "mental": "same",
    "housing": "safe",
    "electricity": "safe",
    "water_gas": "safe",
    "economy": "same",
    "family_support": "same",
    "daily_care": "same",
}

# (answers changed from QUIET, the follow-ups expected: (kind, service kind, rule key))
CASES: list[tuple[str, dict[str, Any], set[tuple[str, str, str]]]] = [
    ("housing unsafe", {"housing": "unsafe"}, {("hazard", "", "housing_unsafe")}),
    ("electricity unsafe", {"electricity": "unsafe"}, {("hazard", "", "electricity_unsafe")}),
    ("water and gas unsafe", {"water_gas": "unsafe"}, {("hazard", "", "water_gas_unsafe")}),
    ("housing fairly safe", {"housing": "fairly_safe"}, {("reminder", "", "housing_fairly_safe")}),
    ("electricity fairly safe", {"electricity": "fairly_safe"}, {("reminder", "", "electricity_fairly_safe")}),
    ("water and gas fairly safe", {"water_gas": "fairly_safe"}, {("reminder", "", "water_gas_fairly_safe")}),
    ("illness serious", {"illness": {"option": "serious", "text": "脑梗"}}, {("doctor", "", "illness_serious")}),
    ("speech worse", {"speech": "worse"}, {("doctor", "", "speech_worse")}),
    ("mobility worse", {"mobility": "worse"}, {("doctor", "", "mobility_worse")}),
    ("mental worse", {"mental": "worse"}, {("doctor", "", "mental_worse")}),
    ("economy worse", {"economy": "worse"}, {("economic", "", "economy_worse")}),
    (
        "economy worse, may be entitled to assistance",
        {"economy": "worse", "assistance": ["dibao"]},
        {("assistance", "", "assistance")},
    ),
    ("assistance ticked, economy unchanged", {"assistance": ["temporary"]}, set()),
    ("family support worse", {"family_support": "worse"}, {("supporters", "", "family_support_worse")}),
    ("daily care worse", {"daily_care": "worse"}, {("provider", "daily_care", "provider:daily_care")}),
    (
        "needs of two kinds",
        {"need_kinds": ["rehabilitation", "adaptation"]},
        {("provider", "rehabilitation", "provider:rehabilitation"), ("provider", "adaptation", "provider:adaptation")},
    ),
    (
        "daily care worse and a daily-care need: one referral",
        {"daily_care": "worse", "need_kinds": ["daily_care"]},
        {("provider", "daily_care", "provider:daily_care")},
    ),
    ("household fewer", {"household_members": {"option": "fewer", "count": 1}}, {("household", "", "household_fewer")}),
    ("household more", {"household_members": {"option": "more", "count": 1}}, set()),
    ("nothing found", {}, set()),
]


@pytest.mark.parametrize(("name", "changes", "expected"), CASES, ids=[c[0] for c in CASES])
@time_machine.travel(MID_MONTH, tick=True)
def test_each_finding_rule_opens_its_follow_up(paired, name, changes, expected):
    # given a visit whose answers differ from a quiet one by `changes`
    data = record_input(answers=QUIET | changes)

    # when the visitor records it
    visit, _created = submit_record(actor=paired.user, elder=paired.elder, data=data)

    # then exactly the expected follow-ups are open for the elder, each tied to the visit and audited
    opened = FollowUp.objects.filter(elder=paired.elder)
    assert {(f.kind, f.service_kind, f.rule) for f in opened} == expected
    for follow_up in opened:
        assert follow_up.visit_id == visit.pk
        assert follow_up.state == FollowUpState.OPEN
        assert follow_up.deadline > follow_up.opened_at
        assert follow_up.region_path == paired.elder.region_path
        assert [s.kind for s in timeline(follow_up)] == [FollowUpEvent.Kind.OPENED]
    assert AuditEvent.objects.filter(action="follow_up.opened").count() == len(expected)


@time_machine.travel(MID_MONTH, tick=True)
def test_the_follow_up_says_what_was_found(paired):
    data = record_input(answers=QUIET | {"illness": {"option": "serious", "text": "脑梗"}})
    submit_record(actor=paired.user, elder=paired.elder, data=data)

    follow_up = FollowUp.objects.get(elder=paired.elder)
    assert "脑梗" in follow_up.detail
    assert follow_up.title.startswith("疾病加重")


@time_machine.travel(MID_MONTH, tick=True)
def test_a_hazard_is_due_for_a_recheck(paired):
    submit_record(actor=paired.user, elder=paired.elder, data=record_input(answers=QUIET | {"housing": "unsafe"}))

    follow_up = FollowUp.objects.get(elder=paired.elder)
    assert follow_up.last_found_on == dt.date(2026, 11, 18)
    assert follow_up.recheck_by == dt.date(2026, 12, 18)


@time_machine.travel(MID_MONTH, tick=True)
def test_a_replayed_submission_opens_nothing_twice(paired):
    # given a visit with a finding, submitted once
    data = record_input(answers=QUIET | {"housing": "unsafe"})
    submit_records(actor=paired.user, items=[(paired.elder, data)])

    # when the phone sends the same record again
    results = submit_records(actor=paired.user, items=[(paired.elder, data)])

    # then it is the same visit, and still one follow-up
    assert not results[0].created
    assert FollowUp.objects.count() == 1
    assert not Finding.objects.exists()


@time_machine.travel(MID_MONTH, tick=True)
def test_finding_a_hazard_again_moves_its_recheck_instead_of_opening_another(paired):
    # given a housing hazard found on the 10th
    first = record_input(answers=QUIET | {"housing": "unsafe"}, occurred_at=MID_MONTH - dt.timedelta(days=8))
    submit_record(actor=paired.user, elder=paired.elder, data=first)

    # when a home visit on the 18th finds it still there
    submit_record(actor=paired.user, elder=paired.elder, data=record_input(answers=QUIET | {"housing": "unsafe"}))

    # then there is one follow-up, found again by the second visit, its re-check counted from the 18th
    follow_up = FollowUp.objects.get()
    assert follow_up.findings.count() == 1
    assert follow_up.recheck_by == dt.date(2026, 12, 18)
    assert [s.kind for s in timeline(follow_up)] == [FollowUpEvent.Kind.OPENED, FollowUpEvent.Kind.FOUND_AGAIN]


@time_machine.travel(MID_MONTH, tick=True)
def test_a_home_visit_that_finds_the_hazard_gone_finishes_it(paired):
    # given a housing hazard found on the 10th
    first = record_input(answers=QUIET | {"housing": "unsafe"}, occurred_at=MID_MONTH - dt.timedelta(days=8))
    submit_record(actor=paired.user, elder=paired.elder, data=first)

    # when the re-check visit finds the house safe
    submit_record(actor=paired.user, elder=paired.elder, data=record_input(answers=QUIET))

    # then the hazard follow-up is done, and owes no more re-check
    follow_up = FollowUp.objects.get()
    assert follow_up.state == FollowUpState.DONE
    assert follow_up.recheck_by is None


@time_machine.travel(MID_MONTH, tick=True)
def test_a_phone_call_does_not_clear_a_hazard(paired):
    first = record_input(answers=QUIET | {"housing": "unsafe"}, occurred_at=MID_MONTH - dt.timedelta(days=8))
    submit_record(actor=paired.user, elder=paired.elder, data=first)

    call = record_input(answers=QUIET, method="phone", checkin=None, elder_signature=None, elder_unsigned_reason="电话")
    submit_record(actor=paired.user, elder=paired.elder, data=call)

    assert FollowUp.objects.get().state == FollowUpState.OPEN


@time_machine.travel(MID_MONTH, tick=True)
def test_an_attempt_opens_nothing(paired):
    data = record_input(
        answers={}, outcome="nobody_home", note="敲门无人应", elder_signature=None, visitor_signature=None, checkin=None
    )
    submit_record(actor=paired.user, elder=paired.elder, data=data)

    assert not FollowUp.objects.exists()


@time_machine.travel(MID_MONTH, tick=True)
def test_a_rejected_visit_cancels_the_follow_ups_it_opened_with_the_reason(paired, officer_county_north):
    # given a visit that opened a follow-up
    visit, _ = submit_record(
        actor=paired.user, elder=paired.elder, data=record_input(answers=QUIET | {"economy": "worse"})
    )
    record = VisitRecord.objects.get(pk=visit.pk)

    # when a reviewer rejects the visit
    review_record(actor=officer_county_north, record=record, outcome=ReviewState.REJECTED, note="照片与地点不符")

    # then its follow-up is closed as cancelled, with the reason in its outcome and its timeline
    follow_up = FollowUp.objects.get()
    assert follow_up.state == FollowUpState.CLOSED
    assert follow_up.outcome == Outcome.CANCELLED
    assert follow_up.outcome_note == "照片与地点不符"
    assert "照片与地点不符" in follow_up.events.get(kind=FollowUpEvent.Kind.CLOSED).note
    assert AuditEvent.objects.filter(action="follow_up.closed").count() == 1


def _henan() -> dict[str, Any]:
    return json.loads(DEFAULT_TEMPLATE.read_text(encoding="utf-8"))


def test_the_henan_form_carries_its_rules():
    form = parse_definition(_henan())
    assert form.has_rules
    assert {r.code for r in form.follow_ups} >= {"housing_unsafe", "needs", "household_fewer", "assistance"}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"code": "x", "kind": "hazard", "title": "t", "when": [{"item": "nope", "options": ["a"]}]}, "不在表单中"),
        ({"code": "x", "kind": "hazard", "title": "t", "when": [{"item": "housing", "options": ["b"]}]}, "没有选项"),
        ({"code": "x", "kind": "magic", "title": "t", "when": [{"item": "housing", "any": True}]}, "跟进类别"),
        ({"code": "x", "kind": "provider", "title": "t", "when": [{"item": "housing", "any": True}]}, "service_kind"),
        ({"code": "x", "kind": "provider", "title": "t", "each": "housing"}, "多选事项"),
        (
            {
                "code": "x",
                "kind": "hazard",
                "title": "t",
                "recheck_days": 0,
                "when": [{"item": "housing", "any": True}],
            },
            "recheck_days",
        ),
        ({"code": "x", "kind": "hazard", "title": "t"}, "when"),
    ],
)
def test_a_template_with_a_bad_rule_is_refused_in_chinese(rule, message):
    document = _henan() | {"follow_ups": [rule]}
    with pytest.raises(TemplateInvalid, match=message):
        parse_definition(document)


def test_rules_evaluate_without_a_database():
    rules = parse_rules(
        [
            {
                "code": "h",
                "kind": "hazard",
                "title": "隐患",
                "recheck_days": 7,
                "when": [{"item": "a", "options": ["x"]}],
            }
        ],
        {"a": {"x", "y"}},
        set(),
    )
    assert [o.key for o in evaluate(rules, {"a": {"option": "x"}})] == ["h"]
    assert evaluate(rules, {"a": {"option": "y"}}) == []
    with pytest.raises(RulesInvalid):
        parse_rules([{"code": "h"}], {"a": {"x"}}, set())


@time_machine.travel(MID_MONTH, tick=True)
def test_the_hazard_recheck_reaches_the_work_list_through_the_one_definition(paired):
    from tanfang.schedule.models import ElderDue
    from tanfang.schedule.services import refresh_queued

    # given a visit on the 18th that found the wiring unsafe
    submit_record(actor=paired.user, elder=paired.elder, data=record_input(answers=QUIET | {"electricity": "unsafe"}))

    # when the due states are refreshed
    refresh_queued()

    # then the elder owes a hazard re-check by 18 December, among its obligations
    due = ElderDue.objects.get(elder=paired.elder)
    assert ["2026-12-18", "hazard_recheck", "用电存在安全隐患：提醒整改并复查"] in due.obligations


@time_machine.travel(MID_MONTH, tick=True)
def test_an_illness_found_again_is_a_step_of_the_same_referral(paired):
    # given a family-doctor referral opened on the 10th and still live
    first = record_input(
        answers=QUIET | {"illness": {"option": "serious", "text": "脑梗"}}, occurred_at=MID_MONTH - dt.timedelta(days=8)
    )
    submit_record(actor=paired.user, elder=paired.elder, data=first)

    # when the next visit finds the illness serious again
    again = record_input(answers=QUIET | {"illness": {"option": "serious", "text": "脑梗"}})
    visit, _ = submit_record(actor=paired.user, elder=paired.elder, data=again)

    # then nothing new is opened: the referral shows the second finding in its timeline
    follow_up = FollowUp.objects.get()
    assert [f.visit_id for f in follow_up.findings.all()] == [visit.pk]
    assert [s.kind for s in timeline(follow_up)] == ["opened", "found_again"]
