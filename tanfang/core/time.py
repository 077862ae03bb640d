"""Time helpers. Every "today" in Tanfang is a day in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    return timezone.now()


def local_today() -> dt.date:
    return timezone.now().astimezone(LOCAL_TZ).date()


def local_day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)


def local_date(moment: dt.datetime) -> dt.date:
    """The day in Asia/Shanghai of an aware moment: 2026-10-31 16:30 UTC is 1 November there."""
    if moment.tzinfo is None:
        raise ValueError("local_date needs an aware datetime")
    return moment.astimezone(LOCAL_TZ).date()
