"""The home page is what to do today, by role: visitors get their work list; officers and village
workers the exception board of their region (not visited with days left, villages below target, reviews
waiting, overdue follow-ups, open incidents); the administrators their scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from tanfang.alerts.services import open_incident
from tanfang.care.models import FollowUp
from tanfang.care.services import FollowUpInput, open_follow_up
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder, record_test_visit
from tanfang.records.models import VisitRecord
from tanfang.schedule.services import drain_due_queue
from tanfang.visitors.services import VisitorInput, create_visitor, pair

NOW = dt.datetime(2026, 2, 26, 9, 0, tzinfo=LOCAL_TZ)  # two days left in February


@pytest.fixture
def month(tree, officer_county_north, settings, tmp_path):
    """建设: 3 elders, 1 visited; 和平: 1 elder, visited. A follow-up past its deadline, an open incident."""
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        elders = []
        for i, village in enumerate(["410823001001"] * 3 + ["410823001002"]):
            elder = make_elder(
                officer_county_north, f"老人{i}", village, sequence=80 + i, registered_on=dt.date(2026, 1, 2)
            )
            visitor = create_visitor(
                actor=officer_county_north, data=VisitorInput(name=f"探访员{i}", kind="volunteer", region_code=village)
            )
            pair(actor=officer_county_north, elder=elder, visitor=visitor, on=dt.date(2026, 1, 2))
            elders.append(elder)
        open_follow_up(
            actor=officer_county_north, elder_id=elders[0].pk, data=FollowUpInput(kind="reminder", title="提醒")
        )
    with time_machine.travel(NOW, tick=False):
        for elder in (elders[0], elders[3]):
            record_test_visit(officer_county_north, elder, occurred_at=NOW - dt.timedelta(hours=2), method="phone")
        open_incident(actor=officer_county_north, elder_id=elders[1].pk, kind="fall")
        drain_due_queue()
    # one of the two visits waits for review (as if checked in a minute before submitting)
    VisitRecord.objects.filter(visit__elder=elders[0]).update(review_state="pending")
    assert FollowUp.objects.get().deadline < NOW
    return elders


def tile(html: str, name: str) -> str:
    found = re.search(rf'data-testid="tile-{name}".*?<div class="fs-3[^"]*">(\d+)</div>', html, re.S)
    assert found, name
    return found[1]


def test_a_visitor_lands_on_its_work_list(tree, visitor_north, as_user):
    response = as_user(visitor_north).get("/")
    assert response.status_code == 302 and response["Location"] == "/worklist/"


def test_a_township_officer_sees_what_to_do_today(month, officer_township_north, as_user):
    with time_machine.travel(NOW, tick=False):
        html = as_user(officer_township_north).get("/").content.decode()
    assert "今日待办" in html and "本月还剩 2 天" in html
    assert re.search(r'data-testid="board-rate-value">50\.0%<', html)
    assert tile(html, "not-visited") == "2"
    assert tile(html, "overdue-follow-ups") == "1"
    assert tile(html, "incidents") == "1"
    assert tile(html, "reviews") == "1"
    # the villages below target, lowest first: 建设 at 33.3%; 和平 has reached it
    lagging = html.split('data-testid="board-lagging"')[1]
    assert "未达标的村（居）1 个" in lagging and "建设社区居民委员会" in lagging and "33.3%" in lagging
    assert "和平社区" not in lagging
    assert 'href="/schedule/410823001000/?list=not_visited"' in html


def test_a_village_worker_sees_its_village(month, worker_village_north, as_user):
    with time_machine.travel(NOW, tick=False):
        html = as_user(worker_village_north).get("/").content.decode()
    assert tile(html, "not-visited") == "2"
    assert "board-lagging" not in html  # a village has no villages below it


def test_a_county_officer_sees_the_board_and_the_dashboard(month, officer_county_north, as_user):
    with time_machine.travel(NOW, tick=False):
        html = as_user(officer_county_north).get("/").content.decode()
    # the dashboard, with what needs attention first
    assert html.index('data-testid="exceptions"') < html.index('data-testid="rate"')
    assert tile(html, "not-visited") == "2"
    assert "未达标的村（居）1 个" in html and 'data-testid="export-buttons"' in html


def test_the_administrators_see_their_scope(tree, admin_province, as_user):
    html = as_user(admin_province).get("/").content.decode()
    assert 'data-testid="my-regions"' in html and "今日待办" not in html
