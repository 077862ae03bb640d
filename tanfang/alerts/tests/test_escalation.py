"""The sweeper acts on stored deadlines, with the clock controlled: village first, then the township's duty."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from celery import current_app

from tanfang.alerts.duty import ShiftInput, add_shift
from tanfang.alerts.escalation import escalate, escalate_due
from tanfang.alerts.models import Incident
from tanfang.alerts.services import close_incident, open_incident
from tanfang.alerts.tasks import escalate_incidents_task
from tanfang.alerts.tests.conftest import with_phone
from tanfang.audit.models import AuditEvent
from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_user
from tanfang.notifications.models import InboxMessage, Notification

OPENED = dt.datetime(2026, 11, 20, 22, 0, tzinfo=LOCAL_TZ)
MINUTE = dt.timedelta(minutes=1)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def ten_minutes(settings):
    settings.TANFANG_INCIDENT_ESCALATE_MINUTES = 10


@pytest.fixture
def incident(scene) -> Incident:
    with time_machine.travel(OPENED, tick=False):
        incident, _created = open_incident(actor=scene.visitor_user, elder_id=scene.elder.pk, kind="fall")
    return incident


def sweep_at(moment: dt.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return escalate_due()


def sms_to(user_id: int, rung: str, incident: Incident) -> Notification:
    return Notification.objects.get(key=f"incident:{incident.pk}:{rung}:u{user_id}")


def test_nothing_happens_a_second_before_the_deadline(incident):
    assert sweep_at(OPENED + 10 * MINUTE - SECOND) == 0

    incident.refresh_from_db()
    assert incident.escalation_step == 0
    assert not incident.timeline.filter(kind="escalated").exists()
    assert Notification.objects.count() == 0


def test_at_the_deadline_the_village_worker_is_told_urgently_and_the_timeline_says_so(scene, incident):
    assert sweep_at(OPENED + 10 * MINUTE) == 1

    incident.refresh_from_db()
    assert incident.escalation_step == 1
    assert incident.next_escalation_at == OPENED + 20 * MINUTE
    sms = sms_to(scene.worker.pk, "village", incident)
    assert sms.priority == Notification.Priority.URGENT and "10 分钟未结案" in sms.body
    inbox = InboxMessage.objects.get(user=scene.worker)
    assert inbox.urgent and inbox.link == f"/incidents/{incident.pk}/"
    entry = incident.timeline.get(kind="escalated")
    assert entry.text == "已 10 分钟未结案，升级通知村（社区）工作人员：建设社区刘委员"
    assert entry.at == OPENED + 10 * MINUTE
    event = AuditEvent.objects.get(action="incident.escalated")
    assert event.actor is None and event.changes == {"escalation_step": {"old": 0, "new": 1}}


def test_a_second_sweep_at_the_same_moment_does_nothing_twice(scene, incident):
    sweep_at(OPENED + 10 * MINUTE)

    assert sweep_at(OPENED + 10 * MINUTE + 30 * SECOND) == 0

    assert incident.timeline.filter(kind="escalated").count() == 1
    assert Notification.objects.filter(key__contains=":village:").count() == 1
    assert AuditEvent.objects.filter(action="incident.escalated").count() == 1


def test_a_sweeper_that_read_the_row_before_another_climbed_it_claims_nothing(scene, incident):
    # given two sweepers saw the incident at step 0; the first climbs
    moment = OPENED + 10 * MINUTE
    assert escalate(incident_id=incident.pk, step=0, moment=moment)

    # when the second acts on what it read
    climbed = escalate(incident_id=incident.pk, step=0, moment=moment)

    # then its conditional update matches nothing
    assert not climbed
    incident.refresh_from_db()
    assert incident.escalation_step == 1
    assert incident.timeline.filter(kind="escalated").count() == 1


def test_the_second_rung_tells_whoever_is_on_duty_at_that_moment(scene, incident, officer_county_north, tree):
    # given two shifts: the day shift ends at 22:15, the night shift starts then
    day = with_phone(make_user("duty_day", Role.TOWNSHIP_OFFICER, [tree.mucheng], display_name="白班"), "13300006666")
    night = with_phone(
        make_user("duty_night", Role.TOWNSHIP_OFFICER, [tree.mucheng], display_name="夜班"), "13300007777"
    )
    for user, starts, ends in ((day, 8, 22.25), (night, 22.25, 32)):
        add_shift(
            actor=officer_county_north,
            township=tree.mucheng,
            data=ShiftInput(
                user_id=user.pk,
                starts_at=dt.datetime(2026, 11, 20, tzinfo=LOCAL_TZ) + dt.timedelta(hours=starts),
                ends_at=dt.datetime(2026, 11, 20, tzinfo=LOCAL_TZ) + dt.timedelta(hours=ends),
            ),
        )
    sweep_at(OPENED + 10 * MINUTE)

    # when the second deadline (22:20) comes
    assert sweep_at(OPENED + 20 * MINUTE - SECOND) == 0
    assert sweep_at(OPENED + 20 * MINUTE) == 1

    # then the night shift is told, not the day shift nor the township's other officers
    incident.refresh_from_db()
    assert incident.escalation_step == 2 and incident.next_escalation_at is None
    assert sms_to(night.pk, "duty", incident).priority == Notification.Priority.URGENT
    assert not Notification.objects.filter(key__contains=":duty:").exclude(key__endswith=f":u{night.pk}").exists()
    assert incident.timeline.filter(kind="escalated").last().text == "已 20 分钟未结案，升级通知木城街道值班人员：夜班"
    # and nothing more is ever due
    assert sweep_at(OPENED + 5 * 60 * MINUTE) == 0


def test_with_nobody_on_duty_the_township_officers_are_told_and_the_timeline_says_so(scene, incident):
    sweep_at(OPENED + 10 * MINUTE)
    sweep_at(OPENED + 20 * MINUTE)

    assert sms_to(scene.township.pk, "duty", incident).priority == Notification.Priority.URGENT
    assert InboxMessage.objects.filter(user=scene.township, urgent=True).count() == 1
    assert incident.timeline.filter(kind="escalated").last().text == (
        "已 20 分钟未结案；木城街道当前无人值班，已改为通知乡镇（街道）干部：木城街道赵主任"
    )


def test_a_village_without_workers_passes_on_to_the_township_at_the_next_sweep(scene, incident):
    scene.worker.is_active = False
    scene.worker.save()

    sweep_at(OPENED + 10 * MINUTE)
    sweep_at(OPENED + 10 * MINUTE + 30 * SECOND)

    incident.refresh_from_db()
    assert incident.escalation_step == 2
    assert [e.text for e in incident.timeline.filter(kind="escalated")] == [
        "已 10 分钟未结案；建设社区居民委员会 没有村（社区）工作人员账号，转由乡镇（街道）处理",
        "已 10 分钟未结案；木城街道当前无人值班，已改为通知乡镇（街道）干部：木城街道赵主任",
    ]


def test_a_closed_incident_is_never_escalated(scene, incident, officer_township_north):
    with time_machine.travel(OPENED + 5 * MINUTE, tick=False):
        close_incident(actor=officer_township_north, incident=incident, disposition="treated", account="无大碍")

    assert sweep_at(OPENED + 60 * MINUTE) == 0
    assert not Notification.objects.filter(key__contains=":village:").exists()


def test_the_sweeper_runs_every_thirty_seconds_as_a_periodic_job(scene, incident):
    entry = next(e for e in current_app.conf.beat_schedule.values() if e["task"] == escalate_incidents_task.name)
    assert entry["schedule"] == 30.0

    with time_machine.travel(OPENED + 10 * MINUTE, tick=False):
        assert escalate_incidents_task() == 1
