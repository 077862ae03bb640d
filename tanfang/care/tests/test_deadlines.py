"""Deadlines per region and kind: set on a page, inherited down the tree, the nearest region wins, audited."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.audit.models import AuditEvent
from tanfang.care.models import FollowUp
from tanfang.care.selectors import deadlines_of
from tanfang.care.services import FollowUpInput, deadline_of, open_follow_up, set_deadline_policy
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.time import LOCAL_TZ

MID_MONTH = dt.datetime(2026, 11, 18, 15, 0, tzinfo=LOCAL_TZ)


def test_a_county_sets_a_kind_and_its_villages_inherit_it_until_a_township_sets_its_own(
    tree, officer_county_north, officer_township_north
):
    # given the county gives supporters follow-ups 10 days
    set_deadline_policy(actor=officer_county_north, region_code=tree.wuzhi.code, days={"supporters": 10})
    village = {r.kind: r for r in deadlines_of(tree.jianshe)}
    assert village["supporters"].days == 10 and village["supporters"].source == tree.wuzhi.name
    assert village["hazard"].days == 15 and village["hazard"].source == ""  # the default

    # when the township sets 5, then clears it again
    set_deadline_policy(actor=officer_township_north, region_code=tree.mucheng.code, days={"supporters": 5})
    assert {r.kind: r.days for r in deadlines_of(tree.jianshe)}["supporters"] == 5
    set_deadline_policy(actor=officer_township_north, region_code=tree.mucheng.code, days={"supporters": None})

    # then the county's 10 days are back, and every change is audited with old and new
    assert {r.kind: r.days for r in deadlines_of(tree.jianshe)}["supporters"] == 10
    changes = [e.changes for e in AuditEvent.objects.filter(action="follow_up.deadline_policy").order_by("pk")]
    assert changes == [
        {"supporters": {"old": None, "new": 10}},
        {"supporters": {"old": None, "new": 5}},
        {"supporters": {"old": 5, "new": None}},
    ]


@time_machine.travel(MID_MONTH, tick=False)
def test_a_follow_up_opened_afterwards_gets_the_regions_days(paired, tree):
    set_deadline_policy(actor=paired.officer, region_code=tree.wuzhi.code, days={"supporters": 3})

    fu = open_follow_up(
        actor=paired.officer, elder_id=paired.elder.pk, data=FollowUpInput(kind="supporters", title="x")
    )

    assert fu.deadline == deadline_of(MID_MONTH, 3)


@pytest.mark.parametrize("days", [0, 366, -1])
def test_days_outside_one_to_a_year_are_refused_in_chinese(tree, officer_county_north, days):
    with pytest.raises(ValidationFailed, match="办理时限应为1到365天"):
        set_deadline_policy(actor=officer_county_north, region_code=tree.wuzhi.code, days={"hazard": days})
    assert not AuditEvent.objects.filter(action="follow_up.deadline_policy").exists()


def test_only_managers_in_scope_set_deadlines(tree, officer_province, officer_county_south):
    with pytest.raises(PermissionDenied):
        set_deadline_policy(actor=officer_province, region_code=tree.wuzhi.code, days={"hazard": 5})
    with pytest.raises(NotFound):
        set_deadline_policy(actor=officer_county_south, region_code=tree.wuzhi.code, days={"hazard": 5})


def test_the_page_shows_where_each_days_come_from_and_saves(tree, officer_county_north, as_user):
    client = as_user(officer_county_north)

    saved = client.post(f"/care/deadlines/{tree.wuzhi.code}/", {"doctor": "3", "hazard": ""})
    page = client.get(f"/care/deadlines/{tree.jianshe.code}/").content.decode()

    assert saved.status_code == 302
    assert 'data-testid="days-doctor">3<' in page and tree.wuzhi.name in page
    refused = client.post(f"/care/deadlines/{tree.wuzhi.code}/", {"doctor": "三天"})
    assert refused.status_code == 422 and "请填写天数" in refused.content.decode()


@time_machine.travel(MID_MONTH, tick=False)
def test_chasing_from_the_list_comes_back_to_the_list(paired, as_user):
    fu = open_follow_up(actor=paired.officer, elder_id=paired.elder.pk, data=FollowUpInput(kind="other", title="看望"))
    client = as_user(paired.officer)

    response = client.post(f"/care/follow-ups/{fu.pk}/chase/", {"next": "/care/follow-ups/?state=live"})

    assert response.status_code == 302 and response["Location"] == "/care/follow-ups/?state=live"
    assert FollowUp.objects.get().events.filter(kind="chased").exists()
    away = client.post(f"/care/follow-ups/{fu.pk}/chase/", {"next": "https://example.com/"})
    assert away["Location"] == f"/care/follow-ups/{fu.pk}/"  # never off the site
