"""The demo's emergencies: two closed with their calls and timelines, one open and escalating on time."""

from __future__ import annotations

import datetime as dt

from tanfang.alerts.models import Incident
from tanfang.devtools.demo import DEMO_COUNTY, seed_demo
from tanfang.devtools.demo_incidents import seed_incidents
from tanfang.regions.models import Region


def test_the_demo_gets_two_closed_incidents_and_one_open_and_running_again_adds_none(db):
    # the demo seeds its incidents
    seed_demo(elders=60)
    county = Region.objects.get(code=DEMO_COUNTY)
    assert Incident.objects.filter(region_path__startswith=county.path).count() == 3

    # and seeding them again adds none
    assert seed_incidents(county=county) == 0
    closed = list(Incident.objects.filter(state="closed").order_by("opened_at"))
    assert [i.kind for i in closed] == ["missing", "fall"]
    for incident in closed:
        kinds = [e.kind for e in incident.timeline.order_by("at", "pk")]
        assert kinds[0] == "opened" and kinds[-1] == "closed" and "call" in kinds and "note" in kinds
        last = incident.timeline.order_by("at", "pk").last()
        assert last is not None and incident.closed_at == last.at
        assert incident.opened_at < incident.closed_at and incident.disposition and incident.account
    opened = Incident.objects.get(state="open")
    assert opened.next_escalation_at == opened.opened_at + dt.timedelta(minutes=10)
    assert [e.kind for e in opened.timeline.all()][:2] == ["opened", "call"]
