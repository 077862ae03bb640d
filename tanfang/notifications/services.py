"""Queue and send notifications. Queuing is idempotent by key; sending claims rows so none goes twice."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from tanfang.core.time import local_today, now
from tanfang.notifications.channels import SendError, SmsChannel, channel
from tanfang.notifications.models import Notification
from tanfang.schedule.due import State
from tanfang.schedule.selectors import worklist
from tanfang.visitors.models import Visitor

MAX_ATTEMPTS = 5


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


def digest_text(visitor: Visitor, today: dt.date) -> str | None:
    """The visitor's day in one SMS: how many overdue and due soon, and the most urgent names."""
    items = worklist(visitor, today)
    overdue = [i for i in items if i.state == State.OVERDUE]
    soon = [i for i in items if i.state == State.DUE_SOON]
    if not overdue and not soon:
        return None
    names = "、".join(i.elder.name for i in (overdue + soon)[:5])
    return _(
        "【探访关爱】%(name)s，今天有 %(overdue)d 位老人已逾期、%(soon)d 位即将到期未探访：%(names)s。详情请登录查看。"
    ) % {
        "name": visitor.name,
        "overdue": len(overdue),
        "soon": len(soon),
        "names": names,
    }


def queue_daily_digests(today: dt.date | None = None) -> int:
    """One digest per active visitor with a phone and something owed; running twice queues nothing more."""
    today = today or local_today()
    via = channel().name
    queued = 0
    visitors = (
        Visitor.objects.filter(active=True)
        .exclude(phone="")
        .annotate(open_count=Count("pairings", filter=Q(pairings__ended_on__isnull=True)))
        .filter(open_count__gt=0)
        .order_by("pk")
    )
    for visitor in visitors.iterator(chunk_size=500):
        key = f"digest:visitor:{visitor.pk}:{today.isoformat()}"
        if Notification.objects.filter(key=key).exists():
            continue
        text = digest_text(visitor, today)
        if text and queue(
            key=key, recipient=visitor.phone, label=visitor.name, region_path=visitor.region_path, body=text, via=via
        ):
            queued += 1
    return queued


def send_pending(sender: SmsChannel | None = None, limit: int = 500) -> int:
    """Send pending messages. Each row is claimed under a lock, so two workers never send the same one."""
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
                row.last_error = str(error)[:300]
                if row.attempts >= MAX_ATTEMPTS:
                    row.state = Notification.State.FAILED
                row.save(update_fields=["attempts", "last_error", "state"])
                continue
            row.state = Notification.State.SENT
            row.sent_at = now()
            row.recipient = row.recipient[:3] + "****" + row.recipient[-4:]  # the full number is not kept once sent
            row.save(update_fields=["attempts", "state", "sent_at", "recipient"])
            sent += 1
    return sent
