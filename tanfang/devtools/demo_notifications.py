"""Demo notifications: the demo county's outbox in every state, through the real outbox engine.

- sent reminders (one of them urgent), each with its attempt;
- pending ones: due now, being retried after a provider's temporary refusal (one urgent), and one
  held until the demo visitor's quiet hours end (it set 22:00–07:00);
- failed ones, with every attempt and the provider's answers, for the officers' failed-messages page.

Rows go in with `queue` / `notify_user`, and their attempts are recorded by the engine's own `record`,
as a sender would have recorded them; nothing is sent. Safe to run again: nothing is added twice.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.urls import reverse

from tanfang.accounts.models import User
from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ, local_today, now
from tanfang.notifications.models import Attempt, Notification
from tanfang.notifications.preferences import PreferenceInput, set_preferences
from tanfang.notifications.quiet_hours import quiet_until
from tanfang.notifications.services import MAX_ATTEMPTS, Outcome, notify_user, queue, record, sending_channel
from tanfang.regions.models import Region
from tanfang.visitors.contact import phone_of
from tanfang.visitors.models import Visitor

PREFIX = "demo:notification:"

# The provider's answers, as the Alibaba Cloud channel words them.
THROTTLED = "阿里云短信暂时无法发送（isv.BUSINESS_LIMIT_CONTROL：发送频率超限），稍后重试"
UNAVAILABLE = "阿里云短信服务暂时不可用（HTTP 503），稍后重试"
BAD_NUMBER = "阿里云短信拒绝发送（isv.MOBILE_NUMBER_ILLEGAL：手机号码格式错误）"
NO_BALANCE = "阿里云短信暂时无法发送（isv.AMOUNT_NOT_ENOUGH：账户余额不足），稍后重试"


def _attempts(row: Notification, outcomes: list[Outcome]) -> None:
    """Record these outcomes on the row, one attempt each, as a sender holding it would have."""
    for outcome in outcomes:
        row.refresh_from_db()
        token = secrets.token_hex(8)
        Notification.objects.filter(pk=row.pk).update(claim=token, claimed_until=now() + dt.timedelta(minutes=5))
        record(row, token, outcome)


def seed_notifications(*, county: Region) -> int:
    """Fill the county's outbox with messages in every state; return how many rows were added (0 if done)."""
    if Notification.objects.filter(key__startswith=PREFIX).exists():
        return 0
    visitors = [
        v for v in Visitor.objects.filter(region_path__startswith=county.path).order_by("pk")[:12] if v.phone_cipher
    ]
    if not visitors:
        return 0
    via = sending_channel()
    rows: list[tuple[str, list[Outcome], bool]] = [
        # (what the row says, the attempts made so far, urgent)
        ("sent", [Outcome(Attempt.Outcome.SENT, "OK", "demo-biz-1")], False),
        ("sent-urgent", [Outcome(Attempt.Outcome.SENT, "OK", "demo-biz-2")], True),
        ("sent-after-retry", [Outcome(Attempt.Outcome.RETRY, UNAVAILABLE), Outcome(Attempt.Outcome.SENT, "OK")], False),
        ("pending", [], False),
        ("retrying", [Outcome(Attempt.Outcome.RETRY, UNAVAILABLE), Outcome(Attempt.Outcome.RETRY, THROTTLED)], False),
        ("retrying-urgent", [Outcome(Attempt.Outcome.RETRY, THROTTLED)], True),
        ("failed-refused", [Outcome(Attempt.Outcome.FAILED, BAD_NUMBER)], False),
        ("failed-given-up", [Outcome(Attempt.Outcome.RETRY, NO_BALANCE)] * MAX_ATTEMPTS, False),
    ]
    added = 0
    with transaction.atomic():
        for index, (name, outcomes, urgent) in enumerate(rows):
            visitor = visitors[index % len(visitors)]
            key = f"{PREFIX}{name}:{visitor.pk}"
            body = (
                f"【探访关爱】{visitor.name}，辖区内有老人突发情况，请立即前往处置。"
                if urgent
                else f"【探访关爱】{visitor.name}，今天有 2 位老人即将到期未探访，详情请登录查看。"
            )
            if not queue(
                key=key,
                recipient=phone_of(visitor),
                label=visitor.name,
                region_path=visitor.region_path,
                body=body,
                via=via,
                urgent=urgent,
            ):
                continue
            added += 1
            _attempts(Notification.objects.get(key=key), outcomes)
        added += _held_for_quiet_hours(county)
    return added


def _held_for_quiet_hours(county: Region) -> int:
    """The demo visitor asks for quiet from 22:00 to 07:00; a chase inside them waits for 07:00."""
    user = User.objects.filter(role=Role.VISITOR, region_assignments__region__path__startswith=county.path).first()
    profile = Visitor.objects.filter(user=user).first() if user else None
    if user is None:
        return 0
    quiet = PreferenceInput(quiet_start=dt.time(22, 0), quiet_end=dt.time(7, 0))
    set_preferences(actor=user, data=quiet)
    told = notify_user(
        key=f"{PREFIX}quiet:{user.pk}",
        user_id=user.pk,
        phone=phone_of(profile) if profile else "",
        label=profile.name if profile else user.display_name,
        body="【探访关爱】本月还有老人尚未探访，请尽快安排。",
        link=reverse("schedule:worklist"),
        region_path=profile.region_path if profile else user.region_path,
    )
    if told.sms:
        # seeded at any hour, the demo shows it as told at 23:00 tonight: held until 07:00 tomorrow
        tonight = dt.datetime.combine(local_today(), dt.time(23, 0), tzinfo=LOCAL_TZ)
        held = quiet_until(tonight, quiet.quiet_start, quiet.quiet_end)
        Notification.objects.filter(key=f"{PREFIX}quiet:{user.pk}").update(next_attempt_at=held)
    return int(told.sms) + int(told.inbox)
