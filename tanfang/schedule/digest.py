"""The visitor's daily digest: what is overdue and due soon, as one message through the outbox."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from tanfang.core.time import local_today
from tanfang.notifications.services import already_queued, queue, sending_channel
from tanfang.schedule.due import State
from tanfang.schedule.selectors import worklist
from tanfang.visitors.contact import phone_of
from tanfang.visitors.models import Visitor


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
    via = sending_channel()
    queued = 0
    visitors = (
        Visitor.objects.filter(active=True)
        .exclude(phone_masked="")
        .annotate(open_count=Count("pairings", filter=Q(pairings__ended_on__isnull=True)))
        .filter(open_count__gt=0)
        .order_by("pk")
    )
    for visitor in visitors.iterator(chunk_size=500):
        key = f"digest:visitor:{visitor.pk}:{today.isoformat()}"
        if already_queued(key):
            continue
        text = digest_text(visitor, today)
        if text and queue(
            key=key,
            recipient=phone_of(visitor),
            label=visitor.name,
            region_path=visitor.region_path,
            body=text,
            via=via,
        ):
            queued += 1
    return queued
