"""The escalation sweeper: acts on the stored deadlines of open incidents, one rung at a time.

Run every 30 seconds by `escalate_incidents_task` (config/schedule.py); never sleeps. Each climb is
claimed by a conditional UPDATE on (state, step, deadline) — behind `SELECT … FOR UPDATE SKIP LOCKED`
on PostgreSQL — so two sweepers at once climb each rung once, and the notices, the timeline line and
the audit event commit with the claim.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.alerts import ladder
from tanfang.alerts.models import Incident, TimelineEntry
from tanfang.alerts.notices import Told, add_entry, escalate_minutes, message_for, tell_users
from tanfang.alerts.selectors import on_duty, township_path_of, users_of_region
from tanfang.audit.actions import Action
from tanfang.audit.services import diff, record_event
from tanfang.core.roles import Role
from tanfang.core.time import now
from tanfang.regions.models import Region


def escalate_due(moment: dt.datetime | None = None, limit: int = 500) -> int:
    """Climb one rung for every open incident whose deadline has come; return how many climbed.

    Safe to run in several processes at once: each climb is claimed by a conditional UPDATE.
    """
    moment = moment or now()
    due = list(
        Incident.objects.filter(state=Incident.State.OPEN, next_escalation_at__lte=moment)
        .order_by("next_escalation_at", "pk")
        .values_list("pk", "escalation_step")[:limit]
    )
    return sum(escalate(incident_id=pk, step=step, moment=moment) for pk, step in due)


def escalate(*, incident_id: int, step: int, moment: dt.datetime) -> bool:
    """Climb the rung after `step` if the incident is still open, at that step, and due; else nothing.

    The claim is a conditional UPDATE on (state, step, deadline), so only one of two sweepers that
    saw the same row climbs it; the notices and the timeline line commit with the claim.
    """
    rung = ladder.rung_after(step)
    if rung is None:
        return False
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(skip_locked=True)
            .select_related("elder", "elder__region")
            .filter(pk=incident_id, state=Incident.State.OPEN, escalation_step=step, next_escalation_at__lte=moment)
            .first()
        )
        if incident is None:
            return False
        following = ladder.deadline(incident.opened_at, step + 1, escalate_minutes())
        claimed = Incident.objects.filter(
            pk=incident.pk, state=Incident.State.OPEN, escalation_step=step, next_escalation_at__lte=moment
        ).update(escalation_step=step + 1, next_escalation_at=following)
        if not claimed:
            return False
        incident.escalation_step, incident.next_escalation_at = step + 1, following
        if rung == ladder.Rung.VILLAGE:
            told, text = _climb_to_village(incident, moment)
            if not told.names:  # nobody to tell in the village: the next rung is due now, not later
                Incident.objects.filter(pk=incident.pk).update(next_escalation_at=moment)
        else:
            told, text = _climb_to_township(incident, moment)
        record_event(
            actor=None,
            action=Action.INCIDENT_ESCALATED,
            subject=incident,
            changes=diff({"escalation_step": step}, {"escalation_step": step + 1}),
            details={"rung": rung.name.lower(), "told": told.names, "inbox": told.inbox, "sms": told.sms},
        )
        add_entry(
            incident,
            TimelineEntry.Kind.ESCALATED,
            text,
            at=moment,
            details={"rung": rung.name.lower(), "inbox": told.inbox, "sms": told.sms},
        )
    return True


def _minutes_open(incident: Incident, moment: dt.datetime) -> int:
    return int((moment - incident.opened_at).total_seconds() // 60)


def _climb_to_village(incident: Incident, moment: dt.datetime) -> tuple[Told, str]:
    workers = users_of_region(incident.region, Role.VILLAGE_WORKER)
    minutes = _minutes_open(incident, moment)
    if not workers:
        return Told([], 0, 0), _(
            "已 %(m)d 分钟未结案；%(village)s 没有村（社区）工作人员账号，转由乡镇（街道）处理"
        ) % {
            "m": minutes,
            "village": incident.region.name,
        }
    told = tell_users(
        incident,
        workers,
        key=f"incident:{incident.pk}:village",
        body=message_for(incident, _("紧急事件 %(m)d 分钟未结案") % {"m": minutes}),
    )
    return told, _("已 %(m)d 分钟未结案，升级通知村（社区）工作人员：%(names)s") % {
        "m": minutes,
        "names": "、".join(told.names),
    }


def _climb_to_township(incident: Incident, moment: dt.datetime) -> tuple[Told, str]:
    minutes = _minutes_open(incident, moment)
    township = Region.objects.filter(path=township_path_of(incident.region_path)).first()
    if township is None:
        return Told([], 0, 0), _("已 %(m)d 分钟未结案；找不到所属乡镇（街道），无人可通知") % {"m": minutes}
    body = message_for(incident, _("紧急事件 %(m)d 分钟未结案") % {"m": minutes})
    duty = on_duty(township, moment)
    if duty:
        told = tell_users(incident, duty, key=f"incident:{incident.pk}:duty", body=body)
        return told, _("已 %(m)d 分钟未结案，升级通知%(township)s值班人员：%(names)s") % {
            "m": minutes,
            "township": township.name,
            "names": "、".join(told.names),
        }
    officers = users_of_region(township, Role.TOWNSHIP_OFFICER)
    if not officers:
        return Told([], 0, 0), _(
            "已 %(m)d 分钟未结案；%(township)s当前无人值班，也没有乡镇（街道）干部账号，无人可通知"
        ) % {
            "m": minutes,
            "township": township.name,
        }
    told = tell_users(incident, officers, key=f"incident:{incident.pk}:duty", body=body)
    return told, _("已 %(m)d 分钟未结案；%(township)s当前无人值班，已改为通知乡镇（街道）干部：%(names)s") % {
        "m": minutes,
        "township": township.name,
        "names": "、".join(told.names),
    }
