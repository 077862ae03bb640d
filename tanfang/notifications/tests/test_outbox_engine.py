"""The outbox engine: claim, send outside the transaction, record; leases, back-off, failures, priority."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.core.time import LOCAL_TZ
from tanfang.notifications import services
from tanfang.notifications.channels import Delivery, Message, fake_channel
from tanfang.notifications.models import Attempt, Notification
from tanfang.notifications.services import (
    LEASE,
    Outcome,
    backoff,
    claim_batch,
    queue,
    record,
    send_pending,
)

START = dt.datetime(2027, 1, 31, 23, 58, tzinfo=LOCAL_TZ)  # a month end, just before midnight


@pytest.fixture
def fake(db):
    channel = fake_channel()
    channel.reset()
    with time_machine.travel(START, tick=False):
        yield channel
    channel.reset()


def put(key: str, *, urgent: bool = False, phone: str = "13812345678", via: str = "fake") -> None:
    queue(key=key, recipient=phone, label="陈晓", region_path="410000/", body=f"消息 {key}", via=via, urgent=urgent)


def test_the_back_off_doubles_from_a_minute_up_to_an_hour():
    assert [backoff(n) for n in range(1, 9)] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]


def test_a_claimed_row_is_not_claimed_again_until_its_lease_runs_out(fake):
    # given a sender that claimed a row and died before recording anything
    put("a")
    dead_token, rows = claim_batch()
    assert [r.key for r in rows] == ["a"]

    # then another sender finds nothing while the lease holds
    assert claim_batch()[1] == []
    # and takes the row up once it has run out
    with time_machine.travel(START + LEASE + dt.timedelta(seconds=1), tick=False):
        token, again = claim_batch()
        assert [r.key for r in again] == ["a"]
        # the dead sender's late outcome no longer counts: only one attempt is recorded
        assert record(rows[0], dead_token, Outcome(Attempt.Outcome.SENT)) is False
        assert record(again[0], token, Outcome(Attempt.Outcome.SENT, "OK", "biz-1")) is True
    row = Notification.objects.get()
    assert (row.state, row.attempts, row.provider_id, row.claim) == ("sent", 1, "biz-1", "")
    assert Attempt.objects.count() == 1


def test_a_message_sent_again_after_a_crash_carries_the_same_key(fake):
    # given a sender that sent and then died before recording the outcome
    put("digest:visitor:7:2027-01-31")
    _token, rows = claim_batch()
    fake.send(Message(key=rows[0].key, recipient=rows[0].recipient, body=rows[0].body))

    # when the row is taken up again after the lease
    with time_machine.travel(START + LEASE + dt.timedelta(seconds=1), tick=False):
        assert send_pending() == 1

    # then the provider got the same idempotency id twice, so it can drop the second
    assert fake.keys == ["digest:visitor:7:2027-01-31", "digest:visitor:7:2027-01-31"]
    assert Notification.objects.get().state == "sent"


def test_a_refused_message_fails_at_once_keeps_only_the_mask_and_the_others_go(fake):
    put("bad", phone="13800000001")
    put("good", phone="13900000002")
    fake.refuse_next = 1

    assert send_pending() == 1

    bad, good = Notification.objects.get(key="bad"), Notification.objects.get(key="good")
    assert (bad.state, bad.attempts, bad.recipient, bad.last_error) == ("failed", 1, "138*****001", "号码无效")
    assert good.state == "sent"
    assert Attempt.objects.get(notification=bad).outcome == "failed"


def test_a_row_that_raises_anything_unexpected_is_failed_and_does_not_block_the_rest(fake, monkeypatch):
    put("boom")
    put("fine")
    real_send = fake.send

    def flaky(message: Message) -> Delivery:
        if message.key == "boom":
            raise KeyError("template")
        return real_send(message)

    monkeypatch.setattr(fake, "send", flaky)

    assert send_pending() == 1

    boom = Notification.objects.get(key="boom")
    assert boom.state == "failed" and boom.last_error == "KeyError: 'template'"
    assert Notification.objects.get(key="fine").state == "sent"


def test_an_unknown_channel_fails_the_row_with_a_reason(fake):
    put("lost", via="pigeon")

    send_pending()

    row = Notification.objects.get()
    assert (row.state, row.last_error) == ("failed", "未知的发送渠道 pigeon")


def test_urgent_messages_are_claimed_first(fake):
    for key in ("n1", "n2"):
        put(key)
    put("sos", urgent=True)

    _token, rows = claim_batch(limit=2)

    assert [r.key for r in rows] == ["sos", "n1"]


def test_an_urgent_message_is_sent_as_soon_as_its_transaction_commits(fake, django_capture_on_commit_callbacks):
    # given (the test settings run tasks in-process: the send happens in the callback)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        put("sos", urgent=True)
        put("later")

    # then the urgent one asked for a send at commit, and it went (the normal one rides along)
    assert len(callbacks) == 1
    assert Notification.objects.get(key="sos").state == "sent"


def test_an_urgent_message_asks_the_worker_when_there_is_one(
    fake, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    asked: list[str] = []
    monkeypatch.setattr(services.current_app, "send_task", lambda name: asked.append(name))

    with django_capture_on_commit_callbacks(execute=True):
        put("sos", urgent=True)

    assert asked == ["tanfang.notifications.tasks.send_outbox_task"]
    assert Notification.objects.get().state == "pending"  # the worker sends it


def test_queuing_the_same_key_twice_keeps_one_row(fake):
    put("k")
    put("k")

    assert Notification.objects.count() == 1
