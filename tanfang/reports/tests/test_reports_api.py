"""The figures over the API: a region's visit rate with its direct sub-regions ranked, every indicator,
a month's state; the same answers as /regions/{code}/due. Dates are fixed with time_machine."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command

from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder, record_test_visit
from tanfang.elders.inputs import GroupInput
from tanfang.schedule.models import MonthDue, MonthFact
from tanfang.schedule.services import drain_due_queue
from tanfang.visitors.services import VisitorInput, create_visitor, pair

NOW = dt.datetime(2026, 3, 20, 15, 0, tzinfo=LOCAL_TZ)  # February of a common year is in the trend


@pytest.fixture
def figures(tree, officer_county_north, officer_county_south, settings, tmp_path):
    """North: 4 elders (2 in 建设, 2 in 和平), 3 visited in March; one 失能 elder declined and is not
    visited. South: 2 elders, 1 visited."""
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        people = [
            (officer_county_north, "410823001001", [], ""),
            (officer_county_north, "410823001001", ["disabled"], ""),
            (officer_county_north, "410823001002", [], ""),
            (officer_county_north, "410823001002", [], ""),
            (officer_county_north, "410823001002", ["disabled"], "unwilling"),
            (officer_county_south, "410822001001", [], ""),
            (officer_county_south, "410822001001", [], ""),
        ]
        elders = []
        for i, (officer, village, groups, willingness) in enumerate(people):
            elder = make_elder(
                officer,
                f"老人{i}",
                village,
                sequence=60 + i,
                registered_on=dt.date(2026, 1, 5),
                groups=[GroupInput(g) for g in groups],
                willingness=willingness,
            )
            visitor = create_visitor(
                actor=officer, data=VisitorInput(name=f"探访员{i}", kind="volunteer", region_code=village)
            )
            pair(actor=officer, elder=elder, visitor=visitor, on=dt.date(2026, 1, 5))
            elders.append((officer, elder))
        for index, method in [(0, "home"), (1, "home"), (2, "phone"), (5, "video")]:
            officer, elder = elders[index]
            record_test_visit(officer, elder, occurred_at=NOW - dt.timedelta(days=2), method=method)
        drain_due_queue()
    return elders


def test_the_visit_rate_of_a_region_and_its_sub_regions_ranked(figures, officer_province, as_user):
    with time_machine.travel(NOW, tick=False):
        body = as_user(officer_province).get("/api/v1/reports/visit-rate?region=410800&month=2026-03").json()
    # Then the city: 6 to visit (the elder who declined is apart), 4 visited
    assert (body["code"], body["to_visit"], body["visited"], body["rate"], body["declined"]) == (
        "410800",
        6,
        4,
        0.6667,
        1,
    )
    counties = {r["code"]: r for r in body["sub_regions"]}
    assert (counties["410823"]["to_visit"], counties["410823"]["visited"], counties["410823"]["rank"]) == (4, 3, 1)
    assert (counties["410822"]["to_visit"], counties["410822"]["visited"], counties["410822"]["rank"]) == (2, 1, 2)
    # February had nobody visited: the change is the whole rate
    assert counties["410823"]["change"] == 0.75


def test_every_indicator_and_the_same_answer_as_the_due_endpoint(figures, officer_county_north, as_user):
    with time_machine.travel(NOW, tick=False):
        client = as_user(officer_county_north)
        body = client.get("/api/v1/reports/indicators?region=410823").json()
        due = client.get("/api/v1/regions/410823/due").json()
    indicators = body["indicators"]
    assert (indicators["to_visit"], indicators["visited"], indicators["not_visited"]) == (4, 3, 1)
    assert (indicators["visited_home"], indicators["visited_phone"], indicators["visited_video"]) == (2, 1, 0)
    assert indicators["declined"] == 1
    assert indicators["groups"]["disabled"] == {"to_visit": 1, "visited": 1}
    assert indicators["disabled_home"] == 1
    assert body["month"] == "2026-03" and body["closed"] is False
    assert [r["code"] for r in body["sub_regions"]] == ["410823001000"]
    assert (due["denominator"], due["visited"]) == (indicators["to_visit"], indicators["visited"])
    assert [m["name"] for m in due["not_visited"]] == ["老人3"]


def test_a_past_month_comes_from_the_facts_too(figures, officer_county_north, as_user):
    with time_machine.travel(NOW, tick=False):
        client = as_user(officer_county_north)
        february = client.get("/api/v1/regions/410823/due?month=2026-02").json()
        rate = client.get("/api/v1/reports/visit-rate?region=410823&month=2026-02").json()
    # Everybody registered on 5 January was owed a visit in February and nobody had one
    assert (february["denominator"], february["visited"], rate["to_visit"]) == (4, 0, 4)
    assert {m["deadline"] for m in february["not_visited"]} == {"2026-02-28"}


def test_month_state_and_bad_months(figures, officer_county_north, as_user):
    with time_machine.travel(NOW, tick=False):
        client = as_user(officer_county_north)
        status = client.get("/api/v1/reports/months/2026-02/status?region=410823").json()
        future = client.get("/api/v1/reports/visit-rate?month=2026-04")
        malformed = client.get("/api/v1/reports/indicators?month=2026-13")
        outside = client.get("/api/v1/reports/visit-rate?region=410822")
        year_zero = [  # what the API fuzzer sent: a month of year 0 is refused, not a server error
            client.get("/api/v1/reports/months/0000-01/status"),
            client.get("/api/v1/regions/410823/due?month=0000-01"),
            client.get("/api/v1/reports/indicators?month=1999-12"),
        ]
    assert (status["state"], status["closes_on"], status["corrections"]) == ("open", "2026-03-05", 0)
    assert future.status_code == 422 and "2026-04 尚未到来" in future.json()["message"]
    assert malformed.status_code == 422
    assert [r.status_code for r in year_zero] == [422, 422, 422]
    assert "无法识别" in year_zero[1].json()["message"]
    assert outside.status_code == 404 and outside.json() == {"code": "not_found", "message": "未找到该记录"}


def test_a_visitor_reads_no_figures(figures, visitor_north, as_user):
    with time_machine.travel(NOW, tick=False):
        response = as_user(visitor_north).get("/api/v1/reports/visit-rate?region=410823001001")
    assert response.status_code == 404


def test_a_region_may_count_the_elders_who_declined(figures, officer_county_north, as_user):
    with time_machine.travel(NOW, tick=False):
        client = as_user(officer_county_north)
        policy = client.get("/api/v1/regions/410823/policy").json()
        assert policy["count_declined"] is False
        body = {k: v for k, v in policy.items() if k not in ("region", "counted_methods", "when_away")}
        saved = client.put(
            "/api/v1/regions/410823/policy",
            {**body, "count_declined": True, "count_home": True, "count_phone": True, "count_video": True},
            content_type="application/json",
        )
        assert saved.status_code == 200 and saved.json()["count_declined"] is True
        drain_due_queue()
        after = client.get("/api/v1/reports/indicators?region=410823").json()["indicators"]
    assert (after["to_visit"], after["visited"], after["declined"]) == (5, 3, 0)


def test_rebuild_facts_finds_nothing_to_change(figures, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("rebuild_facts", "--month", "2026-03")
        call_command("rebuild_facts", "--month", "2026-03", "--region", "410823")
    out = capsys.readouterr().out
    assert "2026-03 全部：" in out and "0 个统计格与增量结果不同" in out
    assert "2026-03 410823：5 位老人，5 行（改写 0 行），0 个统计格与增量结果不同" in out


def test_rebuild_facts_puts_back_what_was_tampered_with_and_writes_only_that(figures, capsys):
    # Given a month whose stored figures were tampered with: one elder's row and one village's cell
    month = dt.date(2026, 3, 1)
    row = MonthDue.objects.filter(month=month, to_visit=True).order_by("elder_id").first()
    assert row is not None
    MonthDue.objects.filter(pk=row.pk).update(visited=not row.visited, method="")
    village = MonthFact.objects.filter(month=month, region_path=row.region_path).first()
    assert village is not None
    MonthFact.objects.filter(pk=village.pk).update(services=village.services + 7)
    before = {(f.region_path, f.cohort): f.visited for f in MonthFact.objects.filter(month=month)}
    # When the month is rebuilt
    with time_machine.travel(NOW, tick=False):
        call_command("rebuild_facts", "--month", "2026-03")
    out = capsys.readouterr().out
    # Then one row was written back, and the figures are the sums of the true rows again
    assert "（改写 1 行）" in out and "0 个统计格与增量结果不同" not in out
    assert MonthDue.objects.get(pk=row.pk).visited == row.visited
    assert MonthFact.objects.get(month=month, region_path=village.region_path, cohort=village.cohort).services == (
        village.services
    )
    assert {(f.region_path, f.cohort): f.visited for f in MonthFact.objects.filter(month=month)} == before
    # And a second rebuild finds nothing more to change
    with time_machine.travel(NOW, tick=False):
        call_command("rebuild_facts", "--month", "2026-03")
    assert "（改写 0 行），0 个统计格与增量结果不同" in capsys.readouterr().out


@pytest.mark.parametrize("month", ["2026-13", "March", "2099-01"])
def test_rebuild_facts_refuses_a_month_it_cannot_read_in_chinese(figures, month):
    with time_machine.travel(NOW, tick=False), pytest.raises(CommandError) as refused:
        call_command("rebuild_facts", "--month", month)
    assert "无法识别" in str(refused.value) or "尚未到来" in str(refused.value)
