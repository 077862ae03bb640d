"""Visitors and pairing: suggestions, capacity, history, bulk pairing, hand-over."""

from __future__ import annotations

import datetime as dt

import pytest

from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound, ValidationFailed
from tanfang.devtools.factories import make_elder
from tanfang.elders.models import Status
from tanfang.elders.services import change_status
from tanfang.visitors.models import Pairing, Visitor
from tanfang.visitors.selectors import unpaired_elders
from tanfang.visitors.services import (
    VisitorInput,
    bulk_pair_village,
    create_visitor,
    hand_over,
    pair,
    suggest_visitors,
)

JIANSHE = "410823001001"
HEPING = "410823001002"
MUCHENG = "410823001000"


def visitor(actor, name: str, region: str = JIANSHE, capacity: int = 20, served: list[str] | None = None) -> Visitor:
    return create_visitor(
        actor=actor,
        data=VisitorInput(
            name=name, kind="grid_worker", region_code=region, capacity=capacity, served_codes=served or []
        ),
    )


def elders(actor, count: int, village: str = JIANSHE, first_sequence: int = 21) -> list:
    return [
        make_elder(actor, f"老人{i}", village, sequence=first_sequence + 2 * i, registered_on=dt.date(2026, 1, 5))
        for i in range(count)
    ]


def test_a_visitor_is_created_within_scope_and_audited(tree, officer_county_north, officer_county_south):
    created = visitor(officer_county_north, "网格员甲")

    assert [r.code for r in created.served.all()] == [JIANSHE]
    assert AuditEvent.objects.filter(action="visitor.created", subject_id=str(created.pk)).exists()
    with pytest.raises(ValidationFailed):
        visitor(officer_county_south, "越界", region=JIANSHE)


def test_suggestions_put_the_same_village_first_then_the_lowest_load_and_never_a_full_one(tree, officer_county_north):
    # given a village visitor with two elders, a township visitor with none, and a full one
    village_busy = visitor(officer_county_north, "本村网格员", capacity=5)
    visitor(officer_county_north, "乡镇社工", region=MUCHENG)
    full = visitor(officer_county_north, "满额志愿者", capacity=1)
    first, second, target = elders(officer_county_north, 3)
    pair(actor=officer_county_north, elder=first, visitor=village_busy)
    pair(actor=officer_county_north, elder=second, visitor=full)

    suggestions = suggest_visitors(officer_county_north, target)

    # then the same-village visitor comes first despite a higher load; the full one is left out
    assert [(s.visitor.name, s.load, s.same_village) for s in suggestions] == [
        ("本村网格员", 1, True),
        ("乡镇社工", 0, False),
    ]
    assert full not in [s.visitor for s in suggestions]


def test_a_new_primary_replaces_the_old_one_and_keeps_the_history(tree, officer_county_north):
    old, new = visitor(officer_county_north, "甲"), visitor(officer_county_north, "乙")
    (elder,) = elders(officer_county_north, 1)

    pair(actor=officer_county_north, elder=elder, visitor=old)
    pair(actor=officer_county_north, elder=elder, visitor=new)

    history = list(elder.pairings.order_by("id").values_list("visitor__name", "ended_on", "end_reason"))
    assert history[0][0] == "甲" and history[0][1] is not None and history[0][2] == "更换主要探访人"
    assert history[1] == ("乙", None, "")
    assert elder.pairings.filter(ended_on__isnull=True, role="primary").count() == 1


def test_backups_are_optional_and_do_not_use_capacity(tree, officer_county_north):
    main, spare = visitor(officer_county_north, "主", capacity=1), visitor(officer_county_north, "备", capacity=1)
    first, second = elders(officer_county_north, 2)

    pair(actor=officer_county_north, elder=first, visitor=spare)
    pair(actor=officer_county_north, elder=first, visitor=main, role=Pairing.Role.BACKUP)
    pair(actor=officer_county_north, elder=second, visitor=main)

    assert set(first.pairings.filter(ended_on__isnull=True).values_list("visitor__name", "role")) == {
        ("备", "primary"),
        ("主", "backup"),
    }


def test_pairing_over_capacity_is_refused(tree, officer_county_north):
    only = visitor(officer_county_north, "限一人", capacity=1)
    first, second = elders(officer_county_north, 2)
    pair(actor=officer_county_north, elder=first, visitor=only)

    with pytest.raises(ValidationFailed, match="达到上限"):
        pair(actor=officer_county_north, elder=second, visitor=only)


