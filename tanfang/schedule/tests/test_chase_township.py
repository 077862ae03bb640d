"""催办 a township from its not-visited list: its officers are told how many elders are left, once a day."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound, ValidationFailed
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder
from tanfang.notifications.models import InboxMessage
from tanfang.schedule.chasing import chase_township
from tanfang.schedule.services import refresh_due

MID_MONTH = dt.datetime(2026, 11, 18, 15, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def not_visited(tree, officer_county_north):
    elder = make_elder(officer_county_north, "王老汉", "410823001001", sequence=7, registered_on=dt.date(2025, 3, 1))
    refresh_due([elder.pk], MID_MONTH.date())
    return elder


@time_machine.travel(MID_MONTH, tick=False)
def test_the_county_chases_a_township_and_its_officers_are_told_once_a_day(
    tree, not_visited, officer_county_north, officer_township_north
):
    # when the county officer chases 木城街道 twice the same day
    first = chase_township(actor=officer_county_north, code=tree.mucheng.code)
    again = chase_township(actor=officer_county_north, code=tree.mucheng.code)

    # then its officer is told once, with the count and the days left; both chases are audited
    assert (first.not_visited, first.told, again.told) == (1, 1, 0)
    message = InboxMessage.objects.get(user=officer_township_north)
    assert "1位老人未探访" in message.body and "还有12天" in message.body
    assert message.link == f"/schedule/{tree.mucheng.code}/"
    assert AuditEvent.objects.filter(action="township.chased").count() == 2


@time_machine.travel(MID_MONTH, tick=False)
def test_a_township_does_not_chase_itself_nor_anyone_a_village(
    tree, not_visited, officer_township_north, officer_county_north
):
    with pytest.raises(ValidationFailed, match="辖区内的乡镇"):
        chase_township(actor=officer_township_north, code=tree.mucheng.code)
    with pytest.raises(ValidationFailed, match="辖区内的乡镇"):
        chase_township(actor=officer_county_north, code=tree.jianshe.code)
    assert not InboxMessage.objects.exists()


@time_machine.travel(MID_MONTH, tick=False)
def test_a_township_without_officers_or_without_elders_left_is_refused_in_chinese(
    tree, officer_county_north, not_visited
):
    with pytest.raises(ValidationFailed, match="没有在岗的干部账号"):
        chase_township(actor=officer_county_north, code=tree.mucheng.code)


def test_another_countys_township_is_not_found(tree, officer_county_south):
    with pytest.raises(NotFound):
        chase_township(actor=officer_county_south, code=tree.mucheng.code)


@time_machine.travel(MID_MONTH, tick=False)
def test_the_button_is_on_the_townships_not_visited_list(tree, not_visited, officer_county_north, as_user):
    client = as_user(officer_county_north)
    assert 'data-testid="chase-township"' in client.get(f"/schedule/{tree.mucheng.code}/").content.decode()
    assert 'data-testid="chase-township"' not in client.get(f"/schedule/{tree.wuzhi.code}/").content.decode()
