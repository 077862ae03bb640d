"""Queue and send notifications: rows first, then claim, send, record.

- `queue` adds a row, idempotent by key, in the caller's transaction. An urgent row asks for a send
  as soon as that transaction commits.
- `send_pending` claims a batch of due rows with one short transaction (SKIP LOCKED, then a lease in
  `claimed_until`), sends each outside any transaction with the row's key as the provider's
  idempotency id, and records the outcome and an `Attempt` in a second short transaction, only if
  the claim is still its own. A temporary failure comes back after an exponential back-off (capped);
  a permanent one, anything unexpected, or too many attempts fail the row, which stays visible. A
  sender that dies leaves a claim that runs out, and the row is taken up again: nothing is lost.
- A row shows only a mask of the number; the full number is kept encrypted (SM4-GCM) while the
  message may still go out (pending, or failed and so retried by an officer), and dropped once sent.
- `retry_message` / `retry_visible_messages`: an officer puts failed messages of its scope back to
  pending, attempts reset; audited.
- `notify_user` tells a user something by the channels it chose (preferences), holding non-urgent
  SMS and WeCom messages until its quiet hours end; urgent ones ignore both.

This app sits low (every app may send messages) and knows nothing of schedules or users: what a
message says is written by the app that sends it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.audit.services import new_event, record_event, record_events
from tanfang.core.errors import Conflict, NotFound
from tanfang.core.id_numbers import mask_phone
from tanfang.core.logging import scrub
from tanfang.core.scope import Actor
from tanfang.core.time import now
from tanfang.notifications.channels import Message, Refused, SendError, channel
from tanfang.notifications.models import Attempt, InboxMessage, Notification
from tanfang.notifications.preferences import preference_of
from tanfang.notifications.quiet_hours import quiet_until
from tanfang.notifications.recipients import full_recipient, seal
from tanfang.notifications.selectors import (
    require_may_retry,
    retryable,
    troubled_messages_visible_to,
)

logger = logging.getLogger("tanfang.notifications")

MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=5)  # a claim runs out after this: longer than any provider's timeout
BATCH = 50
SEND_TASK = "tanfang.notifications.tasks.send_outbox_task"


def sending_channel() -> str:
    """The name of the channel SMS messages are queued for."""
    return channel().name


def already_queued(key: str) -> bool:
    """Whether a message with this key is in the outbox (whatever became of it)."""
    return Notification.objects.filter(key=key).exists()


# Channels whose recipient is no one's personal data (a group robot's name): shown as it is.
PLAIN_RECIPIENT_CHANNELS = frozenset({"wecom_robot"})


def shown_recipient(via: str, recipient: str) -> str:
    """What a page may show of a recipient: a robot's name as it is, a phone number masked."""
    return recipient[:40] if via in PLAIN_RECIPIENT_CHANNELS else mask_phone(recipient)[:40]


def queue(
    *,
    key: str,
    recipient: str,
    label: str,
    region_path: str,
    body: str,
    via: str,
    urgent: bool = False,
    not_before: dt.datetime | None = None,
) -> bool:
    """Add a message to the outbox unless one with this key exists. Returns True when added.

    The recipient is stored encrypted, with a mask beside it for pages. An urgent message (an
    emergency, an alarm) goes ahead of the others, and a send is asked for as soon as the caller's
    transaction commits, not at the next periodic run. `not_before` holds a message back until then
    (the end of its recipient's quiet hours): the row is there at once, it is sent later.
    """
    try:
        with transaction.atomic():
            Notification.objects.create(
                key=key,
                channel=via,
                recipient=shown_recipient(via, recipient),
                recipient_cipher=seal(recipient),
                recipient_label=label[:100],
                region_path=region_path,
                body=body,
                priority=Notification.Priority.URGENT if urgent else Notification.Priority.NORMAL,
                next_attempt_at=not_before,
            )
    except IntegrityError:
        return False
    if urgent:
        transaction.on_commit(_send_soon)
    return True


def _send_soon() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:  # no worker to ask: send now, in this process
        send_pending()
        return
    try:
        current_app.send_task(SEND_TASK)
    except Exception:  # the periodic run sends it anyway; the row is safe
        logger.warning("could not ask for an immediate send; the periodic run will send it", exc_info=True)


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the n-th failed attempt: 1, 2, 4, … minutes, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def _due(moment: dt.datetime) -> Q:
    return (
        Q(state=Notification.State.PENDING)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment))
        & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=moment))
    )


def lease() -> dt.timedelta:
    """How long a claim holds: TANFANG_OUTBOX_LEASE_SECONDS, by default LEASE (five minutes).

    It must outlast a whole batch's sends (BATCH × the provider's timeout at worst is what a slow
    provider costs); shorter, a slow sender's rows could be taken up and sent again.
    """
    seconds = getattr(settings, "TANFANG_OUTBOX_LEASE_SECONDS", None)
    return dt.timedelta(seconds=int(seconds)) if seconds else LEASE


