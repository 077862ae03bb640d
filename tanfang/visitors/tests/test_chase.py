"""催办: an officer reminds an elder's visitor from the not-visited list: inbox and SMS, once a day, audited."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder, make_user
from tanfang.notifications.models import InboxMessage, Notification
from tanfang.notifications.preferences import PreferenceInput, set_preferences
from tanfang.visitors.services import VisitorInput, chase_visitor, create_visitor, pair

NOW = dt.datetime(2026, 2, 28, 23, 50, tzinfo=LOCAL_TZ)  # the last evening of a short month
JIANSHE = "410823001001"


@pytest.fixture
def paired(tree, officer_county_north):
    user = make_user("visitor_chen", Role.VISITOR, [tree.jianshe], display_name="网格员陈晓")
    visitor = create_visitor(
        actor=officer_county_north,
        data=VisitorInput(name="陈晓", kind="grid_worker", region_code=JIANSHE, phone="13812345678"),
    )
    visitor.user = user
    visitor.save()
    elder = make_elder(officer_county_north, "王老汉", JIANSHE, registered_on=dt.date(2025, 5, 1))
    pair(actor=officer_county_north, elder=elder, visitor=visitor, on=dt.date(2025, 5, 1))
    return user, visitor, elder


@time_machine.travel(NOW, tick=False)
def test_a_chase_reaches_the_visitors_inbox_and_phone_once_a_day_and_is_audited(paired, officer_township_north):
    user, visitor, elder = paired

    chase_visitor(actor=officer_township_north, elder_id=elder.pk)
    chase_visitor(actor=officer_township_north, elder_id=elder.pk)  # a second click the same day

    message = InboxMessage.objects.get(user=user)
    assert "王老汉" in message.body and "本月尚未探访" in message.body and message.link == "/worklist/"
    sms = Notification.objects.get()
    assert sms.recipient == "138*****678" and sms.body == message.body  # the full number only encrypted
    event = AuditEvent.objects.get(action="visitor.chased")
    assert (event.actor, event.subject_id) == (officer_township_north, str(elder.pk))
    assert event.details == {"visitor": visitor.pk, "inbox": True, "sms": True}
    # the next day it may be chased again
    with time_machine.travel(NOW + dt.timedelta(minutes=15), tick=False):
        chase_visitor(actor=officer_township_north, elder_id=elder.pk)
    assert InboxMessage.objects.count() == 2


def test_a_chase_in_the_visitors_quiet_hours_waits_for_their_end_by_sms(paired, officer_township_north):
    # given a visitor who asked for quiet from 22:00 to 07:00
    user, _visitor, elder = paired
    set_preferences(actor=user, data=PreferenceInput(quiet_start=dt.time(22), quiet_end=dt.time(7)))

    # when chased at 23:50 on the last day of February
    with time_machine.travel(NOW, tick=False):
        chase_visitor(actor=officer_township_north, elder_id=elder.pk)

    # then the inbox has it now, and the SMS is held until 07:00 on 1 March
    assert InboxMessage.objects.filter(user=user).count() == 1
    assert Notification.objects.get().next_attempt_at == dt.datetime(2026, 3, 1, 7, 0, tzinfo=LOCAL_TZ)


def test_an_elder_nobody_visits_cannot_be_chased(tree, officer_county_north):
    lonely = make_elder(officer_county_north, "李大娘", JIANSHE, sequence=31, registered_on=dt.date(2025, 5, 1))

    with pytest.raises(ValidationFailed, match="还没有结对的探访人员"):
        chase_visitor(actor=officer_county_north, elder_id=lonely.pk)
    assert not AuditEvent.objects.filter(action="visitor.chased").exists()


def test_chasing_is_for_officers_and_village_workers_in_scope(paired, supervisor_north, officer_county_south):
    _user, _visitor, elder = paired

    with pytest.raises(PermissionDenied):
        chase_visitor(actor=supervisor_north, elder_id=elder.pk)
    with pytest.raises(NotFound):
        chase_visitor(actor=officer_county_south, elder_id=elder.pk)
    assert not InboxMessage.objects.exists() and not Notification.objects.exists()


def test_the_not_visited_list_offers_the_chase_and_the_click_comes_back(paired, officer_township_north, as_user):
    _user, visitor, elder = paired
    client = as_user(officer_township_north)

    page = client.get(f"/schedule/{JIANSHE}/?list=not_visited").content.decode()
    response = client.post(
        f"/visitors/elders/{elder.pk}/chase/", {"next": f"/schedule/{JIANSHE}/?list=not_visited"}, follow=True
    )

    assert f'data-testid="chase-{elder.pk}"' in page
    assert response.redirect_chain[-1][0] == f"/schedule/{JIANSHE}/?list=not_visited"
    assert f"已催办 {visitor.name}" in response.content.decode()
