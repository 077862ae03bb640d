"""Reminders go through the outbox: a row first, sent once, retried on failure."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.core.crypto import field_cipher
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder, record_test_visit
from tanfang.notifications.channels import Message, SendError, fake_channel
from tanfang.notifications.models import RECIPIENT_CONTEXT, Attempt, Notification
from tanfang.notifications.services import MAX_ATTEMPTS, send_pending
from tanfang.schedule.digest import queue_daily_digests
from tanfang.visitors.services import VisitorInput, create_visitor, pair

TODAY = dt.date(2026, 11, 24)


def full_number(row: Notification) -> str:
    assert row.recipient_cipher is not None
    return field_cipher().decrypt(bytes(row.recipient_cipher), context=RECIPIENT_CONTEXT)


@pytest.fixture
def owed(tree, officer_county_north):
    with time_machine.travel(dt.datetime(2026, 11, 24, 7, 30, tzinfo=LOCAL_TZ), tick=False):
        fake = fake_channel()
        fake.reset()
        visitor = create_visitor(
            actor=officer_county_north,
            data=VisitorInput(name="陈晓", kind="grid_worker", region_code="410823001001", phone="13812345678"),
        )
        quiet = create_visitor(
            actor=officer_county_north,
            data=VisitorInput(name="都访过", kind="volunteer", region_code="410823001001", phone="13900000000"),
        )
        late = make_elder(officer_county_north, "王老汉", "410823001001", registered_on=dt.date(2026, 1, 5))
        done = make_elder(
            officer_county_north, "李大娘", "410823001001", sequence=23, registered_on=dt.date(2026, 1, 5)
        )
        pair(actor=officer_county_north, elder=late, visitor=visitor)
        pair(actor=officer_county_north, elder=done, visitor=quiet)
        record_test_visit(
            officer_county_north,
            done,
            visitor_id=quiet.pk,
            method="home",
            occurred_at=dt.datetime(2026, 11, 2, 9, tzinfo=LOCAL_TZ),
        )
        yield fake


def test_a_digest_is_queued_as_a_row_then_sent_once(owed):
    # when the morning job runs twice
    assert queue_daily_digests(TODAY) == 1
    assert queue_daily_digests(TODAY) == 0
    row = Notification.objects.get()
    # (he was registered in January and never visited: overdue since February)
    assert row.state == "pending" and row.body.startswith("【探访关爱】陈晓，今天有 1 位老人已逾期、0 位即将到期")
    assert "王老汉" in row.body and "李大娘" not in row.body

    # and the outbox is sent twice over
    assert send_pending() == 1
    assert send_pending() == 0

    # then the visitor got one message, and the row no longer holds the full number, even encrypted
    assert owed.sent == [("13812345678", row.body)]
    row.refresh_from_db()
    assert row.state == "sent" and row.recipient == "138*****678" and row.recipient_cipher is None


def test_nobody_with_nothing_owed_gets_a_message(owed):
    queue_daily_digests(TODAY)

    assert list(Notification.objects.values_list("recipient_label", flat=True)) == ["陈晓"]


def test_a_failed_send_stays_pending_and_is_retried_after_a_pause(owed):
    queue_daily_digests(TODAY)
    owed.fail_next = 1
    start = dt.datetime(2026, 11, 24, 7, 31, tzinfo=LOCAL_TZ)

    with time_machine.travel(start, tick=False):
        assert send_pending() == 0
        row = Notification.objects.get()
        assert (row.state, row.attempts, row.last_error) == ("pending", 1, "网关超时")
        assert row.recipient == "138*****678"  # only the mask is in plain
        assert full_number(row) == "13812345678"  # still to be sent: the number is kept, encrypted
        assert row.next_attempt_at == start + dt.timedelta(minutes=1)
        assert send_pending() == 0  # not before its time

    with time_machine.travel(start + dt.timedelta(minutes=1, seconds=1), tick=False):
        assert send_pending() == 1
    assert len(owed.sent) == 1
    assert list(Attempt.objects.order_by("at").values_list("outcome", flat=True)) == ["retry", "sent"]


def fail_until_given_up(owed) -> None:
    """Run the outbox as the periodic job would, each time after the back-off, until nothing is due."""
    owed.fail_next = MAX_ATTEMPTS
    moment = dt.datetime(2026, 11, 24, 8, 0, tzinfo=LOCAL_TZ)
    for _ in range(MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            send_pending()
        moment += dt.timedelta(hours=1, seconds=1)


def test_after_the_last_attempt_a_message_is_marked_failed(owed):
    queue_daily_digests(TODAY)

    fail_until_given_up(owed)

    assert Notification.objects.get().state == "failed"
    assert Attempt.objects.filter(outcome="retry").count() == MAX_ATTEMPTS - 1
    assert Attempt.objects.filter(outcome="failed").count() == 1
    assert owed.sent == []


def test_a_message_given_up_shows_only_the_mask_and_keeps_the_number_encrypted_for_a_retry(owed):
    # given a digest in the outbox, and a gateway that fails every time
    queue_daily_digests(TODAY)

    # when the outbox is sent until the message is given up
    fail_until_given_up(owed)

    # then the row is failed and shows the masked number only, nothing more is tried, and the full
    # number is there only encrypted (an officer may retry it)
    row = Notification.objects.get()
    assert (row.state, row.attempts, row.recipient) == ("failed", MAX_ATTEMPTS, "138*****678")
    assert row.recipient_cipher is not None and b"13812345678" not in bytes(row.recipient_cipher)
    assert full_number(row) == "13812345678"
    assert send_pending() == 0 and owed.sent == []


def test_a_gateway_error_naming_the_number_is_stored_masked(owed, monkeypatch):
    # given a gateway whose error message repeats the recipient's number
    queue_daily_digests(TODAY)

    def echoing(message: Message) -> None:
        raise SendError(f"号码 {message.recipient} 无法送达")

    monkeypatch.setattr(owed, "send", echoing)

    # when the send fails
    send_pending()

    # then the error is kept without the number, on the row and on its attempt
    row = Notification.objects.get()
    assert row.state == "pending" and "13812345678" not in row.last_error
    assert "13812345678" not in Attempt.objects.get().answer
