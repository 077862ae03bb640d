"""Quiet hours (免打扰时段): when a user's non-urgent messages wait, as pure functions of local time.

Quiet hours run from `start` (included) to `end` (excluded), in Asia/Shanghai local time. They may
wrap midnight (22:00–07:00: quiet from 22:00 to 07:00 the next morning). A start equal to the end
means no quiet hours at all (the preference page refuses that pair, so an empty range is never
mistaken for a whole day). Asia/Shanghai has no daylight-saving time, so a local time of day names
exactly one moment each day and "the end of the quiet hours" is always well defined.

Emergencies and alarms (urgent messages) ignore quiet hours: that rule lives in `notify_user`.
"""

from __future__ import annotations

import datetime as dt

from tanfang.core.time import LOCAL_TZ


def is_quiet(moment: dt.datetime, start: dt.time | None, end: dt.time | None) -> bool:
    """Whether an aware moment falls inside the quiet hours [start, end) of its local day."""
    return quiet_until(moment, start, end) is not None


def quiet_until(moment: dt.datetime, start: dt.time | None, end: dt.time | None) -> dt.datetime | None:
    """When the quiet hours the moment falls in end (an aware local datetime), or None outside them.

    Raises ValueError for a naive moment: a time of day means nothing without its zone.
    """
    if moment.tzinfo is None:
        raise ValueError("quiet_until needs an aware datetime")
    if start is None or end is None or start == end:
        return None
    local = moment.astimezone(LOCAL_TZ)
    time_of_day = local.time().replace(tzinfo=None)
    day = local.date()
    if start < end:  # within one day, e.g. 12:00–14:00
        if start <= time_of_day < end:
            return dt.datetime.combine(day, end, tzinfo=LOCAL_TZ)
        return None
    # wrapping midnight, e.g. 22:00–07:00
    if time_of_day >= start:  # the evening part: it ends tomorrow morning
        return dt.datetime.combine(day + dt.timedelta(days=1), end, tzinfo=LOCAL_TZ)
    if time_of_day < end:  # the morning part: it ends this morning
        return dt.datetime.combine(day, end, tzinfo=LOCAL_TZ)
    return None
