import datetime as dt

import pytest
import time_machine
from django.db import transaction

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.audit.selectors import audit_events_visible_to, filter_audit_events
from tanfang.audit.services import diff, record_event
from tanfang.conftest import Tree
from tanfang.core.errors import PermissionDenied


@pytest.mark.django_db(transaction=True)
def test_record_event_refuses_to_run_outside_a_transaction():
    tree = Tree()
    with pytest.raises(transaction.TransactionManagementError):
        record_event(actor=None, action=Action.REGION_CREATED, subject=tree.wuzhi)


def test_an_audit_row_rolls_back_with_the_write_it_describes(tree):
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(actor=None, action=Action.REGION_RENAMED, subject=tree.wuzhi)
        raise RuntimeError("the write failed")

    assert AuditEvent.objects.count() == 0


def test_diff_keeps_only_changed_fields_with_plain_values():
    before = {"name": "旧", "count": 1, "day": dt.date(2026, 1, 31)}
    after = {"name": "新", "count": 1, "day": dt.date(2026, 2, 1)}

    assert diff(before, after) == {
        "day": {"old": "2026-01-31", "new": "2026-02-01"},
        "name": {"old": "旧", "new": "新"},
    }


def _event(subject, actor=None, at=dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)):
    with time_machine.travel(at, tick=False), transaction.atomic():
        return record_event(actor=actor, action=Action.USER_UPDATED, subject=subject)


def test_officers_see_events_of_their_own_regions_only(
    officer_county_north, officer_county_south, worker_village_north
):
    # given
    north = _event(worker_village_north, actor=officer_county_north)
    south = _event(officer_county_south, actor=officer_county_south)

    # then
    assert list(audit_events_visible_to(officer_county_north)) == [north]
    assert list(audit_events_visible_to(officer_county_south)) == [south]


def test_village_workers_and_visitors_cannot_read_the_audit_log(worker_village_north, visitor_north):
    for actor in (worker_village_north, visitor_north):
        with pytest.raises(PermissionDenied):
            audit_events_visible_to(actor)


def test_filters_by_user_record_and_local_date_range(officer_county_north, worker_village_north):
    # given: 2026-05-01 23:30 in Beijing is still 2026-05-01 15:30 UTC
    late = _event(worker_village_north, officer_county_north, at=dt.datetime(2026, 5, 1, 15, 30, tzinfo=dt.UTC))
    next_day = _event(worker_village_north, officer_county_north, at=dt.datetime(2026, 5, 1, 16, 30, tzinfo=dt.UTC))
    events = audit_events_visible_to(officer_county_north)

    # then
    assert list(filter_audit_events(events, date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 5, 1))) == [late]
    assert list(filter_audit_events(events, date_from=dt.date(2026, 5, 2))) == [next_day]
    assert filter_audit_events(events, actor_username="someone_else").count() == 0
    subject = f"accounts.user:{worker_village_north.pk}"
    assert filter_audit_events(events, subject=subject).count() == 2
    assert filter_audit_events(events, subject="建设社区").count() == 2


def test_the_audit_page_lists_events_with_old_and_new_values(officer_county_north, worker_village_north, as_user):
    with transaction.atomic():
        record_event(
            actor=officer_county_north,
            action=Action.USER_UPDATED,
            subject=worker_village_north,
            changes={"display_name": {"old": "甲", "new": "乙"}},
        )

    html = as_user(officer_county_north).get("/audit/?user=officer_wuzhi").content.decode()

    assert "修改用户" in html
    assert "display_name: 甲 → 乙" in html
