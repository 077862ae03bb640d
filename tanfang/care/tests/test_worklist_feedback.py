"""What comes back to a visitor on its work list: attempts, visits rejected on review, follow-ups it owns."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.test import Client

from tanfang.care.services import FollowUpInput, assign_follow_up, open_follow_up
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import DEFAULT_PASSWORD
from tanfang.records.models import ReviewState, VisitRecord
from tanfang.records.services import review_record, submit_record
from tanfang.records.tests.helpers import record_input
from tanfang.schedule.selectors import worklist

MID_MONTH = dt.datetime(2026, 11, 18, 15, 0, tzinfo=LOCAL_TZ)


def _item(paired):
    (item,) = worklist(paired.visitor, MID_MONTH.date())
    return item


def _page(paired) -> str:
    client = Client()
    client.post("/accounts/login/", {"username": paired.user.username, "password": DEFAULT_PASSWORD})
    return client.get("/worklist/").content.decode()


@time_machine.travel(MID_MONTH, tick=True)
def test_an_attempt_shows_with_its_date_until_a_visit_is_made(paired):
    # given nobody was home on the 16th
    attempt = record_input(
        answers={},
        outcome="nobody_home",
        note="敲门无人应",
        occurred_at=MID_MONTH - dt.timedelta(days=2),
        elder_signature=None,
        visitor_signature=None,
        checkin=None,
    )
    submit_record(actor=paired.user, elder=paired.elder, data=attempt)

    # then the work list says so, with the date
    assert _item(paired).attempt.day == dt.date(2026, 11, 16)
    assert "2026-11-16 尝试探访未成：无人在家" in _page(paired)

    # when a visit is made afterwards, the attempt is no longer news
    submit_record(actor=paired.user, elder=paired.elder, data=record_input())
    assert _item(paired).attempt is None


@time_machine.travel(MID_MONTH, tick=True)
def test_a_visit_rejected_on_review_shows_and_links_to_its_reason(paired):
    visit, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input())
    review_record(
        actor=paired.officer,
        record=VisitRecord.objects.get(pk=visit.pk),
        outcome=ReviewState.REJECTED,
        note="定位不在老人家中",
    )

    assert _item(paired).rejected.pk == visit.pk
    assert f"/records/visits/{visit.pk}/" in _page(paired)


@time_machine.travel(MID_MONTH, tick=True)
def test_a_follow_up_assigned_to_the_visitor_shows_on_its_card(paired):
    follow_up = open_follow_up(
        actor=paired.officer, elder_id=paired.elder.pk, data=FollowUpInput(kind="supporters", title="联系赡养人")
    )
    assign_follow_up(actor=paired.officer, follow_up_id=follow_up.pk, user_id=paired.user.pk)

    assert _item(paired).follow_ups == 1
    assert "1 项跟进事项待办" in _page(paired)
