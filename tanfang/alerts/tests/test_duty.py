"""The township duty roster: who may keep it, who may be on it, and the page that adds and removes shifts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.alerts.duty import ShiftInput, add_shift, remove_shift
from tanfang.alerts.models import DutyShift
from tanfang.alerts.selectors import get_township_for_duty, on_duty
from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.roles import RegionLevel
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import ensure_region

EIGHT = dt.datetime(2026, 11, 20, 8, tzinfo=LOCAL_TZ)


def shift_input(user, hours: float = 12, start: dt.datetime = EIGHT) -> ShiftInput:
    return ShiftInput(user_id=user.pk, starts_at=start, ends_at=start + dt.timedelta(hours=hours))


def test_a_shift_is_added_audited_and_holds_its_start_but_not_its_end(
    tree, officer_township_north, worker_village_north
):
    shift = add_shift(actor=officer_township_north, township=tree.mucheng, data=shift_input(worker_village_north))

    assert (shift.region_id, shift.region_path) == ("410823001000", tree.mucheng.path)
    assert on_duty(tree.mucheng, EIGHT) == [worker_village_north]
    assert on_duty(tree.mucheng, EIGHT - dt.timedelta(seconds=1)) == []
    assert on_duty(tree.mucheng, EIGHT + dt.timedelta(hours=12)) == []
    event = AuditEvent.objects.get(action="duty.shift_added")
    assert event.details["user"] == worker_village_north.pk and event.region_path == tree.mucheng.path


def test_a_shift_must_end_after_it_starts_last_at_most_a_week_and_name_someone_of_the_township(
    tree, officer_township_north, worker_village_north, officer_county_south
):
    cases = [
        (shift_input(worker_village_north, hours=0), "结束时间应晚于开始时间"),
        (shift_input(worker_village_north, hours=24 * 7 + 1), "一次值班最长7天"),
        (shift_input(officer_county_south), "请选择本乡镇（街道）的干部或村（社区）工作人员"),
    ]
    for data, message in cases:
        with pytest.raises(ValidationFailed) as error:
            add_shift(actor=officer_township_north, township=tree.mucheng, data=data)
        assert error.value.message == message

    assert DutyShift.objects.count() == 0 and not AuditEvent.objects.filter(action="duty.shift_added").exists()


def test_only_the_county_and_township_keep_rosters_and_only_in_their_scope(
    tree, officer_township_north, officer_county_south, worker_village_north, supervisor_north
):
    assert get_township_for_duty(officer_township_north, "410823001000") == tree.mucheng
    with pytest.raises(NotFound):
        get_township_for_duty(officer_county_south, "410823001000")
    with pytest.raises(NotFound):
        get_township_for_duty(worker_village_north, "410823001000")  # a village's worker does not see the township
    with pytest.raises(PermissionDenied):
        get_township_for_duty(supervisor_north, "410823001000")
    with pytest.raises(NotFound):
        get_township_for_duty(officer_township_north, "410823001001")  # a village is no township


@time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=LOCAL_TZ), tick=False)
def test_the_roster_page_adds_shows_and_removes_a_shift(tree, officer_township_north, worker_village_north, as_user):
    client = as_user(officer_township_north)
    # the list of incidents leads to the roster, and a township officer goes straight to its own
    assert 'href="/incidents/duty/"' in client.get("/incidents/").content.decode()
    assert client.get("/incidents/duty/")["Location"] == "/incidents/duty/410823001000/"

    response = client.post(
        "/incidents/duty/410823001000/",
        {"user": worker_village_north.pk, "starts_at": "2026-11-20T08:00", "ends_at": "2026-11-20T20:00"},
    )

    assert response.status_code == 302
    shift = DutyShift.objects.get()
    assert shift.starts_at == EIGHT
    page = client.get("/incidents/duty/410823001000/").content.decode()
    assert "建设社区工作人员" in page and "无人值班" not in page

    client.post(f"/incidents/duty/shifts/{shift.pk}/remove/")

    assert DutyShift.objects.count() == 0
    assert AuditEvent.objects.filter(action="duty.shift_removed").count() == 1
    assert "无人值班" in client.get("/incidents/duty/410823001000/").content.decode()


def test_a_county_officer_chooses_among_its_townships(tree, officer_county_north, as_user):
    ensure_region("410823002000", "三阳乡", RegionLevel.TOWNSHIP, tree.wuzhi)

    page = as_user(officer_county_north).get("/incidents/duty/").content.decode()

    assert "/incidents/duty/410823001000/" in page and "/incidents/duty/410823002000/" in page
    assert "410822001000" not in page


def test_removing_needs_the_right(tree, officer_township_north, worker_village_north, supervisor_north):
    shift = add_shift(actor=officer_township_north, township=tree.mucheng, data=shift_input(worker_village_north))

    with pytest.raises(PermissionDenied):
        remove_shift(actor=supervisor_north, shift=shift)
    assert DutyShift.objects.count() == 1
