"""The officers' failed messages: who sees them, in which scope, and a retry that can send again."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.audit.models import AuditEvent
from tanfang.core.errors import Conflict, NotFound, PermissionDenied
from tanfang.core.time import LOCAL_TZ
from tanfang.notifications.channels import fake_channel
from tanfang.notifications.models import Attempt, Notification
from tanfang.notifications.selectors import (
    may_retry_messages,
    may_see_troubled_messages,
    troubled_messages_visible_to,
)
from tanfang.notifications.services import (
    LEASE,
    claim_batch,
    queue,
    retry_message,
    retry_visible_messages,
    send_pending,
)

START = dt.datetime(2026, 11, 30, 23, 50, tzinfo=LOCAL_TZ)
NORTH_VILLAGE = "410000/410800/410823/410823001000/410823001001/"
SOUTH_VILLAGE = "410000/410800/410822/410822001000/410822001001/"


@pytest.fixture
def fake(tree):
    channel = fake_channel()
    channel.reset()
    with time_machine.travel(START, tick=False):
        yield channel
    channel.reset()


def refused(key: str, region_path: str = NORTH_VILLAGE, phone: str = "13812345678") -> Notification:
    """A message the provider refused once: failed, with its attempt."""
    queue(key=key, recipient=phone, label="陈晓", region_path=region_path, body=f"消息 {key}", via="fake")
    fake_channel().refuse_next = 1
    send_pending()
    row = Notification.objects.get(key=key)
    assert row.state == "failed"
    return row


def test_officers_at_township_level_and_above_see_the_page_and_the_supervisor_only_reads(
    tree,
    officer_province,
    officer_city,
    officer_county_north,
    officer_township_north,
    supervisor_north,
    worker_village_north,
    visitor_north,
    admin_province,
    security_admin,
    audit_admin,
    nobody,
):
    officers = [officer_province, officer_city, officer_county_north, officer_township_north]
    others = [worker_village_north, visitor_north, admin_province, security_admin, audit_admin, nobody]

    assert [may_see_troubled_messages(u) for u in officers] == [True] * 4
    assert [may_retry_messages(u) for u in officers] == [True] * 4
    assert (may_see_troubled_messages(supervisor_north), may_retry_messages(supervisor_north)) == (True, False)
    assert [may_see_troubled_messages(u) or may_retry_messages(u) for u in others] == [False] * 6


def test_an_officer_sees_the_failed_and_retrying_messages_of_its_scope_only(
    fake, officer_county_north, officer_county_south
):
    # given a failed message in each county, one being retried, and one sent
    north = refused("north")
    refused("south", region_path=SOUTH_VILLAGE)
    queue(key="retrying", recipient="13900000001", label="李四", region_path=NORTH_VILLAGE, body="b", via="fake")
    fake.fail_next = 1
    send_pending()
    queue(key="fine", recipient="13900000002", label="王五", region_path=NORTH_VILLAGE, body="c", via="fake")
    send_pending()

    # then
    assert [n.key for n in troubled_messages_visible_to(officer_county_north)] == ["retrying", "north"]
    assert [n.key for n in troubled_messages_visible_to(officer_county_north, state="failed")] == ["north"]
    assert [n.key for n in troubled_messages_visible_to(officer_county_south)] == ["south"]
    attempts = list(troubled_messages_visible_to(officer_county_north).get(pk=north.pk).attempt_rows.all())
    assert [(a.outcome, a.answer) for a in attempts] == [("failed", "号码无效")]


def test_a_retry_puts_a_failed_message_back_and_it_goes_to_the_full_number(
    fake, officer_county_north, django_capture_on_commit_callbacks
):
    # given a message the provider refused (a number the provider has since fixed, say)
    row = refused("k")

    # when the officer retries it
    with django_capture_on_commit_callbacks(execute=True):
        retried = retry_message(actor=officer_county_north, notification_id=row.pk)

    # then it went out at once to the full number, the attempts restarted, and the retry is audited
    assert retried.state == "pending" and retried.attempts == 0
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, "")
    assert fake.sent == [("13812345678", "消息 k")]
    assert list(Attempt.objects.filter(notification=row).order_by("at", "id").values_list("outcome", flat=True)) == [
        "failed",
        "sent",
    ]
    event = AuditEvent.objects.get(action="notification.retried")
    assert event.subject_id == str(row.pk) and event.region_path == NORTH_VILLAGE
    assert event.changes == {"state": {"old": "failed", "new": "pending"}, "attempts": {"old": 1, "new": 0}}
    assert "13812345678" not in str(event.__dict__)


def test_a_supervisor_may_not_retry_and_another_county_gets_not_found(
    fake, supervisor_north, officer_county_south, worker_village_north
):
    row = refused("k")

    with pytest.raises(PermissionDenied):
        retry_message(actor=supervisor_north, notification_id=row.pk)
    with pytest.raises(PermissionDenied):
        retry_message(actor=worker_village_north, notification_id=row.pk)
    with pytest.raises(NotFound):
        retry_message(actor=officer_county_south, notification_id=row.pk)

    row.refresh_from_db()
    assert (row.state, row.attempts) == ("failed", 1)
    assert not AuditEvent.objects.filter(action="notification.retried").exists()


def test_a_sent_message_cannot_be_retried(fake, officer_county_north):
    queue(key="ok", recipient="13812345678", label="陈晓", region_path=NORTH_VILLAGE, body="b", via="fake")
    send_pending()

    with pytest.raises(NotFound):
        retry_message(actor=officer_county_north, notification_id=Notification.objects.get().pk)

    assert fake.sent == [("13812345678", "b")]


def test_a_message_a_sender_holds_is_not_reset_under_it(fake, officer_county_north):
    # given a message being retried, claimed by a sender right now
    queue(key="k", recipient="13812345678", label="陈晓", region_path=NORTH_VILLAGE, body="b", via="fake")
    fake.fail_next = 1
    send_pending()
    with time_machine.travel(START + dt.timedelta(minutes=2), tick=False):
        _token, rows = claim_batch()
        assert [r.key for r in rows] == ["k"]

        # then a retry is refused, clearly, and leaves the claim alone (no second send)
        with pytest.raises(Conflict, match="正在发送"):
            retry_message(actor=officer_county_north, notification_id=rows[0].pk)
        assert retry_visible_messages(actor=officer_county_north) == (0, False)
    row = Notification.objects.get()
    assert row.claim and row.attempts == 1
    # once the claim has run out, it may be retried
    with time_machine.travel(START + dt.timedelta(minutes=2) + LEASE + dt.timedelta(seconds=1), tick=False):
        assert retry_message(actor=officer_county_north, notification_id=row.pk).attempts == 0


def test_a_message_whose_recipient_was_not_kept_says_it_cannot_be_retried(fake, officer_county_north):
    # given a message failed before recipients were kept encrypted
    row = refused("old")
    Notification.objects.filter(pk=row.pk).update(recipient_cipher=None)

    with pytest.raises(Conflict, match="没有保存收件人"):
        retry_message(actor=officer_county_north, notification_id=row.pk)
    assert retry_visible_messages(actor=officer_county_north) == (0, False)
    assert Notification.objects.get().state == "failed"


def test_retrying_all_touches_only_the_actors_scope_and_audits_each(fake, officer_township_north, monkeypatch):
    # given three failed in the north, one in the south
    for key in ("a", "b", "c"):
        refused(key)
    refused("south", region_path=SOUTH_VILLAGE)
    monkeypatch.setattr("tanfang.notifications.services.RETRY_ALL_LIMIT", 2)

    # when the township officer retries all, twice (two at a time)
    first = retry_visible_messages(actor=officer_township_north)
    second = retry_visible_messages(actor=officer_township_north)

    # then
    assert (first, second) == ((2, True), (1, False))
    states = dict(Notification.objects.values_list("key", "state"))
    assert states == {"a": "pending", "b": "pending", "c": "pending", "south": "failed"}
    assert AuditEvent.objects.filter(action="notification.retried").count() == 3


def test_the_page_shows_masked_recipients_and_provider_answers_and_retries(
    fake, officer_county_north, supervisor_north, as_user
):
    row = refused("k")
    client = as_user(officer_county_north)

    page = client.get("/outbox/").content.decode()
    retried = client.post(f"/outbox/{row.pk}/retry/")
    watched = as_user(supervisor_north).get("/outbox/").content.decode()

    assert "陈晓" in page and "138*****678" in page and "号码无效" in page
    assert "13812345678" not in page
    assert f'action="/outbox/{row.pk}/retry/"' in page and 'data-testid="retry-all"' in page
    assert retried.status_code == 302 and retried["Location"] == "/outbox/"
    assert Notification.objects.get().state in ("pending", "sent")
    # the supervisor reads, with no retry button
    assert "/retry/" not in watched


def test_the_navigation_links_the_page_for_the_roles_that_have_it(
    tree, officer_township_north, worker_village_north, supervisor_north, as_user
):
    assert 'href="/outbox/"' in as_user(officer_township_north).get("/").content.decode()
    assert 'href="/outbox/"' in as_user(supervisor_north).get("/").content.decode()
    assert 'href="/outbox/"' not in as_user(worker_village_north).get("/").content.decode()
