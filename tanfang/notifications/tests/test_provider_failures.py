"""A provider that answers 500 or too late: retries with back-off, then a failed row officers can see."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
import time_machine

from tanfang.core.time import LOCAL_TZ
from tanfang.notifications.models import Attempt, Notification
from tanfang.notifications.selectors import troubled_messages_visible_to
from tanfang.notifications.services import MAX_ATTEMPTS, backoff, queue, send_pending
from tanfang.notifications.tests.aliyun_server import FakeSmsProvider, channel_environment, running_provider

START = dt.datetime(2027, 1, 31, 23, 0, tzinfo=LOCAL_TZ)
NORTH = "410000/410800/410823/410823001000/410823001001/"


@pytest.fixture
def provider(settings) -> Iterator[FakeSmsProvider]:
    with running_provider() as running:
        for name, value in channel_environment(running).items():
            setattr(settings, name, value)
        settings.TANFANG_ALIYUN_SMS_TIMEOUT_SECONDS = 0.2
        yield running


def send_until_given_up(first_try: dt.datetime) -> list[dt.datetime | None]:
    """Run the outbox at each retry's due time until the row leaves pending; return the due times seen."""
    due_times = []
    moment = first_try
    for _ in range(MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            send_pending()
        row = Notification.objects.get()
        due_times.append(row.next_attempt_at)
        if row.state != "pending" or row.next_attempt_at is None:
            break
        # (a run one second early sends nothing: the back-off holds)
        with time_machine.travel(row.next_attempt_at - dt.timedelta(seconds=1), tick=False):
            assert send_pending() == 0
        moment = row.next_attempt_at
    return due_times


def check_given_up(provider: FakeSmsProvider, officer, answer: str, times: list[dt.datetime | None]) -> None:
    row = Notification.objects.get()
    assert (row.state, row.attempts, row.last_error) == ("failed", MAX_ATTEMPTS, answer)
    # each retry came after the back-off of the attempts so far: 1, 2, 4, … minutes, at most an hour
    due = [t for t in times if t is not None]
    assert len(due) == MAX_ATTEMPTS - 1 and times[-1] is None
    assert [later - earlier for earlier, later in itertools.pairwise(due)] == [
        backoff(n) for n in range(2, MAX_ATTEMPTS)
    ]
    outcomes = list(Attempt.objects.order_by("at", "id").values_list("outcome", "answer"))
    assert outcomes == [("retry", answer)] * (MAX_ATTEMPTS - 1) + [("failed", answer)]
    # and the officers of its region see it, with every answer
    assert [n.pk for n in troubled_messages_visible_to(officer)] == [row.pk]


def test_a_provider_answering_500_is_retried_with_back_off_and_ends_failed_and_visible(provider, officer_county_north):
    provider.mode = "500"
    with time_machine.travel(START, tick=False):
        queue(key="k", recipient="13812345678", label="陈晓", region_path=NORTH, body="提醒", via="aliyun_sms")

    times = send_until_given_up(START)

    check_given_up(provider, officer_county_north, "阿里云短信服务暂时不可用（HTTP 500），稍后重试", times)
    assert provider.delivered == {}


# real_clock: the client's socket timeout runs on the monotonic clock, which .ci/run's faked clock stops.
@pytest.mark.real_clock
def test_a_provider_that_times_out_is_retried_with_back_off_and_ends_failed_and_visible(provider, officer_county_north):
    provider.mode = "slow"
    with time_machine.travel(START, tick=False):
        queue(key="k", recipient="13812345678", label="陈晓", region_path=NORTH, body="提醒", via="aliyun_sms")

    times = send_until_given_up(START)

    check_given_up(provider, officer_county_north, "阿里云短信服务超时，稍后重试", times)


def test_a_provider_back_after_a_500_gets_the_message_once(db, provider):
    provider.mode = "500"
    with time_machine.travel(START, tick=False):
        queue(key="k", recipient="13812345678", label="陈晓", region_path=NORTH, body="提醒", via="aliyun_sms")
        send_pending()

    provider.mode = "ok"
    with time_machine.travel(START + backoff(1), tick=False):
        assert send_pending() == 1

    assert provider.delivered == {"k": 1} and provider.phones == {"k": "13812345678"}
    assert Notification.objects.get().state == "sent"
