"""Per-user channels and quiet hours: notify_user follows them, except for emergencies and alarms."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.audit.models import AuditEvent
from tanfang.core.errors import ValidationFailed
from tanfang.core.time import LOCAL_TZ
from tanfang.notifications.channels import fake_channel
from tanfang.notifications.models import InboxMessage, Notification, Preference
from tanfang.notifications.preferences import PreferenceInput, preference_of, set_preferences
from tanfang.notifications.services import notify_user, send_pending

PHONE = "13812345678"
PATH = "410000/410800/410823/410823001000/410823001001/"
NIGHT_START, NIGHT_END = dt.time(22, 0), dt.time(7, 0)
LATE = dt.datetime(2027, 1, 31, 23, 30, tzinfo=LOCAL_TZ)  # a month's last evening, inside the night


@pytest.fixture
def fake(db):
    channel = fake_channel()
    channel.reset()
    yield channel
    channel.reset()


def tell(user, key: str = "k", *, urgent: bool = False, phone: str = PHONE):
    return notify_user(
        key=key, user_id=user.pk, phone=phone, label="小李", body="请尽快探访", link="/worklist/",
        region_path=PATH, urgent=urgent,
    )  # fmt: skip


def test_without_preferences_a_user_gets_the_inbox_and_an_sms(fake, worker_village_north):
    told = tell(worker_village_north)

    assert (told.inbox, told.sms, told.wecom) == (True, True, False)
    row = Notification.objects.get()
    assert (row.key, row.channel, row.recipient, row.next_attempt_at, row.priority) == (
        "k",
        "fake",
        "138*****678",
        None,
        0,
    )
    assert InboxMessage.objects.get().link == "/worklist/"


def test_a_message_in_quiet_hours_is_a_row_at_once_and_goes_out_when_they_end(fake, worker_village_north):
    # given a user quiet from 22:00 to 07:00
    set_preferences(actor=worker_village_north, data=PreferenceInput(quiet_start=NIGHT_START, quiet_end=NIGHT_END))

    # when told something at 23:30 on 31 January
    with time_machine.travel(LATE, tick=False):
        tell(worker_village_north)
        sent_at_night = send_pending()

    # then the inbox has it at once, the SMS waits for 07:00 on 1 February, and is sent then
    assert InboxMessage.objects.count() == 1
    row = Notification.objects.get()
    assert row.next_attempt_at == dt.datetime(2027, 2, 1, 7, 0, tzinfo=LOCAL_TZ)
    assert sent_at_night == 0 and fake.sent == []
    with time_machine.travel(dt.datetime(2027, 2, 1, 6, 59, 59, tzinfo=LOCAL_TZ), tick=False):
        assert send_pending() == 0
    with time_machine.travel(dt.datetime(2027, 2, 1, 7, 0, tzinfo=LOCAL_TZ), tick=False):
        assert send_pending() == 1
    assert fake.sent == [(PHONE, "请尽快探访")]


def test_an_emergency_ignores_quiet_hours_and_the_sms_off_switch(fake, worker_village_north):
    # given a user who wants no SMS, quiet now, and has switched the inbox off too
    set_preferences(
        actor=worker_village_north,
        data=PreferenceInput(inbox=True, sms=False, quiet_start=NIGHT_START, quiet_end=NIGHT_END),
    )
    Preference.objects.update(inbox=False)  # (the page keeps one channel on; the rule must hold anyway)

    # when an alarm comes at 23:30
    with time_machine.travel(LATE, tick=False):
        told = tell(worker_village_north, urgent=True)

    # then it is queued urgent and due now, and in the inbox marked urgent
    assert (told.inbox, told.sms) == (True, True)
    row = Notification.objects.get()
    assert (row.priority, row.next_attempt_at) == (Notification.Priority.URGENT, None)
    assert InboxMessage.objects.get().urgent is True


def test_sms_switched_off_leaves_the_inbox_only(fake, worker_village_north):
    set_preferences(actor=worker_village_north, data=PreferenceInput(inbox=True, sms=False))

    told = tell(worker_village_north)

    assert (told.inbox, told.sms) == (True, False)
    assert Notification.objects.count() == 0


def test_the_inbox_is_the_fallback_when_nothing_else_would_carry_the_message(fake, worker_village_north):
    # given a user who wants SMS only, but has no phone number
    set_preferences(actor=worker_village_north, data=PreferenceInput(inbox=False, sms=True))

    told = tell(worker_village_north, phone="")

    assert (told.inbox, told.sms) == (True, False)
    assert InboxMessage.objects.count() == 1


def test_sms_only_writes_no_inbox_message(fake, worker_village_north):
    set_preferences(actor=worker_village_north, data=PreferenceInput(inbox=False, sms=True))

    told = tell(worker_village_north)

    assert (told.inbox, told.sms) == (False, True)
    assert InboxMessage.objects.count() == 0


def test_a_wecom_group_gets_the_message_by_its_robot_name(fake, worker_village_north, settings):
    settings.TANFANG_WECOM_ROBOT_KEYS = "木城街道值班群:key-1"
    set_preferences(
        actor=worker_village_north, data=PreferenceInput(sms=False, wecom=True, wecom_robot="木城街道值班群")
    )

    told = tell(worker_village_north)

    assert (told.inbox, told.sms, told.wecom) == (True, False, True)
    row = Notification.objects.get()
    assert (row.key, row.channel, row.recipient) == ("k:wecom", "wecom_robot", "木城街道值班群")


def test_telling_twice_with_one_key_adds_nothing(fake, worker_village_north):
    tell(worker_village_north)

    assert not tell(worker_village_north)
    assert (Notification.objects.count(), InboxMessage.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (PreferenceInput(inbox=False, sms=False, wecom=False), "请至少选择一种接收方式"),
        (PreferenceInput(quiet_start=dt.time(22)), "免打扰时段须同时填写开始和结束时间"),
        (PreferenceInput(quiet_start=dt.time(8), quiet_end=dt.time(8)), "免打扰的开始和结束时间不能相同"),
        (PreferenceInput(wecom=True, wecom_robot="不存在的群"), "请选择一个已配置的企业微信群"),
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(worker_village_north, data, message):
    with pytest.raises(ValidationFailed) as refused:
        set_preferences(actor=worker_village_north, data=data)

    assert refused.value.message == message
    assert Preference.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_a_change_is_audited_old_to_new(worker_village_north):
    set_preferences(
        actor=worker_village_north, data=PreferenceInput(sms=False, quiet_start=NIGHT_START, quiet_end=NIGHT_END)
    )
    set_preferences(
        actor=worker_village_north, data=PreferenceInput(sms=False, quiet_start=NIGHT_START, quiet_end=NIGHT_END)
    )  # no change

    event = AuditEvent.objects.get(action="notification.preferences_changed")
    assert event.changes == {
        "quiet_end": {"old": None, "new": "07:00"},
        "quiet_start": {"old": None, "new": "22:00"},
        "sms": {"old": True, "new": False},
    }
    assert preference_of(worker_village_north.pk).quiet_start == dt.time(22, 0)


def test_the_page_sets_ones_own_quiet_hours(worker_village_north, as_user):
    client = as_user(worker_village_north)

    shown = client.get("/inbox/preferences/").content.decode()
    saved = client.post(
        "/inbox/preferences/", {"inbox": "on", "sms": "on", "quiet_start": "22:30", "quiet_end": "06:30"}
    )
    refused = client.post("/inbox/preferences/", {"quiet_start": "22:30", "quiet_end": "06:30"})

    assert "免打扰开始" in shown and "企业微信群" not in shown  # no robot configured: not offered
    assert saved.status_code == 302 and saved["Location"] == "/inbox/preferences/"
    preference = Preference.objects.get(user=worker_village_north)
    assert (preference.quiet_start, preference.quiet_end, preference.sms) == (dt.time(22, 30), dt.time(6, 30), True)
    assert refused.status_code == 200 and "请至少选择一种接收方式" in refused.content.decode()


def test_the_inbox_and_the_security_page_link_to_the_preferences(worker_village_north, as_user):
    client = as_user(worker_village_north)

    assert 'href="/inbox/preferences/"' in client.get("/inbox/").content.decode()
    assert 'href="/inbox/preferences/"' in client.get("/accounts/security/").content.decode()
