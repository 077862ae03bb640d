"""The in-app inbox: a bell with the unread count on every page, the user's own messages, mark as read."""

from __future__ import annotations

import datetime as dt

import time_machine

from tanfang.accounts.services import reset_password
from tanfang.audit.models import AuditEvent
from tanfang.core.time import LOCAL_TZ
from tanfang.notifications.models import InboxMessage
from tanfang.notifications.services import tell_user

NOW = dt.datetime(2026, 12, 31, 23, 59, tzinfo=LOCAL_TZ)


def test_a_message_is_put_once_per_key(worker_village_north):
    assert tell_user(key="k1", user_id=worker_village_north.pk, body="您有一条待办") is True
    assert tell_user(key="k1", user_id=worker_village_north.pk, body="您有一条待办") is False

    assert InboxMessage.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_the_bell_counts_unread_messages_and_the_inbox_shows_only_ones_own(
    worker_village_north, officer_county_north, as_user
):
    # given two messages for the worker and one for the officer
    tell_user(key="a", user_id=worker_village_north.pk, body="探访被退回：未上门", link="/worklist/")
    tell_user(key="b", user_id=worker_village_north.pk, body="新的随访任务", urgent=True)
    tell_user(key="c", user_id=officer_county_north.pk, body="县里的消息")
    client = as_user(worker_village_north)

    # when the worker opens any page, then its inbox
    home = client.get("/").content.decode()
    inbox = client.get("/inbox/").content.decode()

    # then
    assert 'data-testid="bell"' in home and 'text-bg-danger">2</span>' in home
    assert "探访被退回：未上门" in inbox and "新的随访任务" in inbox and "县里的消息" not in inbox
    assert 'href="/worklist/"' in inbox


@time_machine.travel(NOW, tick=False)
def test_marking_read_one_or_all_touches_only_ones_own_and_is_audited(
    worker_village_north, officer_county_north, as_user
):
    tell_user(key="a", user_id=worker_village_north.pk, body="一")
    tell_user(key="b", user_id=worker_village_north.pk, body="二")
    tell_user(key="c", user_id=officer_county_north.pk, body="三")
    first, second = InboxMessage.objects.filter(user=worker_village_north).order_by("key")
    theirs = InboxMessage.objects.get(key="c")
    client = as_user(worker_village_north)

    client.post("/inbox/read/", {"id": [first.pk, theirs.pk]})
    after_one = {m.key: m.read_at for m in InboxMessage.objects.all()}
    client.post("/inbox/read/")

    assert after_one == {"a": NOW, "b": None, "c": None}  # another's message is left alone
    assert InboxMessage.objects.get(pk=second.pk).read_at == NOW
    assert InboxMessage.objects.get(pk=theirs.pk).read_at is None
    events = AuditEvent.objects.filter(action="inbox.read").order_by("id")
    assert [e.details for e in events] == [{"messages": 1}, {"messages": 1}]


def test_the_api_lists_and_marks_the_callers_messages(worker_village_north, officer_county_north, as_user):
    tell_user(key="a", user_id=worker_village_north.pk, body="一", urgent=True)
    tell_user(key="c", user_id=officer_county_north.pk, body="三")
    client = as_user(worker_village_north)

    listed = client.get("/api/v1/inbox").json()
    read = client.post("/api/v1/inbox/read", {}, content_type="application/json").json()

    assert listed["unread"] == 1
    assert [(m["body"], m["urgent"], m["read"]) for m in listed["items"]] == [("一", True, False)]
    assert read == {"marked": 1, "unread": 0}
    assert InboxMessage.objects.get(key="c").read_at is None


def test_a_password_reset_is_told_in_the_inbox_even_without_a_phone(officer_county_north, worker_village_north):
    reset_password(actor=officer_county_north, user=worker_village_north, new_password="Xinmima2026abc")

    message = InboxMessage.objects.get(user=worker_village_north)
    assert message.urgent and "重置" in message.body and message.link == "/accounts/security/"
