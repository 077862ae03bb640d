"""The month's figures kept incrementally equal the figures rebuilt from the records, cell for cell.

Hypothesis writes random histories through the services a user's action goes through (registration,
status changes, visits and attempts, reviews, follow-ups, care services, incidents), while the clock
moves on day by day as in production: the due-refresh queue is drained after each step and the nightly
recompute runs on each new day. Then every month is rebuilt from the records (`rebuild_facts`), for the
whole country and for a township, and every fact cell and every visitor-month must be unchanged. A few
cells are also counted straight from the records, so the two paths cannot share a mistake unseen.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tanfang.alerts.models import Incident
from tanfang.alerts.services import open_incident
from tanfang.care.care_services import CareServiceInput, record_care_service
from tanfang.care.models import CareService, FollowUp
from tanfang.care.services import (
    FollowUpInput,
    accept_follow_up,
    assign_follow_up,
    close_follow_up,
    complete_follow_up,
    open_follow_up,
)
from tanfang.core.errors import ValidationFailed
from tanfang.core.time import LOCAL_TZ, local_date, local_today
from tanfang.devtools.factories import make_elder, record_test_visit
from tanfang.elders.inputs import GroupInput
from tanfang.elders.models import Elder, Group
from tanfang.elders.services import change_status
from tanfang.records.models import ReviewState, VisitRecord
from tanfang.records.services import review_record
from tanfang.records.tests.helpers import png
from tanfang.schedule.models import MonthDue, MonthFact, VillageMonth, VisitorMonth
from tanfang.schedule.months import FACT_CELLS, months_back
from tanfang.schedule.rebuild import rebuild_month
from tanfang.schedule.services import drain_due_queue, recompute_everyone
from tanfang.visitors.services import pair
from tanfang.visits.models import Outcome, Visit

START = dt.datetime(2026, 1, 27, 9, 30, tzinfo=LOCAL_TZ)  # across a month end, February and March
VILLAGES = ["410823001001", "410823001002"]

register = st.tuples(
    st.just("register"),
    st.sampled_from(VILLAGES),
    st.integers(0, 60),  # registered this many days before today
    st.sets(st.sampled_from(Group.values), max_size=2),
    st.booleans(),  # high risk
    st.sampled_from(["", "willing", "unwilling"]),
)
visit = st.tuples(
    st.just("visit"),
    st.integers(0, 30),  # which elder
    st.integers(0, 40),  # this many days before now
    st.sampled_from(["home", "phone", "video"]),
    st.sampled_from(["visited", "visited", "nobody_home", "refused"]),
    st.integers(0, 1),  # which visitor
)
status = st.tuples(
    st.just("status"),
    st.integers(0, 30),
    st.sampled_from(["away", "hospitalised", "active", "moved_out", "deceased"]),
    st.integers(0, 20),
)
review = st.tuples(st.just("review"), st.integers(0, 30), st.sampled_from(["confirmed", "rejected", "corrected"]))
follow_up = st.tuples(st.just("follow_up"), st.integers(0, 30), st.sampled_from(["none", "done", "closed"]))
service = st.tuples(
    st.just("service"),
    st.integers(0, 30),
    st.integers(0, 20),
    st.sampled_from(["satisfied", "fairly", "very_dissatisfied"]),
)
incident = st.tuples(st.just("incident"), st.integers(0, 30))
wait = st.tuples(st.just("wait"), st.integers(1, 9))
steps = st.tuples(
    st.lists(register, min_size=3, max_size=8),
    st.lists(
        st.one_of(visit, visit, visit, status, review, follow_up, service, incident, wait), min_size=5, max_size=40
    ),
)


def _cells() -> dict[tuple[str, str, int], dict[str, int]]:
    return {
        (f.region_path, f"{f.month:%Y-%m}", f.cohort): {c: getattr(f, c) for c in FACT_CELLS if getattr(f, c)}
        for f in MonthFact.objects.all()
        if any(getattr(f, c) for c in FACT_CELLS)
    }


def _visitor_months() -> Counter[tuple[int, str, str]]:
    return Counter(
        {(v.visitor_id, f"{v.month:%Y-%m}", v.region_path): v.rows for v in VisitorMonth.objects.filter(rows__gt=0)}
    )


def _villages() -> dict[tuple[str, str], tuple[int, int]]:
    return {
        (v.region_path, f"{v.month:%Y-%m}"): (v.to_visit, v.visited)
        for v in VillageMonth.objects.all()
        if v.to_visit or v.visited
    }


def _rows() -> dict[tuple[int, str], dict[str, object]]:
    """Every elder month, without the row ids (a rebuild writes new rows)."""
    return {
        (r["elder_id"], f"{r['month']:%Y-%m}"): {k: v for k, v in r.items() if k != "id"}
        for r in MonthDue.objects.values()
    }


class History:
    def __init__(self, officer, visitors, tree) -> None:
        self.officer, self.visitors, self.tree = officer, visitors, tree
        self.elders: list[Elder] = []
        self.sequence = 100

    def run(self, step: tuple) -> None:
        kind, *args = step
        getattr(self, kind)(*args)

    def _elder(self, index: int) -> Elder | None:
        if not self.elders:
            return None
        elder = self.elders[index % len(self.elders)]
        elder.refresh_from_db()
        return elder

    def register(self, village, days, groups, high_risk, willingness) -> None:
        self.sequence += 1
        self.elders.append(
            make_elder(
                self.officer,
                f"老人{self.sequence}",
                village,
                sequence=self.sequence,
                registered_on=local_today() - dt.timedelta(days=days),
                groups=[GroupInput(g) for g in sorted(groups)],
                risk_level="high" if high_risk else "normal",
                willingness=willingness,
            )
        )
        elder = self.elders[-1]
        pair(actor=self.officer, elder=elder, visitor=self.visitors[0], on=elder.registered_on)
        pair(actor=self.officer, elder=elder, visitor=self.visitors[1], role="backup", on=elder.registered_on)

    def visit(self, index, days, method, outcome, visitor) -> None:
        elder = self._elder(index)
        if elder is None:
            return
        at = max(
            dt.datetime.now(LOCAL_TZ) - dt.timedelta(days=days),
            dt.datetime.combine(elder.registered_on, dt.time(0, 1), LOCAL_TZ),
        )
        with contextlib.suppress(ValidationFailed):  # refused (e.g. after the elder died): nothing to count
            record_test_visit(
                self.officer,
                elder,
                occurred_at=at,
                method=method,
                outcome=outcome,
                visitor_id=self.visitors[visitor].pk,
            )

    def status(self, index, status, days) -> None:
        elder = self._elder(index)
        if elder is None:
            return
        with contextlib.suppress(ValidationFailed):
            change_status(
                actor=self.officer,
                elder=elder,
                status=status,
                since=max(elder.registered_on, local_today() - dt.timedelta(days=days)),
            )

    def review(self, index, outcome) -> None:
        pending = list(VisitRecord.objects.filter(review_state=ReviewState.PENDING).order_by("pk"))
        if not pending:
            return
        record = pending[index % len(pending)]
        with contextlib.suppress(ValidationFailed):
            review_record(actor=self.officer, record=record, outcome=outcome, note="核实", method="phone")

    def follow_up(self, index, ending) -> None:
        elder = self._elder(index)
        if elder is None:
            return
        try:
            fu = open_follow_up(
                actor=self.officer, elder_id=elder.pk, data=FollowUpInput(kind="reminder", title="提醒")
            )
        except ValidationFailed:
            return
        # and the oldest live one of the elder ends now, when asked
        live = (
            FollowUp.objects.filter(elder=elder, done_at__isnull=True, closed_at__isnull=True).exclude(pk=fu.pk).first()
        )
        if live is not None and ending == "done":
            if live.state == "open":
                assign_follow_up(actor=self.officer, follow_up_id=live.pk, user_id=self.officer.pk)
                accept_follow_up(actor=self.officer, follow_up_id=live.pk)
            complete_follow_up(actor=self.officer, follow_up_id=live.pk, note="已办")
        elif live is not None and ending == "closed":
            close_follow_up(actor=self.officer, follow_up_id=live.pk, outcome="not_needed", note="无需跟进")

    def service(self, index, days, satisfaction) -> None:
        elder = self._elder(index)
        if elder is None:
            return
        with contextlib.suppress(ValidationFailed):
            record_care_service(
                actor=self.officer,
                elder_id=elder.pk,
                data=CareServiceInput(
                    served_on=max(elder.registered_on, local_today() - dt.timedelta(days=days)),
                    content="上门服务",
                    server_name="周敏",
                    satisfaction=satisfaction,
                    server_signature=png(),
                ),
            )

    def incident(self, index) -> None:
        elder = self._elder(index)
        if elder is not None:
            with contextlib.suppress(ValidationFailed):
                open_incident(actor=self.officer, elder_id=elder.pk, kind="fall")

    def wait(self, days) -> None:
        raise NotImplementedError  # the test moves the clock


@pytest.fixture
def people(tree, officer_county_north, settings, tmp_path):
    from tanfang.visitors.services import VisitorInput, create_visitor

    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(START, tick=False):
        visitors = [
            create_visitor(
                actor=officer_county_north,
                data=VisitorInput(name=f"网格员{i}", kind="grid_worker", region_code=VILLAGES[i]),
            )
            for i in range(2)
        ]
    return officer_county_north, visitors


@pytest.mark.django_db
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(history=steps)
def test_incremental_figures_equal_the_rebuilt_ones(people, tree, history) -> None:
    officer, visitors = people
    with transaction.atomic():
        moment = START
        with time_machine.travel(moment, tick=False) as clock:
            world = History(officer, visitors, tree)
            first, rest = history
            for step in [*first, *rest]:
                if step[0] == "wait":
                    for _day in range(step[1]):  # the nightly recompute runs on every new day
                        moment += dt.timedelta(days=1)
                        clock.move_to(moment)
                        recompute_everyone(local_today())
                    continue
                world.run(step)
                drain_due_queue(local_today())
            today = local_today()
            incremental, visitor_months, rows, villages = _cells(), _visitor_months(), _rows(), _villages()
            # And each village's two numbers are the sums of its cells
            for (path, month_text), pair in villages.items():
                of_village = [c for (p, m, _cohort), c in incremental.items() if p == path and m == month_text]
                assert pair == (
                    sum(c.get("to_visit", 0) for c in of_village),
                    sum(c.get("visited", 0) for c in of_village),
                )

            # Then: what the records say, counted straight, agrees with the facts
            for month in months_back(today, 4):
                key = ("410000/", f"{month:%Y-%m}")
                total: Counter[str] = Counter()
                for (path, m, _cohort), cells in incremental.items():
                    if (path, m) == key:
                        total.update(cells)
                month_visits = Visit.objects.filter(day__year=month.year, day__month=month.month)
                assert total["attempts"] == month_visits.exclude(outcome=Outcome.VISITED).count()
                assert total["rejected"] == month_visits.filter(rejected=True).count()
                assert (
                    total["services"]
                    == CareService.objects.filter(served_on__year=month.year, served_on__month=month.month).count()
                )
                assert total["incidents"] == sum(
                    1 for i in Incident.objects.all() if local_date(i.opened_at).replace(day=1) == month
                )
                assert total["fu_opened"] == sum(
                    1 for f in FollowUp.objects.all() if local_date(f.opened_at).replace(day=1) == month
                )

            # When every month is rebuilt from the records, for a township and then for everything
            for month in months_back(today, 4):
                rebuild_month(region_path=tree.mucheng.path, month=month, today=today)
            assert _cells() == incremental
            for month in months_back(today, 4):
                result = rebuild_month(region_path="", month=month, today=today)
                assert result.cells_changed == 0
            # Then not one cell, visitor-month or elder-month differs
            assert _cells() == incremental
            assert _visitor_months() == visitor_months
            assert _villages() == villages
            assert _rows() == rows
        transaction.set_rollback(True)
