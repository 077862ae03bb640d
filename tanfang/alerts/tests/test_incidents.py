"""Opening an incident, logging its calls, one-tap calls through the reveal service, and closing it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.alerts.models import CallAttempt, Incident, TimelineEntry
from tanfang.alerts.services import CallInput, add_note, close_incident, log_call, number_to_call, open_incident
from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.time import LOCAL_TZ
from tanfang.notifications.models import InboxMessage, Notification

OPENED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=LOCAL_TZ)


def state() -> list[object]:
    return [
        list(Incident.objects.order_by("pk").values()),
        list(CallAttempt.objects.order_by("pk").values()),
        list(TimelineEntry.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    ]


@time_machine.travel(OPENED, tick=False)
def test_opening_stores_the_incident_sets_the_deadline_and_tells_the_paired_visitor_at_once(
    scene, officer_township_north, settings
):
    settings.TANFANG_INCIDENT_ESCALATE_MINUTES = 10

    # when the township officer opens one from the elder's page
    incident, created = open_incident(
        actor=officer_township_north, elder_id=scene.elder.pk, kind="fall", description="在院子里摔倒"
    )

    # then
    assert created
    assert (incident.state, incident.kind, incident.region_id) == ("open", "fall", "410823001001")
    assert incident.opened_at == OPENED
    assert incident.next_escalation_at == OPENED + dt.timedelta(minutes=10)
    assert incident.escalation_step == 0
    sms = Notification.objects.get()
    assert sms.key == f"incident:{incident.pk}:opened:v{scene.visitor.pk}"
    assert sms.priority == Notification.Priority.URGENT
    assert "王老汉" in sms.body and "跌倒" in sms.body
    inbox = InboxMessage.objects.get()
    assert (inbox.user, inbox.urgent, inbox.link) == (scene.visitor_user, True, f"/incidents/{incident.pk}/")
    assert [(e.kind, e.text) for e in incident.timeline.all()] == [
        ("opened", "报告紧急情况：跌倒。在院子里摔倒"),
        ("notified", "已通知结对探访人员：陈晓"),
    ]
    event = AuditEvent.objects.get(action="incident.opened")
    assert (event.actor, event.subject_id, event.region_path) == (
        officer_township_north,
        str(incident.pk),
        "410000/410800/410823/410823001000/410823001001/",
    )


def test_the_paired_visitor_opening_it_is_not_told_its_own_news(scene):
    incident, _created = open_incident(actor=scene.visitor_user, elder_id=scene.elder.pk, kind="medical")

    assert Notification.objects.count() == 0 and InboxMessage.objects.count() == 0
    assert [e.kind for e in incident.timeline.all()] == ["opened"]


def test_a_second_tap_gives_back_the_open_incident(scene):
    first, created = open_incident(actor=scene.visitor_user, elder_id=scene.elder.pk, kind="medical")
    again, created_again = open_incident(actor=scene.visitor_user, elder_id=scene.elder.pk, kind="fire_gas")

    assert created and not created_again
    assert again.pk == first.pk and again.kind == "medical"
    assert Incident.objects.count() == 1
    assert AuditEvent.objects.filter(action="incident.opened").count() == 1


def test_an_elder_of_another_county_looks_missing_and_nothing_is_stored(scene, officer_county_south):
    with pytest.raises(NotFound):
        open_incident(actor=officer_county_south, elder_id=scene.elder.pk, kind="fall")

    assert state() == [[], [], [], AuditEvent.objects.count()]
    assert Incident.objects.count() == 0


def test_a_visitor_not_paired_with_the_elder_cannot_open_one(scene, visitor_north):
    with pytest.raises(NotFound):
        open_incident(actor=visitor_north, elder_id=scene.elder.pk, kind="fall")
    assert Incident.objects.count() == 0


def test_a_province_officer_sees_the_elder_but_does_not_report(scene, officer_province, supervisor_north):
    for actor in (officer_province, supervisor_north):
        with pytest.raises(PermissionDenied):
            open_incident(actor=actor, elder_id=scene.elder.pk, kind="fall")
    assert Incident.objects.count() == 0


def test_an_unknown_kind_is_refused_in_chinese(scene):
    with pytest.raises(ValidationFailed) as error:
        open_incident(actor=scene.visitor_user, elder_id=scene.elder.pk, kind="earthquake")

    assert error.value.message == "请选择紧急情况的类型"
    assert Incident.objects.count() == 0


# --- calls -----------------------------------------------------------------------------------


@pytest.fixture
def incident(scene):
    with time_machine.travel(OPENED, tick=False):
        incident, _created = open_incident(actor=scene.visitor_user, elder_id=scene.elder.pk, kind="medical")
    return incident


def test_each_call_is_recorded_with_who_when_the_masked_number_and_the_outcome(scene, incident):
    son = scene.elder.contacts.get(name="王大明")

    with time_machine.travel(OPENED + dt.timedelta(minutes=1), tick=False):
        log_call(actor=scene.visitor_user, incident=incident, data=CallInput(target="120", outcome="answered"))
    with time_machine.travel(OPENED + dt.timedelta(minutes=2), tick=False):
        log_call(
            actor=scene.visitor_user,
            incident=incident,
            data=CallInput(target="contact", contact_id=son.pk, outcome="no_answer", note="响了很久"),
        )
        log_call(
            actor=scene.visitor_user,
            incident=incident,
            data=CallInput(target="other", number="13912345678", outcome="wrong_number"),
        )

    calls = list(incident.calls.values_list("caller_label", "callee_label", "number_masked", "outcome", "note"))
    assert calls == [
        ("网格员陈晓", "120 急救", "120", "answered", ""),
        ("网格员陈晓", "王大明（儿子）", son.phone_masked, "no_answer", "响了很久"),
        ("网格员陈晓", "其他号码", "139*****678", "wrong_number", ""),
    ]
    assert "13900002222" not in str(list(TimelineEntry.objects.values_list("text", flat=True)))
    assert [e.text for e in incident.timeline.filter(kind="call")] == [
        "拨打 120 急救 120：已接通",
        f"拨打 王大明（儿子） {son.phone_masked}：无人接听。响了很久",
        "拨打 其他号码 139*****678：号码错误",
    ]
    assert AuditEvent.objects.filter(action="incident.call_logged").count() == 3


def test_a_call_on_a_closed_incident_is_refused_and_changes_nothing(scene, incident, officer_township_north):
    close_incident(actor=officer_township_north, incident=incident, disposition="hospital", account="已送医")
    before = state()

    with pytest.raises(ValidationFailed) as error:
        log_call(actor=scene.visitor_user, incident=incident, data=CallInput(target="120", outcome="answered"))

    assert error.value.message == "该紧急事件已结案，不能再记录"
    assert state() == before


def test_a_call_needs_a_known_outcome_and_a_contact_of_this_elder(scene, incident, officer_county_north):
    other = scene.elder.contacts.first()
    assert other is not None
    before = state()

    with pytest.raises(ValidationFailed) as no_outcome:
        log_call(actor=scene.visitor_user, incident=incident, data=CallInput(target="120", outcome=""))
    with pytest.raises(ValidationFailed) as foreign:
        log_call(
            actor=scene.visitor_user,
            incident=incident,
            data=CallInput(target="contact", contact_id=other.pk + 1000, outcome="answered"),
        )

    assert no_outcome.value.message == "请选择通话结果：已接通、无人接听或号码错误"
    assert foreign.value.message == "请选择该老人的紧急联系人"
    assert state() == before


def test_a_note_goes_into_the_timeline(scene, incident):
    add_note(actor=scene.visitor_user, incident=incident, text="邻居已帮忙扶起老人")

    assert incident.timeline.last().text == "邻居已帮忙扶起老人"
    with pytest.raises(ValidationFailed):
        add_note(actor=scene.visitor_user, incident=incident, text="  ")


def test_the_one_tap_call_reveals_the_chosen_contact_through_the_reveal_service(scene, incident):
    neighbour = scene.elder.contacts.get(name="李秀")

    number = number_to_call(actor=scene.visitor_user, incident=incident, to="contact", contact_id=neighbour.pk)
    elder_number = number_to_call(actor=scene.visitor_user, incident=incident, to="elder")

    assert (number, elder_number) == ("13600003333", "13700001111")
    events = list(AuditEvent.objects.filter(action="elder.revealed").order_by("pk"))
    assert [e.details for e in events] == [
        {"field": "contact_phone", "reason": "一键拨号", "contact": neighbour.pk},
        {"field": "phone", "reason": "一键拨号"},
    ]
    assert all(e.actor == scene.visitor_user and e.subject_id == str(scene.elder.pk) for e in events)


def test_the_village_worker_may_call_and_the_supervisor_may_not(
    scene, incident, supervisor_north, worker_village_north
):
    son = scene.elder.contacts.get(name="王大明")

    assert (
        number_to_call(actor=worker_village_north, incident=incident, to="contact", contact_id=son.pk) == "13900002222"
    )
    with pytest.raises(PermissionDenied):
        number_to_call(actor=supervisor_north, incident=incident, to="contact", contact_id=son.pk)
    assert AuditEvent.objects.filter(action="elder.revealed").count() == 1


# --- closing ---------------------------------------------------------------------------------


def test_closing_without_a_disposition_is_refused_in_chinese_and_changes_nothing(
    scene, incident, officer_township_north
):
    before = state()

    with pytest.raises(ValidationFailed) as error:
        close_incident(actor=officer_township_north, incident=incident, disposition="", account="已处理")

    assert error.value.message == "请选择处置结果"
    assert state() == before
    assert Incident.objects.get().state == "open"


def test_closing_archives_the_disposition_and_account_and_stops_the_escalation(scene, incident, officer_township_north):
    with time_machine.travel(OPENED + dt.timedelta(minutes=25), tick=False):
        closed = close_incident(
            actor=officer_township_north,
            incident=incident,
            disposition="hospital",
            account="120 送县人民医院，儿子已到",
        )

    assert (closed.state, closed.disposition, closed.account) == ("closed", "hospital", "120 送县人民医院，儿子已到")
    assert closed.closed_at == OPENED + dt.timedelta(minutes=25)
    assert closed.closed_by_label == "木城街道办" and closed.next_escalation_at is None
    assert incident.timeline.last().text == "结案：已送医救治。120 送县人民医院，儿子已到"
    event = AuditEvent.objects.get(action="incident.closed")
    assert event.changes == {"state": {"old": "open", "new": "closed"}}
    with pytest.raises(ValidationFailed) as again:
        close_incident(actor=officer_township_north, incident=closed, disposition="other", account="x")
    assert again.value.message == "该紧急事件已结案"


def test_a_visitor_reports_but_does_not_close(scene, incident):
    with pytest.raises(PermissionDenied):
        close_incident(actor=scene.visitor_user, incident=incident, disposition="hospital", account="已送医")
    assert Incident.objects.get().state == "open"
