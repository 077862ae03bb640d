"""Queue and send notifications. Queuing is idempotent by key; sending claims rows so none goes twice.

This app sits low (every app may send messages) and knows nothing of schedules: what a message says is
written by the app that sends it (the visitor's daily digest: schedule.digest).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from tanfang.core.id_numbers import mask_phone
from tanfang.core.logging import scrub
from tanfang.core.time import now
from tanfang.notifications.channels import SendError, SmsChannel, channel
from tanfang.notifications.models import Notification

MAX_ATTEMPTS = 5


def sending_channel() -> str:
    """The name of the channel messages are queued for."""
    return channel().name


def already_queued(key: str) -> bool:
    """Whether a message with this key is in the outbox (whatever became of it)."""
    return Notification.objects.filter(key=key).exists()


def queue(*, key: str, recipient: str, label: str, region_path: str, body: str, via: str) -> bool:
    """Add a message to the outbox unless one with this key exists. Returns True when added."""
    try:
        with transaction.atomic():
            Notification.objects.create(
                key=key,
                channel=via,
                recipient=recipient,
                recipient_label=label[:100],
                region_path=region_path,
                body=body,
            )
    except IntegrityError:
        return False
    return True


def send_pending(sender: SmsChannel | None = None, limit: int = 500) -> int:
    """Send pending messages. Each row is claimed under a lock, so two workers never send the same one.

    A row keeps the full number only while it is pending: sent, or given up after MAX_ATTEMPTS
    failures, it keeps the masked number (core.id_numbers.mask_phone) and nothing else of it.
    """
    sender = sender or channel()
    sent = 0
    tried: list[int] = []  # a message that failed waits for the next run, not the next loop
    for _i in range(limit):
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(skip_locked=True)
                .filter(state=Notification.State.PENDING)
                .exclude(pk__in=tried)
                .order_by("id")
                .first()
            )
            if row is None:
                break
            row.attempts += 1
            tried.append(row.pk)
            try:
                sender.send(row.recipient, row.body)
            except SendError as error:
                row.last_error = scrub(str(error))[:300]
                if row.attempts >= MAX_ATTEMPTS:
                    row.state = Notification.State.FAILED
                    row.recipient = mask_phone(row.recipient)  # given up: the full number is not kept
                row.save(update_fields=["attempts", "last_error", "state", "recipient"])
                continue
            row.state = Notification.State.SENT
            row.sent_at = now()
            row.recipient = mask_phone(row.recipient)  # the full number is not kept once sent
            row.save(update_fields=["attempts", "state", "sent_at", "recipient"])
            sent += 1
    return sent
