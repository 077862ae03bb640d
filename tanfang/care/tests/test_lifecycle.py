"""A follow-up's lifecycle: open → assigned → accepted → done, or closed; deadlines, reminders and escalation."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.audit.models import AuditEvent
from tanfang.care.models import DeadlinePolicy, FollowUp, FollowUpEvent, FollowUpKind, FollowUpState, Provider
from tanfang.care.selectors import timeline
from tanfang.care.services import (
    FollowUpInput,
    accept_follow_up,
    assign_follow_up,
    chase_follow_up,
    close_follow_up,
    complete_follow_up,
    deadline_of,
    open_follow_up,
    sweep_follow_ups,
)
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_user
from tanfang.notifications.models import InboxMessage

MID_MONTH = dt.datetime(2026, 11, 18, 15, 0, tzinfo=LOCAL_TZ)


def _open(officer, elder, kind=FollowUpKind.SUPPORTERS) -> FollowUp:
    return open_follow_up(
        actor=officer, elder_id=elder.pk, data=FollowUpInput(kind=kind, title="联系赡养人", detail="儿子在外地")
    )


@time_machine.travel(MID_MONTH, tick=False)
def test_an_officer_opens_one_by_hand_with_the_kind_deadline(paired):
    fu = _open(paired.officer, paired.elder)

    assert fu.state == FollowUpState.OPEN
    assert fu.rule == "" and fu.visit_id is None
    # the supporters kind has 7 days by default: the end of 25 November, Shanghai time
    assert fu.deadline == dt.datetime(2026, 11, 25, 23, 59, 59, 999999, tzinfo=LOCAL_TZ)
    assert fu.remind_at == fu.deadline - dt.timedelta(days=1)
    assert AuditEvent.objects.filter(action="follow_up.opened", subject_id=str(fu.pk)).exists()


@time_machine.travel(MID_MONTH, tick=False)
def test_a_region_policy_sets_the_deadline_and_the_nearest_region_wins(paired, tree):
    DeadlinePolicy.objects.create(region=tree.wuzhi, region_path=tree.wuzhi.path, kind=FollowUpKind.SUPPORTERS, days=20)
    DeadlinePolicy.objects.create(
        region=tree.mucheng, region_path=tree.mucheng.path, kind=FollowUpKind.SUPPORTERS, days=3
    )

    fu = _open(paired.officer, paired.elder)

    assert fu.deadline == deadline_of(MID_MONTH, 3)


def test_deadlines_cross_month_and_leap_day_ends():
    # opened at 23:30 on 28 February 2028 (a leap year), one day: the end of 29 February
    opened = dt.datetime(2028, 2, 28, 23, 30, tzinfo=LOCAL_TZ)
    assert deadline_of(opened, 1) == dt.datetime(2028, 2, 29, 23, 59, 59, 999999, tzinfo=LOCAL_TZ)
    # opened just after midnight Shanghai time on 1 January (still 31 December in UTC)
    opened = dt.datetime(2027, 1, 1, 0, 5, tzinfo=LOCAL_TZ)
    assert deadline_of(opened, 0) == dt.datetime(2027, 1, 1, 23, 59, 59, 999999, tzinfo=LOCAL_TZ)


@time_machine.travel(MID_MONTH, tick=False)
def test_the_whole_way_to_done_is_timed_audited_and_told(paired):
    # given an open follow-up
    fu = _open(paired.officer, paired.elder)

    # when the officer assigns it to the paired visitor, who accepts and finishes it
    assign_follow_up(actor=paired.officer, follow_up_id=fu.pk, user_id=paired.user.pk)
    accept_follow_up(actor=paired.user, follow_up_id=fu.pk)
    complete_follow_up(actor=paired.user, follow_up_id=fu.pk, note="已电话联系儿子，每周回来一次")

    # then it is done, each step is in its timeline and the audit log, and the visitor was told
    fu.refresh_from_db()
    assert fu.state == FollowUpState.DONE
    assert [s.kind for s in timeline(fu)] == ["opened", "assigned", "accepted", "done"]
    actions = set(AuditEvent.objects.filter(subject_id=str(fu.pk)).values_list("action", flat=True))
    assert {"follow_up.opened", "follow_up.assigned", "follow_up.accepted", "follow_up.done"} <= actions
    message = InboxMessage.objects.get(user=paired.user)
    assert "联系赡养人" in message.body and str(fu.pk) in message.link


@time_machine.travel(MID_MONTH, tick=False)
def test_transitions_not_allowed_are_refused_in_chinese_and_change_nothing(paired, worker_village_north):
    fu = _open(paired.officer, paired.elder)

    # accepting an open follow-up (nobody owns it yet)
    with pytest.raises(ValidationFailed, match="待分派"):
        accept_follow_up(actor=worker_village_north, follow_up_id=fu.pk)
    # finishing one not assigned
    with pytest.raises(ValidationFailed, match="不能办结"):
        complete_follow_up(actor=paired.officer, follow_up_id=fu.pk, note="x")

    close_follow_up(actor=paired.officer, follow_up_id=fu.pk, outcome="not_needed")
    events_before = fu.events.count()
    # anything on a closed one
    for attempt in (
        lambda: assign_follow_up(actor=paired.officer, follow_up_id=fu.pk, user_id=paired.user.pk),
        lambda: close_follow_up(actor=paired.officer, follow_up_id=fu.pk, outcome="resolved"),
        lambda: chase_follow_up(actor=paired.officer, follow_up_id=fu.pk),
    ):
        with pytest.raises(ValidationFailed, match="已关闭"):
            attempt()
    fu.refresh_from_db()
    assert fu.state == FollowUpState.CLOSED and fu.outcome == "not_needed"
    assert fu.events.count() == events_before


@time_machine.travel(MID_MONTH, tick=False)
def test_only_the_owner_accepts(paired, worker_village_north):
    fu = _open(paired.officer, paired.elder)
    assign_follow_up(actor=paired.officer, follow_up_id=fu.pk, user_id=paired.user.pk)

    with pytest.raises(PermissionDenied):
        accept_follow_up(actor=worker_village_north, follow_up_id=fu.pk)


@time_machine.travel(MID_MONTH, tick=False)
def test_closing_needs_an_outcome_and_other_needs_a_reason(paired):
    fu = _open(paired.officer, paired.elder)
    with pytest.raises(ValidationFailed, match="关闭结果"):
        close_follow_up(actor=paired.officer, follow_up_id=fu.pk, outcome="")
    with pytest.raises(ValidationFailed, match="说明原因"):
        close_follow_up(actor=paired.officer, follow_up_id=fu.pk, outcome="other")
    assert FollowUp.objects.get().state == FollowUpState.OPEN


def test_a_follow_up_for_an_elder_out_of_scope_is_not_found(paired, officer_county_south):
    with pytest.raises(NotFound):
        _open(officer_county_south, paired.elder)
    with pytest.raises(PermissionDenied):
        _open(paired.user, paired.elder)  # a visitor does not open follow-ups by hand
    assert not FollowUp.objects.exists()


@time_machine.travel(MID_MONTH, tick=False)
def test_others_cannot_see_or_act_on_it(paired, officer_county_south):
    fu = _open(paired.officer, paired.elder)
    with pytest.raises(NotFound):
        close_follow_up(actor=officer_county_south, follow_up_id=fu.pk, outcome="resolved")
    with pytest.raises(NotFound):
        accept_follow_up(actor=paired.user, follow_up_id=fu.pk)  # not its owner: not even visible


@time_machine.travel(MID_MONTH, tick=False)
def test_a_provider_owns_it_through_its_staff(paired, tree):
    staff = make_user("staff_kangning", Role.VISITOR, [tree.jianshe], display_name="康宁护理员")
    provider = Provider.objects.create(
        name="康宁居家养老服务中心",
        category="elder_care",
        kinds=["daily_care"],
        contact_name="赵敏",
        region=tree.wuzhi,
        region_path=tree.wuzhi.path,
    )
    provider.staff.add(staff)
    fu = open_follow_up(
        actor=paired.officer,
        elder_id=paired.elder.pk,
        data=FollowUpInput(kind="provider", title="转介生活照料", service_kind="daily_care"),
    )

    assign_follow_up(actor=paired.officer, follow_up_id=fu.pk, provider_id=provider.pk)
    accept_follow_up(actor=staff, follow_up_id=fu.pk)

    fu.refresh_from_db()
    assert fu.state == FollowUpState.ACCEPTED and fu.owner_contact == "赵敏"
    assert InboxMessage.objects.filter(user=staff).exists()


@time_machine.travel(MID_MONTH, tick=False)
def test_a_provider_outside_the_elders_area_cannot_be_given_it(paired, tree):
    provider = Provider.objects.create(
        name="博爱县某机构",
        category="elder_care",
        kinds=[],
        contact_name="x",
        region=tree.boai,
        region_path=tree.boai.path,
    )
    fu = _open(paired.officer, paired.elder)
    with pytest.raises(ValidationFailed, match="服务机构"):
        assign_follow_up(actor=paired.officer, follow_up_id=fu.pk, provider_id=provider.pk)


def test_the_sweeper_reminds_before_and_escalates_after_the_deadline_each_once(paired, officer_township_north):
    with time_machine.travel(MID_MONTH, tick=False):
        fu = _open(paired.officer, paired.elder)  # 7 days: deadline the end of 25 November
        assign_follow_up(actor=paired.officer, follow_up_id=fu.pk, user_id=paired.user.pk)

    # a minute before the reminder time nothing happens
    with time_machine.travel(dt.datetime(2026, 11, 24, 23, 58, tzinfo=LOCAL_TZ), tick=False):
        assert sweep_follow_ups() == (0, 0)
    # at the reminder time the owner is reminded, once
    with time_machine.travel(dt.datetime(2026, 11, 25, 0, 0, tzinfo=LOCAL_TZ), tick=False):
        assert sweep_follow_ups() == (1, 0)
        assert sweep_follow_ups() == (0, 0)
    assert InboxMessage.objects.filter(user=paired.user, body__contains="跟进提醒").count() == 1
    # past the deadline the township officer is told, once
    with time_machine.travel(dt.datetime(2026, 11, 26, 0, 0, 1, tzinfo=LOCAL_TZ), tick=False):
        assert sweep_follow_ups() == (0, 1)
        assert sweep_follow_ups() == (0, 0)
    assert InboxMessage.objects.filter(user=officer_township_north, body__contains="跟进逾期").count() == 1
    kinds = list(FollowUp.objects.get().events.values_list("kind", flat=True))
    assert kinds.count(FollowUpEvent.Kind.REMINDED) == 1 and kinds.count(FollowUpEvent.Kind.ESCALATED) == 1


def test_a_finished_follow_up_is_neither_reminded_nor_escalated(paired, officer_township_north):
    with time_machine.travel(MID_MONTH, tick=False):
        fu = _open(paired.officer, paired.elder)
        close_follow_up(actor=paired.officer, follow_up_id=fu.pk, outcome="resolved")
    with time_machine.travel(dt.datetime(2026, 12, 31, tzinfo=LOCAL_TZ), tick=False):
        assert sweep_follow_ups() == (0, 0)


@time_machine.travel(MID_MONTH, tick=False)
def test_chasing_tells_the_owner_once_a_day(paired):
    fu = _open(paired.officer, paired.elder)
    assign_follow_up(actor=paired.officer, follow_up_id=fu.pk, user_id=paired.user.pk)

    chase_follow_up(actor=paired.officer, follow_up_id=fu.pk)
    chase_follow_up(actor=paired.officer, follow_up_id=fu.pk)

    assert InboxMessage.objects.filter(user=paired.user, body__contains="催办").count() == 1
    assert AuditEvent.objects.filter(action="follow_up.chased").count() == 2
