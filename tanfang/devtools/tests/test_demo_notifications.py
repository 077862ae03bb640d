"""The demo outbox shows every state: sent, pending, retrying, failed with attempts, urgent, held."""

from __future__ import annotations

import datetime as dt

import time_machine

from tanfang.core.roles import Role
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.demo_notifications import seed_notifications
from tanfang.devtools.factories import make_user
from tanfang.notifications.models import Attempt, InboxMessage, Notification
from tanfang.notifications.selectors import troubled_messages_visible_to
from tanfang.visitors.services import VisitorInput, create_visitor

NOW = dt.datetime(2027, 1, 31, 10, 0, tzinfo=LOCAL_TZ)


@time_machine.travel(NOW, tick=False)
def test_the_demo_outbox_has_every_state_and_the_officers_see_the_failures(tree, officer_county_north):
    # given demo-like visitors with phones, one of them the demo visitor's own profile
    user = make_user("visitor", Role.VISITOR, [tree.jianshe], display_name="网格员 陈晓")
    for i, name in enumerate(("陈晓", "李华", "王芳")):
        visitor = create_visitor(
            actor=officer_county_north,
            data=VisitorInput(name=name, kind="grid_worker", region_code="410823001001", phone=f"1391234567{i}"),
        )
        if i == 0:
            visitor.user = user
            visitor.save()

    # when seeded twice
    added = seed_notifications(county=tree.wuzhi)
    again = seed_notifications(county=tree.wuzhi)

    # then
    assert (added, again) == (10, 0)
    rows = {n.key.split(":")[2]: n for n in Notification.objects.all()}
    assert {k: (r.state, r.attempts, r.priority) for k, r in rows.items()} == {
        "sent": ("sent", 1, 0),
        "sent-urgent": ("sent", 1, 10),
        "sent-after-retry": ("sent", 2, 0),
        "pending": ("pending", 0, 0),
        "retrying": ("pending", 2, 0),
        "retrying-urgent": ("pending", 1, 10),
        "failed-refused": ("failed", 1, 0),
        "failed-given-up": ("failed", 8, 0),
        "quiet": ("pending", 0, 0),
    }
    assert rows["quiet"].next_attempt_at == dt.datetime(2027, 2, 1, 7, 0, tzinfo=LOCAL_TZ)
    assert InboxMessage.objects.filter(user=user).count() == 1
    assert Attempt.objects.filter(notification=rows["failed-given-up"]).count() == 8
    assert all(r.recipient.startswith("139*****") for r in rows.values())
    assert len(troubled_messages_visible_to(officer_county_north)) == 4
