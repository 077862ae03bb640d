"""What an incident's timeline says and who is told: the pieces the incident services and the sweeper share.

Notices are rows: an inbox message (notifications.tell_user) and an SMS in the outbox
(notifications.queue), both urgent and keyed per incident, step and person, in the caller's
transaction; an urgent SMS is sent as soon as that transaction commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from tanfang.accounts.models import User
from tanfang.accounts.secrets import phone_of as user_phone_of
from tanfang.alerts.models import CallAttempt, Incident, TimelineEntry
from tanfang.core.scope import Actor
from tanfang.core.time import LOCAL_TZ, now
from tanfang.notifications.services import queue, sending_channel, tell_user
from tanfang.visitors.contact import phone_of as visitor_phone_of
from tanfang.visitors.models import Visitor


def escalate_minutes() -> int:
    return max(1, int(getattr(settings, "TANFANG_INCIDENT_ESCALATE_MINUTES", 10)))


def label_of(actor: Actor | None) -> str:
    if actor is None:
        return _("系统")
    return str(getattr(actor, "display_name", "") or actor.username)


def user_id_of(actor: Actor | None) -> int | None:
    return actor.pk if actor is not None and getattr(actor, "pk", None) else None


def add_entry(
    incident: Incident,
    kind: str,
    text: str,
    *,
    actor: Actor | None = None,
    at: dt.datetime | None = None,
    call: CallAttempt | None = None,
    details: dict[str, object] | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident,
        at=at or now(),
        kind=kind,
        actor_id=user_id_of(actor),
        actor_label=label_of(actor),
        text=text,
        call=call,
        details=details or {},
    )


def local_time(moment: dt.datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M")


def message_for(incident: Incident, lead: str) -> str:
    elder = incident.elder
    return _("【探访关爱】%(lead)s：%(village)s %(name)s（%(kind)s），%(who)s %(time)s 报告，请立即处理。") % {
        "lead": lead,
        "village": elder.region.name,
        "name": elder.name,
        "kind": incident.get_kind_display(),
        "who": incident.opened_by_label,
        "time": local_time(incident.opened_at),
    }


@dataclass(frozen=True)
class Told:
    """Who a notice reached: names, and how many inbox messages and SMS were queued."""

    names: list[str]
    inbox: int
    sms: int


def tell_users(incident: Incident, users: list[User], *, key: str, body: str) -> Told:
    link = reverse("alerts:detail", args=[incident.pk])
    inbox = sms = 0
    for user in users:
        inbox += tell_user(key=f"{key}:u{user.pk}", user_id=user.pk, body=body, link=link, urgent=True)
        number = user_phone_of(user)
        if number:
            sms += queue(
                key=f"{key}:u{user.pk}",
                recipient=number,
                label=label_of(user),
                region_path=incident.region_path,
                body=body,
                via=sending_channel(),
                urgent=True,
            )
    return Told([label_of(u) for u in users], inbox, sms)


def tell_visitors(incident: Incident, visitors: list[Visitor], *, key: str, body: str) -> Told:
    link = reverse("alerts:detail", args=[incident.pk])
    inbox = sms = 0
    for visitor in visitors:
        if visitor.user_id:
            inbox += tell_user(key=f"{key}:v{visitor.pk}", user_id=visitor.user_id, body=body, link=link, urgent=True)
        number = visitor_phone_of(visitor)
        if number:
            sms += queue(
                key=f"{key}:v{visitor.pk}",
                recipient=number,
                label=visitor.name,
                region_path=incident.region_path,
                body=body,
                via=sending_channel(),
                urgent=True,
            )
    return Told([v.name for v in visitors], inbox, sms)
