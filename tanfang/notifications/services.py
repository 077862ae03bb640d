"""Queue and send notifications: rows first, then claim, send, record.

- `queue` adds a row, idempotent by key, in the caller's transaction. An urgent row asks for a send
  as soon as that transaction commits.
- `send_pending` claims a batch of due rows with one short transaction (SKIP LOCKED, then a lease in
  `claimed_until`), sends each outside any transaction with the row's key as the provider's
  idempotency id, and records the outcome and an `Attempt` in a second short transaction, only if
  the claim is still its own. A temporary failure comes back after an exponential back-off (capped);
  a permanent one, anything unexpected, or too many attempts fail the row, which stays visible. A
  sender that dies leaves a claim that runs out, and the row is taken up again: nothing is lost.
- A row keeps the full number only while it is pending: sent or failed, it keeps the mask.

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

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.id_numbers import mask_phone
from tanfang.core.logging import scrub
from tanfang.core.scope import Actor
from tanfang.core.time import now
from tanfang.notifications.channels import Message, Refused, SendError, channel
from tanfang.notifications.models import Attempt, InboxMessage, Notification

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


def queue(*, key: str, recipient: str, label: str, region_path: str, body: str, via: str, urgent: bool = False) -> bool:
    """Add a message to the outbox unless one with this key exists. Returns True when added.

    An urgent message (an emergency, an alarm) goes ahead of the others, and a send is asked for as
    soon as the caller's transaction commits, not at the next periodic run.
    """
    try:
        with transaction.atomic():
            Notification.objects.create(
                key=key,
                channel=via,
                recipient=recipient,
                recipient_label=label[:100],
                region_path=region_path,
                body=body,
                priority=Notification.Priority.URGENT if urgent else Notification.Priority.NORMAL,
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
            Notification.objects.filter(pk__in=ids).update(claim=token, claimed_until=moment + LEASE)
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
        delivery = channel(row.channel).send(Message(key=row.key, recipient=row.recipient, body=row.body))
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
    if state != Notification.State.PENDING:
        changes["recipient"] = mask_phone(row.recipient)  # sent or failed: the full number is not kept
    if state == Notification.State.SENT:
        changes |= {"sent_at": moment, "provider_id": result.provider_id[:64]}
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
