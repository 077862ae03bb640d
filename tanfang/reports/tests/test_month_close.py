"""Month close: a closed month's figures do not move when a late record arrives; the correction shows
(补录), and only an officer re-opening and closing the month again changes the snapshot. Audited.

Dates are fixed: October 2026 closes after 5 November (five grace days); the clock is moved with
time_machine, never read from the machine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client

from tanfang.accounts.models import User
from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.core.errors import PermissionDenied, ValidationFailed
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder, record_test_visit
from tanfang.elders.models import Elder
from tanfang.schedule.closing import close_due_months, close_month, reopen_month
from tanfang.schedule.models import ClosedFact, Correction, MonthClose
from tanfang.schedule.services import drain_due_queue
from tanfang.visitors.services import VisitorInput, create_visitor, pair

JIANSHE, HEPING = "410823001001", "410823001002"
OCTOBER = dt.date(2026, 10, 1)


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=LOCAL_TZ)


@dataclass
class World:
    officer: User
    province_officer: User
    elders: list[Elder]
    as_user: Callable[[User], Client]

    @property
    def province(self) -> Client:
        """The province officer, logged in now (the clock moves between steps)."""
        return self.as_user(self.province_officer)

    @property
    def county(self) -> Client:
        return self.as_user(self.officer)


@pytest.fixture
def world(tree, officer_county_north, officer_province, as_user, settings, tmp_path) -> Iterator[World]:
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(at(10, 2), tick=False):
        visitor = create_visitor(
            actor=officer_county_north, data=VisitorInput(name="网格员", kind="grid_worker", region_code=JIANSHE)
        )
        elders = []
        for i, village in enumerate([JIANSHE, JIANSHE, HEPING, HEPING]):
            elder = make_elder(
                officer_county_north, f"老人{i}", village, sequence=40 + i, registered_on=dt.date(2026, 1, 5)
            )
            pair(actor=officer_county_north, elder=elder, visitor=visitor, on=dt.date(2026, 1, 5))
            elders.append(elder)
    # October: three of four visited
    for elder, day in zip(elders[:3], (3, 12, 25), strict=True):
        with time_machine.travel(at(10, day, 15), tick=False):
            record_test_visit(
                officer_county_north, elder, occurred_at=at(10, day), method="home", visitor_id=visitor.pk
            )
            drain_due_queue()
    yield World(officer_county_north, officer_province, elders, as_user)


def october(client: Client, region: str = "410823") -> dict:
    response = client.get(f"/api/v1/reports/visit-rate?region={region}&month=2026-10")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_month_is_open_during_its_grace_days_and_closes_after(world):
    # Given the fifth of November: October is still open, late records count in full
    with time_machine.travel(at(11, 5, 23), tick=False):
        earlier = close_due_months()  # the months before October, closed long ago in a real deployment
        assert OCTOBER not in [c.month for c in earlier] and earlier
        assert world.province.get("/api/v1/reports/months/2026-10/status").json()["state"] == "open"
    # When the sixth comes, the daily job closes it
    with time_machine.travel(at(11, 6, 1), tick=False):
        closed = close_due_months()
        status = world.province.get("/api/v1/reports/months/2026-10/status").json()
    # Then the province's October is frozen with its figures
    assert [(c.region_path, c.month) for c in closed] == [("410000/", OCTOBER)]
    assert status["state"] == "closed" and status["closes_on"] == "2026-11-05" and status["corrections"] == 0
    assert ClosedFact.objects.filter(close=closed[0], region_path="410000/410800/410823/").exists()
    # the visitors active are frozen with the figures (one per region, apart from the cohorts' sums)
    with time_machine.travel(at(11, 6, 2), tick=False):
        frozen = world.province.get("/api/v1/reports/indicators?region=410823&month=2026-10").json()
    assert frozen["closed"] and frozen["indicators"]["visitors_active"] == 1
    assert frozen["indicators"]["to_visit"] == 4
    assert AuditEvent.objects.filter(action=Action.MONTH_CLOSED, details__month="2026-10").count() == 1
    # and a second run closes nothing again
    with time_machine.travel(at(11, 7, 1), tick=False):
        assert close_due_months() == []


def test_a_late_record_does_not_move_a_closed_month_and_shows_as_a_correction(world):
    with time_machine.travel(at(11, 6, 1), tick=False):
        close_due_months()
        before = october(world.county)
    assert (before["to_visit"], before["visited"], before["closed"], before["corrections"]) == (4, 3, True, 0)

    # When the fourth elder's October visit, made offline, is uploaded on 10 November
    with time_machine.travel(at(11, 10, 9), tick=False):
        visit = record_test_visit(world.officer, world.elders[3], occurred_at=at(10, 30), method="phone")
        drain_due_queue()
        after = october(world.county)
        village = october(world.county, HEPING)
        status = world.county.get("/api/v1/reports/months/2026-10/status?region=410823").json()
        due = world.county.get("/api/v1/regions/410823/due?month=2026-10").json()

    # Then October's figures stay as closed, and the correction is counted apart, with who and why
    assert (after["to_visit"], after["visited"], after["corrections"]) == (4, 3, 1)
    assert (village["visited"], village["corrections"]) == (1, 1)
    assert status["corrections"] == 1
    assert (due["denominator"], due["visited"]) == (4, 3)  # one answer for the same question
    correction = Correction.objects.get()
    assert (correction.visit_id, correction.by_id, correction.kind) == (visit.pk, world.officer.pk, "late_record")
    assert correction.reason == "月结后上传的探访记录"
    # and the live elder-month rows already hold it: the list of those not visited is empty
    assert due["not_visited"] == []


def test_re_opening_shows_the_live_figures_and_closing_again_takes_them_in(world, officer_province):
    with time_machine.travel(at(11, 6, 1), tick=False):
        close_due_months()
    with time_machine.travel(at(11, 10, 9), tick=False):
        record_test_visit(world.officer, world.elders[3], occurred_at=at(10, 30), method="phone")
        drain_due_queue()

        # When the province officer re-opens October, giving a reason
        response = world.province.post("/figures/months/2026-10/reopen/", {"reason": "补录乡镇上报的探访记录"})
        reopened = october(world.county)
        # Then the live figures show (the late visit counted), and the month says it is re-opened
        assert response.status_code == 302
        assert (reopened["visited"], reopened["closed"]) == (4, False)
        page = world.province.get("/figures/months/").content.decode()
        assert "已重新打开" in page and "补录乡镇上报的探访记录" in page

        # When it is closed again
        world.province.post("/figures/months/2026-10/close/", {"reason": "核实后重新月结"})
        again = october(world.county)

    # Then the new snapshot counts the correction, which is no longer shown apart
    assert (again["visited"], again["closed"], again["corrections"]) == (4, True, 0)
    assert Correction.objects.get().absorbed_by == MonthClose.objects.get(region_path="410000/", month=OCTOBER)
    actions = list(
        AuditEvent.objects.filter(actor=officer_province, action__in=[Action.MONTH_REOPENED, Action.MONTH_CLOSED])
        .order_by("pk")
        .values_list("action", "details__reason")
    )
    assert actions == [(Action.MONTH_REOPENED, "补录乡镇上报的探访记录"), (Action.MONTH_CLOSED, "核实后重新月结")]


def test_only_a_province_officer_re_opens_with_a_reason_and_only_after_the_close(world, officer_province):
    # before its close day October cannot be closed by hand
    with time_machine.travel(at(11, 4, 9), tick=False), pytest.raises(ValidationFailed, match="尚未到月结日"):
        close_month(actor=officer_province, region_code="410000", month=OCTOBER)
    with time_machine.travel(at(11, 6, 1), tick=False):
        close_due_months()
        # a county officer sees the months but may not re-open them
        with pytest.raises(PermissionDenied):
            reopen_month(actor=world.officer, region_code="410823", month=OCTOBER, reason="想改")
        assert world.county.post("/figures/months/2026-10/reopen/?region=410823", {"reason": "想改"}).status_code == 403
        # a reason is required, and months close by province
        with pytest.raises(ValidationFailed, match="请说明重新打开的原因"):
            reopen_month(actor=officer_province, region_code="410000", month=OCTOBER, reason=" ")
        with pytest.raises(ValidationFailed, match="月结按省进行"):
            reopen_month(actor=officer_province, region_code="410823", month=OCTOBER, reason="核实")
    assert MonthClose.objects.get(month=OCTOBER).closed


def test_the_months_page_lists_the_state_and_the_province_officer_sees_the_buttons(world):
    with time_machine.travel(at(11, 10, 9), tick=False):
        close_due_months()
        record_test_visit(world.officer, world.elders[3], occurred_at=at(10, 30), method="phone")
        province = world.province.get("/figures/months/").content.decode()
        county = world.county.get("/figures/months/").content.decode()
    assert 'data-month="2026-10"' in province and "已月结" in province and "补录 1" in province
    assert "重新打开" in province and "重新打开" not in county.split("<tbody>")[1]
    assert 'data-month="2026-11"' in county and "进行中" in county
