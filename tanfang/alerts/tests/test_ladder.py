"""The escalation ladder as pure functions: who comes next, and when."""

from __future__ import annotations

import datetime as dt

from tanfang.alerts.ladder import Rung, deadline, rung_after
from tanfang.core.time import LOCAL_TZ

OPENED = dt.datetime(2026, 11, 20, 23, 55, tzinfo=LOCAL_TZ)


def test_the_village_comes_first_then_the_township_then_nobody():
    assert [rung_after(step) for step in (0, 1, 2, 3)] == [Rung.VILLAGE, Rung.TOWNSHIP_DUTY, None, None]


def test_each_rung_is_due_one_interval_after_the_last_counted_from_the_opening():
    assert deadline(OPENED, 0, 10) == dt.datetime(2026, 11, 21, 0, 5, tzinfo=LOCAL_TZ)  # across midnight
    assert deadline(OPENED, 1, 10) == dt.datetime(2026, 11, 21, 0, 15, tzinfo=LOCAL_TZ)
    assert deadline(OPENED, 2, 10) is None
