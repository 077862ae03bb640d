"""The schedule on real rows: stored due states, the visitor's work list, officers' views, the API."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
import time_machine
from openpyxl import load_workbook

from tanfang.audit.models import AuditEvent
from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder, make_user, month_due, record_test_visit
from tanfang.elders.due_queue import queue_due_refresh
from tanfang.elders.inputs import ContactInput, GroupInput
from tanfang.elders.models import DueRefresh, StatusChange
from tanfang.schedule.models import ElderDue, RecomputeJob, RegionPolicy
from tanfang.schedule.policies import PolicyBook
from tanfang.schedule.selectors import not_visited_this_month, worklist
from tanfang.schedule.services import (
    declare_weather,
    drain_due_queue,
    refresh_due,
    refresh_queued,
    run_recompute,
    start_recompute,
)
from tanfang.visitors.services import VisitorInput, create_visitor, pair
from tanfang.visits.models import Visit

JIANSHE = "410823001001"
TODAY = dt.date(2026, 11, 23)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ)


@pytest.fixture
def frozen():
    with time_machine.travel(at(TODAY, 9), tick=False):
        yield


@pytest.fixture
def setting(tree, officer_county_north, frozen):
    """A visitor with a log-in, paired with three elders in different states."""
    user = make_user("visitor_chen", Role.VISITOR, [tree.jianshe], display_name="网格员陈晓")
    visitor = create_visitor(
        actor=officer_county_north, data=VisitorInput(name="陈晓", kind="grid_worker", region_code=JIANSHE)
    )
    visitor.user = user
    visitor.save()
    registered = dt.date(2026, 1, 5)
    overdue = make_elder(
        officer_county_north,
        "逾期老人",
        JIANSHE,
        sequence=21,
        registered_on=registered,
        phone="13800001111",
        contacts=[ContactInput("儿子", "儿子", "13900002222")],
    )
    due = make_elder(officer_county_north, "待访老人", JIANSHE, sequence=23, registered_on=registered)
    done = make_elder(officer_county_north, "已访老人", JIANSHE, sequence=25, registered_on=registered)
    for elder in (overdue, due, done):
        pair(actor=officer_county_north, elder=elder, visitor=visitor, on=registered)

    def visit(elder, day, method="home"):
        record_test_visit(officer_county_north, elder, visitor_id=visitor.pk, method=method, occurred_at=at(day))

    visit(overdue, dt.date(2026, 9, 10))  # October missed
    visit(due, dt.date(2026, 10, 8))
    visit(done, dt.date(2026, 10, 9))
    visit(done, dt.date(2026, 11, 2), "phone")
    return {"user": user, "visitor": visitor, "overdue": overdue, "due": due, "done": done}


def test_the_work_list_puts_overdue_first_then_due_then_done(setting, as_user):
    response = as_user(setting["user"]).get("/api/v1/worklist")

    items = response.json()
    assert [(i["name"], i["state"]) for i in items] == [
        ("逾期老人", "overdue"),
        ("待访老人", "due_soon"),  # 7 days left in November
        ("已访老人", None),
    ]
    assert items[0]["deadline"] == "2026-10-31" and items[0]["days_left"] == -23
    assert items[0]["reason_label"] == "每月探访" and items[0]["last_visit_on"] == "2026-09-10"
    assert items[2]["last_method"] == "phone"
    assert items[0]["phone"] == "138*****111"  # masked: calling goes through call_url


def test_the_work_list_page_on_a_phone_shows_days_and_call_buttons(setting, as_user):
    page = as_user(setting["user"]).get("/worklist/").content.decode()

    assert page.index("逾期老人") < page.index("待访老人") < page.index("已访老人")
    assert "逾期 23 天" in page and "还剩 7 天" in page
    assert f"/worklist/call/{setting['overdue'].pk}/?to=contact" in page
    assert "13800001111" not in page


def test_an_elders_name_on_the_work_list_opens_its_visit_history(setting, as_user):
    # Given the visitor's work list
    client = as_user(setting["user"])
    page = client.get("/worklist/").content.decode()
    history = f"/records/elders/{setting['overdue'].pk}/"
    # Then the elder's name links to the elder's visits, which the visitor may open
    assert f'href="{history}" data-testid="elder-history">逾期老人</a>' in page
    opened = client.get(history)
    shown = opened.content.decode()
    assert opened.status_code == 200 and "逾期老人" in shown and "2026-09-10" in shown
    # And above them, the elder as the visitor sees it on the recording page: the contact's phone masked
    assert 'data-testid="elder-summary"' in shown and "儿子 139*****222" in shown
    assert "13900002222" not in shown and "13800001111" not in shown


def test_calling_is_a_tel_link_and_is_audited(setting, as_user):
    client = as_user(setting["user"])

    elder_call = client.get(f"/worklist/call/{setting['overdue'].pk}/")
    contact_call = client.get(f"/worklist/call/{setting['overdue'].pk}/?to=contact")

    assert elder_call["Location"] == "tel:13800001111"
    assert contact_call["Location"] == "tel:13900002222"
    events = AuditEvent.objects.filter(action="elder.revealed", actor_label="visitor_chen").order_by("pk")
    assert [(e.details["field"], e.details["reason"]) for e in events] == [
        ("phone", "一键拨号"),
        ("contact_phone", "一键拨号"),
    ]  # the paired visitor types no reason: the call is the reason


def test_a_visitor_cannot_call_elders_not_paired_with_them(setting, officer_county_north, as_user, tree):
    stranger = make_elder(officer_county_north, "别人的老人", JIANSHE, sequence=27, phone="13700003333")
    other = make_user("visitor_li", Role.VISITOR, [tree.jianshe])

    assert as_user(other).get(f"/worklist/call/{stranger.pk}/").status_code == 404


def test_officers_see_who_is_not_visited_this_month_and_export_it(setting, officer_county_north, as_user):
    refresh_due([setting["overdue"].pk, setting["due"].pk, setting["done"].pk], TODAY)
    client = as_user(officer_county_north)

    page = client.get("/schedule/410823/").content.decode()
    overdue_page = client.get("/schedule/410823/?list=overdue").content.decode()
    export = client.get("/schedule/410823/not_visited.xlsx")

    assert "逾期老人" in page and "待访老人" in page and "已访老人" not in page
    assert "本月还剩 7 天" in page
    assert "逾期老人" in overdue_page and "待访老人" not in overdue_page
    rows = list(load_workbook(io.BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    assert sorted(r[0] for r in rows[1:]) == ["待访老人", "逾期老人"]
    assert all("*" in r[1] for r in rows[1:])  # ID numbers masked


def test_the_region_due_api_gives_the_month_and_past_months(setting, officer_county_north, as_user):
    refresh_due([setting["overdue"].pk, setting["due"].pk, setting["done"].pk], TODAY)
    client = as_user(officer_county_north)

    now = client.get("/api/v1/regions/410823/due").json()
    october = client.get("/api/v1/regions/410823/due", {"month": "2026-10"}).json()
    future = client.get("/api/v1/regions/410823/due", {"month": "2027-01"})

    assert (now["denominator"], now["visited"]) == (3, 1)
    assert (october["denominator"], october["visited"]) == (3, 2)
    assert [e["name"] for e in october["not_visited"]] == ["逾期老人"]
    assert future.status_code == 422


def test_recomputing_a_region_records_progress(setting):
    job = run_recompute(start_recompute(region_path="410000/410800/410823/"), TODAY)

    job.refresh_from_db()
    assert (job.total, job.done) == (3, 3) and job.finished_at is not None and not job.error
    assert ElderDue.objects.count() == 3


def test_a_county_policy_can_only_tighten_the_province(tree, officer_county_north, frozen):
    RegionPolicy.objects.create(
        region=tree.henan, region_path=tree.henan.path, monthly_contacts=1, disabled_home_visit_months=3
    )
    RegionPolicy.objects.create(
        region=tree.wuzhi, region_path=tree.wuzhi.path, monthly_contacts=2, disabled_home_visit_months=6
    )

    policy = PolicyBook().policy(tree.jianshe.path)

    assert (policy.monthly_contacts, policy.disabled_home_visit_months) == (2, 3)


def test_a_weather_warning_adds_a_contact_for_the_chosen_groups(setting, officer_county_north, tree):
    alone = make_elder(
        officer_county_north,
        "独居老人",
        JIANSHE,
        sequence=29,
        registered_on=dt.date(2026, 1, 5),
        groups=[GroupInput("living_alone")],
    )
    pair(actor=officer_county_north, elder=alone, visitor=setting["visitor"])
    record_test_visit(
        officer_county_north,
        alone,
        visitor_id=setting["visitor"].pk,
        method="home",
        occurred_at=at(dt.date(2026, 11, 3)),
    )
    declare_weather(
        actor=officer_county_north,
        region_code="410823",
        kind="cold_wave",
        starts_on=TODAY,
        ends_on=TODAY + dt.timedelta(days=3),
        groups=["living_alone"],
    )

    refresh_due([alone.pk, setting["done"].pk], TODAY)

    assert ElderDue.objects.get(elder=alone).reason == "weather"
    assert ElderDue.objects.get(elder=setting["done"]).reason == ""  # not living alone


def test_a_repeated_submission_is_stored_once(setting, officer_county_north):
    client_id = uuid.uuid4()

    def send():
        return record_test_visit(
            officer_county_north,
            setting["due"],
            visitor_id=setting["visitor"].pk,
            method="phone",
            occurred_at=at(TODAY, 8),
            client_id=client_id,
        )

    first, again = send(), send()

    assert first.pk == again.pk and Visit.objects.filter(elder=setting["due"], day=TODAY).count() == 1


def test_the_recompute_page_shows_progress(setting, officer_county_north, as_user):
    job = RecomputeJob.objects.create(region_path="410000/410800/410823/", total=10, done=4)

    page = as_user(officer_county_north).get(f"/schedule/jobs/{job.pk}/").content.decode()

    assert "4 / 10" in page and "计算中" in page


def test_a_big_recompute_runs_in_slices_and_counts_every_elder(transactional_db, monkeypatch):
    # (no frozen clock here: forked worker processes must not inherit a patched clock)
    from tanfang.conftest import Tree
    from tanfang.devtools.factories import make_user as user
    from tanfang.schedule import services

    tree = Tree()
    officer = user("officer_big", Role.COUNTY_OFFICER, [tree.wuzhi])
    for i in range(30):
        make_elder(officer, f"老人{i}", JIANSHE, sequence=21 + 2 * i, registered_on=dt.date(2026, 1, 5))
    monkeypatch.setattr(services, "PARALLEL_FROM", 10)  # the parallel path, on PostgreSQL
    monkeypatch.setattr(services, "RECOMPUTE_SLICE", 7)

    job = run_recompute(start_recompute(region_path=tree.wuzhi.path))

    assert (job.total, job.done) == (30, 30) and job.finished_at is not None and not job.error
    assert ElderDue.objects.count() == 30


def test_recording_a_visit_queues_the_elder_and_every_reader_sees_it_at_once(setting, officer_county_north):
    # given: the elder's stored state says the month is owed
    refresh_due([setting["due"].pk], TODAY)
    DueRefresh.objects.all().delete()
    assert not month_due(setting["due"]).visited

    # when: a visit is recorded
    record_test_visit(
        officer_county_north, setting["due"], visitor_id=setting["visitor"].pk, method="phone", occurred_at=at(TODAY, 8)
    )

    # then: the elder is queued, not yet recomputed ...
    assert DueRefresh.objects.filter(elder=setting["due"]).exists()
    assert not month_due(setting["due"]).visited
    # ... and the officer's not-visited list drains its part of the queue before reading
    missing = list(not_visited_this_month(officer_county_north, "410823", TODAY).values_list("elder_id", flat=True))
    assert setting["due"].pk not in missing
    state = ElderDue.objects.get(elder=setting["due"])
    assert month_due(setting["due"]).visited and state.deadline is None and state.last_contact_on == TODAY
    assert not DueRefresh.objects.exists()


def test_the_work_list_drains_the_visitors_own_queued_elders(setting):
    refresh_due([setting["due"].pk], TODAY)
    queue_due_refresh(elder_ids=[setting["due"].pk])
    StatusChange.objects.filter(elder=setting["due"]).delete()
    ElderDue.objects.filter(elder=setting["due"]).update(deadline=dt.date(2020, 1, 1))  # stale on purpose

    items = {i.elder.pk: i for i in worklist(setting["visitor"], TODAY)}

    assert items[setting["due"].pk].deadline == dt.date(2026, 11, 30)
    assert not DueRefresh.objects.filter(elder=setting["due"]).exists()


def test_an_elder_queued_again_while_a_drain_runs_stays_queued(setting, monkeypatch):
    from tanfang.schedule import services

    DueRefresh.objects.all().delete()
    queue_due_refresh(elder_ids=[setting["due"].pk, setting["done"].pk])
    real = services.refresh_due

    def refresh_while_a_visit_arrives(ids, today=None):
        queue_due_refresh(elder_ids=[setting["due"].pk])  # committed after the drain read the queue
        return real(ids, today)

    monkeypatch.setattr(services, "refresh_due", refresh_while_a_visit_arrives)

    assert refresh_queued(today=TODAY) == 2

    assert list(DueRefresh.objects.values_list("elder_id", flat=True)) == [setting["due"].pk]


def test_draining_the_queue_takes_it_in_batches_until_it_is_empty(setting):
    ids = [setting[k].pk for k in ("overdue", "due", "done")]
    ElderDue.objects.all().delete()
    queue_due_refresh(elder_ids=ids)

    assert drain_due_queue(today=TODAY, batch=2) == 3

    assert not DueRefresh.objects.exists()
    assert set(ElderDue.objects.values_list("elder_id", flat=True)) == set(ids)


def test_an_officer_sets_a_stricter_policy_and_declares_weather_through_the_pages(tree, officer_county_north, as_user):
    client = as_user(officer_county_north)
    form = {
        "monthly_contacts": "2",
        "count_home": "on",
        "count_phone": "on",
        "disabled_home_visit_months": "2",
        "high_risk_interval_days": "7",
        "festival_window_before": "5",
        "festival_window_after": "1",
    }

    saved = client.post("/schedule/410823/policy/", form)
    looser = client.post("/schedule/410823001001/policy/", {**form, "monthly_contacts": "1"})
    weather = client.post(
        "/schedule/410823/weather/", {"kind": "heat_wave", "starts_on": "2026-07-10", "ends_on": "2026-07-12"}
    )

    assert saved.status_code == 302
    assert RegionPolicy.objects.get(region=tree.wuzhi).monthly_contacts == 2
    assert PolicyBook().policy(tree.jianshe.path).counted_methods == frozenset({"home", "phone"})
    assert "不能低于上级要求的每月 2 次" in looser.content.decode()
    assert weather.status_code == 302
    assert "高温" in client.get("/schedule/410823/weather/").content.decode()


def test_the_policy_and_weather_api(tree, officer_county_north, as_user):
    client = as_user(officer_county_north)

    stricter = client.put("/api/v1/regions/410823/policy", {"monthly_contacts": 2}, content_type="application/json")
    looser = client.put("/api/v1/regions/410823001001/policy", {"monthly_contacts": 1}, content_type="application/json")
    inherited = client.get("/api/v1/regions/410823001001/policy").json()
    weather = client.post(
        "/api/v1/regions/410823/weather-events",
        {"kind": "snow", "starts_on": "2026-12-01", "ends_on": "2026-12-03", "groups": ["disabled"]},
        content_type="application/json",
    )

    assert stricter.status_code == 200 and stricter.json()["monthly_contacts"] == 2
    assert looser.status_code == 422 and looser.json()["errors"][0]["field"] == "monthly_contacts"
    assert inherited["monthly_contacts"] == 2
    assert weather.status_code == 201 and weather.json()["groups"] == ["disabled"]
