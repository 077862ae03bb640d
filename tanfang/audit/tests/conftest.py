"""The audit log of May 2026 (Beijing time) that the export tests read."""

from __future__ import annotations

import datetime as dt

import pytest

from tanfang.audit.actions import Action
from tanfang.audit.tests.logs import BAJIE, event_at


@pytest.fixture
def may_log(tree, officer_county_north):
    """Events around May 2026 (Beijing time), inside and outside Henan, with and without a region."""
    return {
        # 2026-04-30 23:59:59 in Beijing: the day before the range
        "before": event_at(dt.datetime(2026, 4, 30, 15, 59, 59, tzinfo=dt.UTC), actor=officer_county_north),
        # 2026-05-01 00:00:00 in Beijing: the range's first moment
        "first": event_at(
            dt.datetime(2026, 4, 30, 16, 0, 0, tzinfo=dt.UTC),
            actor=officer_county_north,
            changes={"display_name": {"old": "甲", "new": "乙"}},
            ip_address="203.0.113.7",
        ),
        # 2026-05-15 in another county of the same province
        "south": event_at(
            dt.datetime(2026, 5, 15, 4, 0, tzinfo=dt.UTC),
            action=Action.ELDER_UPDATED,
            region_path=BAJIE,
            subject_type="elders.elder",
            subject_id="42",
            subject_label='=HYPERLINK("http://example.invalid")',  # a formula someone typed as a name
            details={"reason": "核实", "source": "visit"},
        ),
        # 2026-05-31 23:59:59 in Beijing: the range's last moment
        "last": event_at(
            dt.datetime(2026, 5, 31, 15, 59, 59, tzinfo=dt.UTC),
            action=Action.LOGIN_FAILED,
            subject_label="-1",
            ip_address="2001:db8::7",
        ),
        # 2026-06-01 00:00:00 in Beijing: the day after
        "after": event_at(dt.datetime(2026, 5, 31, 16, 0, 0, tzinfo=dt.UTC)),
        # another province (nobody in Henan sees it), and no region at all (only the audit administrator, in April)
        "hubei": event_at(dt.datetime(2026, 5, 10, 4, 0, tzinfo=dt.UTC), region_path="420000/420100/"),
        "nowhere": event_at(dt.datetime(2026, 4, 10, 4, 0, tzinfo=dt.UTC), region_path="", action=Action.LOGIN_FAILED),
    }
