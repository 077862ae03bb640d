"""Quiet hours as arithmetic: wrapping midnight, the boundaries, month and year ends, no DST."""

from __future__ import annotations

import datetime as dt

import pytest

from tanfang.core.time import LOCAL_TZ
from tanfang.notifications.quiet_hours import is_quiet, quiet_until

NIGHT = (dt.time(22, 0), dt.time(7, 0))  # wraps midnight
NOON = (dt.time(12, 0), dt.time(14, 0))  # within one day


def at(year: int, month: int, day: int, hour: int, minute: int, second: int = 0, micro: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize(
    ("moment", "ends"),
    [
        (at(2026, 11, 24, 21, 59, 59), None),  # a second before it starts
        (at(2026, 11, 24, 22, 0), at(2026, 11, 25, 7, 0)),  # exactly at the start: quiet
        (at(2026, 11, 24, 23, 59, 59), at(2026, 11, 25, 7, 0)),
        (at(2026, 11, 25, 0, 0), at(2026, 11, 25, 7, 0)),  # just past midnight: ends the same morning
        (at(2026, 11, 25, 6, 59, 59), at(2026, 11, 25, 7, 0)),
        (at(2026, 11, 25, 7, 0), None),  # exactly at the end: no longer quiet
        (at(2026, 11, 25, 12, 0), None),
    ],
)
def test_night_quiet_hours_wrap_past_midnight(moment, ends):
    assert quiet_until(moment, *NIGHT) == ends
    assert is_quiet(moment, *NIGHT) is (ends is not None)


@pytest.mark.parametrize(
    ("moment", "ends"),
    [
        (at(2026, 11, 24, 11, 59), None),
        (at(2026, 11, 24, 12, 0), at(2026, 11, 24, 14, 0)),
        (at(2026, 11, 24, 13, 59, 59, 999999), at(2026, 11, 24, 14, 0)),
        (at(2026, 11, 24, 14, 0), None),
        (at(2026, 11, 24, 23, 0), None),
    ],
)
def test_quiet_hours_within_one_day(moment, ends):
    assert quiet_until(moment, *NOON) == ends


@pytest.mark.parametrize(
    ("moment", "ends"),
    [
        (at(2027, 1, 31, 23, 30), at(2027, 2, 1, 7, 0)),  # a month's last evening
        (at(2026, 12, 31, 22, 0), at(2027, 1, 1, 7, 0)),  # the year's
        (at(2028, 2, 28, 23, 0), at(2028, 2, 29, 7, 0)),  # into a leap day
        (at(2028, 2, 29, 23, 0), at(2028, 3, 1, 7, 0)),  # out of it
        (at(2027, 2, 28, 23, 0), at(2027, 3, 1, 7, 0)),  # no leap day
    ],
)
def test_the_end_falls_on_the_next_local_day_across_month_and_year_ends(moment, ends):
    assert quiet_until(moment, *NIGHT) == ends


def test_a_moment_in_utc_is_read_in_asia_shanghai():
    # 15:30 UTC on the 31st is 23:30 in Shanghai: quiet, until 07:00 on 1 February local (23:00 UTC on the 31st)
    moment = dt.datetime(2027, 1, 31, 15, 30, tzinfo=dt.UTC)

    ends = quiet_until(moment, *NIGHT)

    assert ends == at(2027, 2, 1, 7, 0)
    assert ends is not None and ends.astimezone(dt.UTC) == dt.datetime(2027, 1, 31, 23, 0, tzinfo=dt.UTC)
    # and 21:30 UTC (05:30 the next morning in Shanghai) is quiet too, until 07:00 that morning
    assert quiet_until(dt.datetime(2027, 1, 31, 21, 30, tzinfo=dt.UTC), *NIGHT) == at(2027, 2, 1, 7, 0)


def test_shanghai_has_no_daylight_saving_time_so_every_day_is_24_hours():
    # across the dates other zones shift their clocks, the night is always 9 hours long
    for day in (dt.date(2027, 3, 14), dt.date(2027, 3, 28), dt.date(2027, 10, 31), dt.date(2027, 11, 7)):
        start = dt.datetime.combine(day, NIGHT[0], tzinfo=LOCAL_TZ)
        ends = quiet_until(start, *NIGHT)
        assert ends is not None and ends - start == dt.timedelta(hours=9)


@pytest.mark.parametrize("hours", [(None, None), (dt.time(22), None), (None, dt.time(7)), (dt.time(8), dt.time(8))])
def test_no_or_empty_quiet_hours_are_never_quiet(hours):
    assert quiet_until(at(2026, 11, 24, 8, 0), *hours) is None


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="aware"):
        quiet_until(dt.datetime(2026, 11, 24, 23, 0), *NIGHT)  # naive on purpose