def test_pairing_across_counties_is_not_found(tree, officer_county_north, officer_county_south):
    theirs = visitor(officer_county_south, "外县人员", region="410822001001")
    (elder,) = elders(officer_county_north, 1)

    with pytest.raises(NotFound):
        pair(actor=officer_county_north, elder=elder, visitor=theirs)
    with pytest.raises(NotFound):
        pair(actor=officer_county_south, elder=elder, visitor=theirs)


def test_bulk_pairing_a_village_fills_within_capacity_and_reports_the_rest(tree, officer_county_north):
    visitor(officer_county_north, "甲", capacity=2)
    visitor(officer_county_north, "乙", capacity=1)
    elders(officer_county_north, 4)

    result = bulk_pair_village(actor=officer_county_north, village_code=JIANSHE)

    assert len(result.paired) == 3 and len(result.left) == 1
    loads = {v.name: v.pairings.filter(ended_on__isnull=True).count() for v in Visitor.objects.all()}
    assert loads == {"甲": 2, "乙": 1}
    assert list(unpaired_elders(officer_county_north, JIANSHE)) == result.left


def test_unpaired_leaves_out_elders_who_moved_out_or_died(tree, officer_county_north):
    alive, gone = elders(officer_county_north, 2)
    change_status(actor=officer_county_north, elder=gone, status=Status.DECEASED, since=dt.date(2026, 3, 1))

    assert list(unpaired_elders(officer_county_north)) == [alive]


def test_hand_over_moves_every_elder_and_deactivates_the_leaver(tree, officer_county_north):
    leaving = visitor(officer_county_north, "离岗者")
    visitor(officer_county_north, "接手甲", capacity=1)
    visitor(officer_county_north, "接手乙")
    group = elders(officer_county_north, 3)
    for elder in group:
        pair(actor=officer_county_north, elder=elder, visitor=leaving)

    moved = hand_over(actor=officer_county_north, leaving=leaving)

    leaving.refresh_from_db()
    assert len(moved) == 3 and not leaving.active
    assert not leaving.pairings.filter(ended_on__isnull=True).exists()
    names = sorted(p.visitor.name for p in moved)
    assert names == ["接手乙", "接手乙", "接手甲"]  # 甲 takes one (capacity 1), 乙 the rest
    assert list(unpaired_elders(officer_county_north)) == []


def test_hand_over_changes_nothing_when_someone_would_be_left_unpaired(tree, officer_county_north):
    leaving = visitor(officer_county_north, "离岗者")
    visitor(officer_county_north, "只能接一人", capacity=1)
    for elder in elders(officer_county_north, 2):
        pair(actor=officer_county_north, elder=elder, visitor=leaving)
    before = list(Pairing.objects.order_by("pk").values())

    with pytest.raises(ValidationFailed, match="有 1 位老人找不到可接手的探访人"):
        hand_over(actor=officer_county_north, leaving=leaving)

    leaving.refresh_from_db()
    assert leaving.active
    assert list(Pairing.objects.order_by("pk").values()) == before


def test_a_visitor_with_elders_cannot_simply_be_deactivated(tree, officer_county_north):
    from tanfang.visitors.services import update_visitor

    busy = visitor(officer_county_north, "有结对")
    (elder,) = elders(officer_county_north, 1)
    pair(actor=officer_county_north, elder=elder, visitor=busy)

    with pytest.raises(ValidationFailed, match="请先移交"):
        update_visitor(
            actor=officer_county_north,
            visitor=busy,
            data=VisitorInput(name="有结对", kind="grid_worker", region_code=JIANSHE, active=False),
        )


def test_the_api_lists_visitors_with_their_load_and_pairs(tree, officer_county_north, as_user):
    one = visitor(officer_county_north, "网格员丙")
    (elder,) = elders(officer_county_north, 1)
    client = as_user(officer_county_north)

    created = client.post(
        "/api/v1/pairings", {"elder_id": elder.pk, "visitor_id": one.pk}, content_type="application/json"
    )
    listed = client.get("/api/v1/visitors").json()

    assert created.status_code == 201 and created.json()["role"] == "primary"
    assert listed["items"][0]["name"] == "网格员丙" and listed["items"][0]["load"] == 1


def test_the_elder_page_shows_the_pairing_panel_with_suggestions(tree, officer_county_north, as_user):
    visitor(officer_county_north, "网格员丁")
    (elder,) = elders(officer_county_north, 1)

    panel = as_user(officer_county_north).get(f"/visitors/elders/{elder.pk}/pairing/").content.decode()

    assert "尚未结对" in panel and "网格员丁" in panel and "同村" in panel
