"""A visitor account sees only the elders it is paired with (primary or backup), and their visits and forms.

It does not see other elders of its village or township, the region's figures, or a village's printed
month; asking for another elder's visit by its id answers 404 and is audited.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.audit.models import AuditEvent
from tanfang.core.roles import Role
from tanfang.devtools.factories import make_elder, make_user, record_test_visit
from tanfang.visitors.models import Pairing
from tanfang.visitors.services import VisitorInput, create_visitor, end_pairing, pair

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
JIANSHE = "410823001001"


@pytest.fixture
def village(tree, officer_county_north):
    """Two elders of 建设社区: 张 paired with the visitor as backup, 李 paired with someone else."""
    user = make_user("visitor_wang", Role.VISITOR, [tree.jianshe], display_name="网格员王")
    mine = create_visitor(
        actor=officer_county_north, data=VisitorInput(name="王", kind="grid_worker", region_code=JIANSHE)
    )
    mine.user = user
    mine.save()
    other = create_visitor(
        actor=officer_county_north, data=VisitorInput(name="赵", kind="volunteer", region_code=JIANSHE)
    )
    zhang = make_elder(officer_county_north, "张桂兰", JIANSHE, sequence=51, registered_on=dt.date(2025, 3, 1))
    li = make_elder(officer_county_north, "李秀英", JIANSHE, sequence=52, registered_on=dt.date(2025, 3, 1))
    pair(actor=officer_county_north, elder=zhang, visitor=other, on=dt.date(2025, 3, 1))
    pair(actor=officer_county_north, elder=zhang, visitor=mine, role="backup", on=dt.date(2025, 3, 1))
    pair(actor=officer_county_north, elder=li, visitor=other, on=dt.date(2025, 3, 1))
    with time_machine.travel(NOW, tick=False):
        own_visit = record_test_visit(officer_county_north, zhang, occurred_at=NOW - dt.timedelta(hours=1))
        other_visit = record_test_visit(officer_county_north, li, occurred_at=NOW - dt.timedelta(hours=1))
    return user, zhang, li, own_visit, other_visit


@time_machine.travel(NOW, tick=False)
def test_the_backup_visitor_sees_its_elder_and_its_visits(village, as_user):
    user, zhang, _li, own_visit, _other = village
    client = as_user(user)

    assert client.get(f"/records/visits/{own_visit.pk}/").status_code == 200
    assert client.get(f"/records/elders/{zhang.pk}/").status_code == 200
    assert client.get(f"/api/v1/visits/{own_visit.pk}").status_code == 200
    assert client.get(f"/api/v1/visits/{own_visit.pk}/form.pdf").status_code == 200
    assert client.get(f"/records/elders/{zhang.pk}/new/").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_another_elders_visit_of_the_same_village_looks_missing_and_the_request_is_audited(village, as_user):
    user, _zhang, li, _own, other_visit = village
    client = as_user(user)

    answers = [
        client.get(f"/records/visits/{other_visit.pk}/").status_code,
        client.get(f"/api/v1/visits/{other_visit.pk}").status_code,
        client.get(f"/api/v1/visits/{other_visit.pk}/form.pdf").status_code,
        client.get(f"/records/elders/{li.pk}/").status_code,
        client.get(f"/api/v1/elders/{li.pk}/visits").status_code,
        client.get(f"/records/elders/{li.pk}/new/").status_code,
    ]

    assert answers == [404] * 6
    refusals = AuditEvent.objects.filter(action="access.refused", actor=user)
    assert refusals.count() == 3  # one per request naming the visit
    assert set(refusals.values_list("subject_id", flat=True)) == {str(other_visit.pk)}
    assert {r.region_path for r in refusals} == {other_visit.region_path}  # filed where the village's officers see it


@time_machine.travel(NOW, tick=False)
def test_the_visitor_sees_no_region_figures_no_list_and_no_printed_month(village, as_user):
    user, *_rest = village
    client = as_user(user)

    assert client.get(f"/api/v1/regions/{JIANSHE}/due").status_code == 404
    assert client.get(f"/schedule/{JIANSHE}/").status_code == 404
    assert client.get(f"/records/villages/{JIANSHE}/forms.pdf?month=2026-11").status_code in (403, 404)
    assert client.get("/elders/").status_code == 403
    assert client.get("/api/v1/visitors").status_code == 403
    assert client.get("/records/review/").status_code == 403


@time_machine.travel(NOW, tick=False)
def test_an_ended_pairing_closes_the_elders_visits_again(village, as_user, officer_county_north):
    user, zhang, _li, own_visit, _other = village
    pairing = Pairing.objects.get(elder=zhang, visitor__user=user)
    end_pairing(actor=officer_county_north, pairing=pairing, reason="调岗")

    assert as_user(user).get(f"/records/visits/{own_visit.pk}/").status_code == 404


def test_only_roles_that_record_are_offered_the_form(tree, officer_county_north, supervisor_north, as_user):
    elder = make_elder(officer_county_north, "张桂兰", JIANSHE, sequence=51, registered_on=dt.date(2025, 3, 1))
    link = f"/records/elders/{elder.pk}/new/"

    for_officer = as_user(officer_county_north).get(f"/elders/{elder.pk}/").content.decode()
    for_supervisor = as_user(supervisor_north).get(f"/elders/{elder.pk}/").content.decode()
    history = as_user(supervisor_north).get(f"/records/elders/{elder.pk}/").content.decode()

    assert link in for_officer
    assert link not in for_supervisor and link not in history