def claim_batch(limit: int = BATCH) -> tuple[str, list[Notification]]:
    """Claim due rows for this sender, urgent first, in one short transaction; return the claim and rows."""
    token = secrets.token_hex(8)
    moment = now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(_due(moment))
            .order_by("-priority", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(claim=token, claimed_until=moment + lease())
    rows = list(Notification.objects.filter(pk__in=ids, claim=token).order_by("-priority", "id"))
    return token, rows


@dataclass(frozen=True)
class Outcome:
    outcome: str
    answer: str = ""
    provider_id: str = ""


def _try(row: Notification) -> Outcome:
    """Send one row outside any transaction; never raises."""
    try:
        message = Message(key=row.key, recipient=full_recipient(row), body=row.body)
        delivery = channel(row.channel).send(message)
    except Refused as error:
        return Outcome(Attempt.Outcome.FAILED, scrub(str(error)))
    except SendError as error:
        return Outcome(Attempt.Outcome.RETRY, scrub(str(error)))
    except Exception as error:  # one bad row must not stop the others
        logger.exception("notification %s raised while sending", row.pk)
        return Outcome(Attempt.Outcome.FAILED, scrub(f"{type(error).__name__}: {error}"))
    return Outcome(Attempt.Outcome.SENT, scrub(delivery.answer), delivery.provider_id)


def record(row: Notification, token: str, result: Outcome) -> bool:
    """Record an outcome if the claim is still this sender's; return whether it was recorded."""
    moment = now()
    attempts = row.attempts + 1
    state: str = Notification.State.PENDING
    next_at: dt.datetime | None = moment + backoff(attempts)
    if result.outcome == Attempt.Outcome.SENT:
        state, next_at = Notification.State.SENT, None
    elif result.outcome == Attempt.Outcome.FAILED or attempts >= MAX_ATTEMPTS:
        state, next_at = Notification.State.FAILED, None
    changes: dict[str, object] = {
        "attempts": attempts,
        "state": state,
        "next_attempt_at": next_at,
        "claim": "",
        "claimed_until": None,
        "last_error": "" if state == Notification.State.SENT else result.answer[:300],
    }
    if state == Notification.State.SENT:
        # sent: the full number is not kept (a failed row keeps it, encrypted, for an officer's retry)
        changes |= {"sent_at": moment, "provider_id": result.provider_id[:64], "recipient_cipher": None}
    with transaction.atomic():
        if not Notification.objects.filter(pk=row.pk, claim=token).update(**changes):
            return False  # the claim ran out and another sender took the row: its outcome counts
        Attempt.objects.create(
            notification=row,
            at=moment,
            channel=row.channel,
            outcome=Attempt.Outcome.FAILED if state == Notification.State.FAILED else result.outcome,
            answer=result.answer[:300],
        )
    return True


def send_pending(limit: int = 500) -> int:
    """Send what is due, a batch at a time; return how many were sent."""
    sent = done = 0
    while done < limit:
        token, rows = claim_batch(min(BATCH, limit - done))
        if not rows:
            break
        for row in rows:
            result = _try(row)
            if record(row, token, result) and result.outcome == Attempt.Outcome.SENT:
                sent += 1
        done += len(rows)
    return sent


# --- the in-app inbox ------------------------------------------------------------------------


def tell_user(*, key: str, user_id: int, body: str, link: str = "", urgent: bool = False) -> bool:
    """Put a message in a user's inbox unless one with this key is there; return True when added."""
    try:
        with transaction.atomic():
            InboxMessage.objects.create(
                key=key, user_id=user_id, body=body, link=link[:200], urgent=urgent, created_at=now()
            )
    except IntegrityError:
        return False
    return True


@transaction.atomic
def mark_read(*, actor: Actor, message_ids: list[int] | None = None) -> int:
    """Mark the actor's own messages read (all unread ones when no ids are given); audited; return how many."""
    unread = InboxMessage.objects.filter(user_id=actor.pk, read_at__isnull=True)
    if message_ids is not None:
        unread = unread.filter(pk__in=message_ids)
    count = unread.update(read_at=now())
    if count:
        record_event(
            actor=actor,
            action=Action.INBOX_READ,
            subject_type="accounts.user",
            subject_id=str(actor.pk),
            subject_label=actor.username,
            region_path=sorted(actor.region_paths())[0] if actor.region_paths() else "",
            details={"messages": count},
        )
    return count


# --- an officer's retry of failed messages ----------------------------------------------------

RETRY_ALL_LIMIT = 500  # one click retries at most this many; the page says when more remain


def _reset() -> dict[str, object]:
    return {
        "state": Notification.State.PENDING,
        "attempts": 0,
        "next_attempt_at": None,
        "claim": "",
        "claimed_until": None,
        "last_error": "",
    }


def _retried_event(actor: Actor, row: Notification) -> AuditEvent:
    return new_event(
        actor=actor,
        action=Action.NOTIFICATION_RETRIED,
        subject=row,
        subject_label=row.recipient_label or row.recipient,
        changes={
            "state": {"old": row.state, "new": Notification.State.PENDING},
            "attempts": {"old": row.attempts, "new": 0},
        },
        details={"channel": row.channel},
    )


def retry_message(*, actor: Actor, notification_id: int) -> Notification:
    """Put one failed (or still-retrying) message of the actor's scope back to pending, attempts reset; audited.

    PermissionDenied unless the actor may retry messages; NotFound outside its scope or for a message
    that is neither failed nor retrying; Conflict while a sender holds it, or when its recipient was
    not kept (a message failed before recipients were encrypted), so a retry could not send it.
    """
    require_may_retry(actor)
    moment = now()
    with transaction.atomic():
        row = troubled_messages_visible_to(actor).select_for_update().filter(pk=notification_id).first()
        if row is None:
            raise NotFound()
        if not retryable(moment).filter(pk=row.pk).exists():
            raise Conflict(_("这条消息正在发送，请稍后再试"))
        if not row.recipient_cipher:
            raise Conflict(_("这条消息没有保存收件人，无法重发"))
        record_events([_retried_event(actor, row)])
        Notification.objects.filter(pk=row.pk).update(**_reset())
        transaction.on_commit(_send_soon)
    row.refresh_from_db()
    return row


def retry_visible_messages(*, actor: Actor) -> tuple[int, bool]:
    """Retry every failed or retrying message of the actor's scope (at most RETRY_ALL_LIMIT); audited each.

    Returns how many were put back to pending, and whether more remain. Messages a sender holds
    right now, or whose recipient was not kept, are left as they are.
    """
    require_may_retry(actor)
    moment = now()
    with transaction.atomic():
        rows = list(
            troubled_messages_visible_to(actor)
            .filter(pk__in=retryable(moment).values("pk"), recipient_cipher__isnull=False)
            .select_for_update(skip_locked=True)
            .order_by("id")[: RETRY_ALL_LIMIT + 1]
        )
        more = len(rows) > RETRY_ALL_LIMIT
        rows = rows[:RETRY_ALL_LIMIT]
        if rows:
            record_events([_retried_event(actor, row) for row in rows])
            Notification.objects.filter(pk__in=[r.pk for r in rows]).update(**_reset())
            transaction.on_commit(_send_soon)
    return len(rows), more


# --- telling a user, by the channels it chose ---------------------------------------------------


@dataclass(frozen=True)
class Told:
    """What `notify_user` added: an inbox message, an SMS, a WeCom message (each False if already there)."""

    inbox: bool = False
    sms: bool = False
    wecom: bool = False

    def __bool__(self) -> bool:
        return self.inbox or self.sms or self.wecom


def notify_user(
    *,
    key: str,
    user_id: int,
    body: str,
    region_path: str,
    phone: str = "",
    label: str = "",
    link: str = "",
    urgent: bool = False,
) -> Told:
    """Tell a user something by the channels it chose; idempotent by key, in the caller's transaction.

    - The SMS goes to `phone` (the caller resolves the number; none, no SMS) if the user wants SMS;
      the WeCom message to the group robot it chose, if it chose one.
    - Inside the user's quiet hours a non-urgent SMS or WeCom message is queued at once, held until
      the quiet hours end (a row before a message: nothing is lost).
    - Urgent (emergencies, alarms): quiet hours are ignored, and so is the SMS off-switch; the inbox
      message is marked urgent and always written.
    - The inbox is the fallback: written whenever the user wants it, or when nothing else would carry
      the message.
    """
    preference = preference_of(user_id)
    held = None if urgent else quiet_until(now(), preference.quiet_start, preference.quiet_end)
    wants_sms = bool(phone) and (urgent or preference.sms)
    wants_wecom = preference.wecom and bool(preference.wecom_robot)
    with transaction.atomic():
        sms = wecom = inbox = False
        if wants_sms:
            sms = queue(
                key=key,
                recipient=phone,
                label=label,
                region_path=region_path,
                body=body,
                via=sending_channel(),
                urgent=urgent,
                not_before=held,
            )
        if wants_wecom:
            wecom = queue(
                key=f"{key}:wecom"[:120],
                recipient=preference.wecom_robot,
                label=label,
                region_path=region_path,
                body=body,
                via="wecom_robot",
                urgent=urgent,
                not_before=held,
            )
        if urgent or preference.inbox or not (wants_sms or wants_wecom):
            inbox = tell_user(key=key, user_id=user_id, body=body, link=link, urgent=urgent)
    return Told(inbox=inbox, sms=sms, wecom=wecom)
