"""Service hours are tallied per visitor from their visits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder, record_test_visit
from tanfang.visitors.services import VisitorInput, create_visitor, pair
from tanfang.visits.selectors import service_hours


def test_a_volunteers_hours_add_up_from_visit_minutes(tree, officer_county_north, as_user):
    volunteer = create_visitor(
        actor=officer_county_north, data=VisitorInput(name="志愿者小王", kind="volunteer", region_code="410823001001")
    )
    elder = make_elder(officer_county_north, "张大爷", "410823001001", registered_on=dt.date(2026, 1, 5))
    pair(actor=officer_county_north, elder=elder, visitor=volunteer, on=dt.date(2026, 1, 5))
    for day, minutes, outcome in ((dt.date(2026, 3, 2), 45, "visited"), (dt.date(2026, 4, 2), 20, "nobody_home")):
        record_test_visit(
            officer_county_north,
            elder,
            visitor_id=volunteer.pk,
            method="home",
            occurred_at=dt.datetime(day.year, day.month, day.day, 9, tzinfo=LOCAL_TZ),
            minutes=minutes,
            outcome=outcome,
        )

    assert service_hours(volunteer) == Decimal("1.1")  # 45 + 20 minutes: the trip counts even if nobody was home
    assert service_hours(volunteer, since=dt.date(2026, 4, 1)) == Decimal("0.3")
    body = as_user(officer_county_north).get(f"/api/v1/visitors/{volunteer.pk}/hours").json()
    assert body == {"visitor_id": volunteer.pk, "counted": True, "hours": "1.1"}
    panel = as_user(officer_county_north).get(f"/visits/visitors/{volunteer.pk}/hours/").content.decode()
    assert "计入志愿服务时长" in panel and "累计 1.1 小时" in panel
