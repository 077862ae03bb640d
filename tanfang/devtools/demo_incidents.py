"""Demo emergencies: two closed incidents with their calls and timelines, and one still open.

Written through the services a visitor and a township officer use (open, log calls, note, close),
then dated back, so that the archive reads like days of real work. The open one was reported a few
minutes ago: with the worker running, the sweeper escalates it to the village worker when its
deadline comes. Safe to run again: a county that has incidents gets none more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from tanfang.accounts.models import User
from tanfang.alerts.ladder import deadline
from tanfang.alerts.models import CallAttempt, Incident, TimelineEntry
from tanfang.alerts.notices import escalate_minutes
from tanfang.alerts.services import CallInput, add_note, close_incident, log_call, open_incident
from tanfang.core.time import now
from tanfang.elders.models import Elder
from tanfang.regions.models import Region
from tanfang.visitors.models import Pairing


def _calls(elder: Elder, first: str) -> list[CallInput]:
    """120 (or 110) first, then the contacts in order: the first one busy, the next one answering."""
    calls = [CallInput(target=first, outcome="answered", note="已派出，约15分钟到达")]
    contacts = list(elder.contacts.exclude(phone_masked="").order_by("position", "id")[:2])
    for index, contact in enumerate(contacts):
        outcome = "no_answer" if index == 0 and len(contacts) > 1 else "answered"
        calls.append(CallInput(target="contact", contact_id=contact.pk, outcome=outcome))
    if not contacts and elder.phone_masked:
        calls.append(CallInput(target="elder", outcome="no_answer"))
    return calls


def _date_back(incident: Incident, opened_at: dt.datetime, steps: Sequence[int]) -> None:
    """Move the incident to `opened_at`, its timeline lines and calls to the given minutes after it (a
    line beyond the steps a minute after the one before); a closed incident closes at its last line."""
    moment = opened_at
    for index, entry in enumerate(incident.timeline.order_by("at", "pk")):
        moment = (
            opened_at + dt.timedelta(minutes=steps[index]) if index < len(steps) else moment + dt.timedelta(minutes=1)
        )
        TimelineEntry.objects.filter(pk=entry.pk).update(at=moment)
        if entry.call_id:
            CallAttempt.objects.filter(pk=entry.call_id).update(at=moment)
    closed = Incident.objects.get(pk=incident.pk).closed_at is not None
    Incident.objects.filter(pk=incident.pk).update(opened_at=opened_at, closed_at=moment if closed else None)


@transaction.atomic
def seed_incidents(*, county: Region, visitor_username: str = "visitor", officer_username: str = "township") -> int:
    """Two closed incidents and one open one for elders of the demo visitor; return how many were made."""
    if Incident.objects.filter(region_path__startswith=county.path).exists():
        return 0
    visitor = User.objects.filter(username=visitor_username).first()
    officer = User.objects.filter(username=officer_username).first()
    if visitor is None or officer is None:
        return 0
    elder_ids = list(
        Pairing.objects.filter(visitor__user=visitor, ended_on__isnull=True, elder__merged_into__isnull=True)
        .order_by("elder_id")
        .values_list("elder_id", flat=True)
        .distinct()[:3]
    )
    if len(elder_ids) < 3:
        return 0
    moment = now()
    made = 0
    closed = [
        (
            elder_ids[0],
            "fall",
            "120",
            "hospital",
            "老人在厨房跌倒，左腿疼痛不能站立。120 送县人民医院，儿子已到医院陪护。",
            3,
        ),
        (
            elder_ids[1],
            "missing",
            "110",
            "found",
            "老人早饭后外出未归。派出所协助，在邻村集市找到，已送回家，嘱家属看护。",
            9,
        ),
    ]
    for elder_id, kind, service, disposition, account, days_ago in closed:
        incident, _created = open_incident(actor=visitor, elder_id=elder_id, kind=kind)
        for call in _calls(incident.elder, service):
            log_call(actor=visitor, incident=incident, data=call)
        add_note(actor=visitor, incident=incident, text="已到达现场，陪同老人等候。")
        close_incident(actor=officer, incident=incident, disposition=disposition, account=account)
        steps = [0, *[2 + 3 * i for i in range(len(incident.calls.all()))], 20, 55]
        _date_back(incident, moment - dt.timedelta(days=days_ago, hours=2), steps)
        made += 1
    incident, _created = open_incident(
        actor=visitor, elder_id=elder_ids[2], kind="medical", description="老人胸闷气短，说话费力。"
    )
    log_call(actor=visitor, incident=incident, data=CallInput(target="120", outcome="answered", note="120 已派车"))
    opened_at = moment - dt.timedelta(minutes=3)
    _date_back(incident, opened_at, [0, 1])
    # its first escalation is due as it would be: counted from the (dated back) opening
    Incident.objects.filter(pk=incident.pk).update(next_escalation_at=deadline(opened_at, 0, escalate_minutes()))
    return made + 1
