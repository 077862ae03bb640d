"""Writes for emergencies: open, call, note, close. Each is atomic and audited in the same transaction.

`open_incident` stores the incident and its first timeline line, sets the first escalation deadline
(alerts.ladder; the sweeper in alerts.escalation acts on it), and tells the elder's paired visitors
other than the reporter at once, at urgent priority. Every later step adds a timeline line, so the
closed incident keeps its whole history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tanfang.alerts import ladder
from tanfang.alerts.models import CallAttempt, Incident, TimelineEntry
from tanfang.alerts.notices import add_entry, escalate_minutes, label_of, message_for, tell_visitors, user_id_of
from tanfang.alerts.selectors import elder_for_incidents, may_call, may_close, may_report, open_incident_of
from tanfang.audit.actions import Action
from tanfang.audit.services import diff, record_event
from tanfang.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from tanfang.core.id_numbers import mask_phone
from tanfang.core.scope import Actor
from tanfang.core.time import now
from tanfang.elders.due_queue import queue_due_refresh
from tanfang.elders.models import EmergencyContact
from tanfang.elders.personal_data import CALL_REASON, reveal
from tanfang.visitors.models import Pairing
from tanfang.visitors.selectors import is_paired

EMERGENCY_NUMBERS = {
    CallAttempt.Target.AMBULANCE: "120",
    CallAttempt.Target.POLICE: "110",
    CallAttempt.Target.FIRE: "119",
}
_PHONE = re.compile(r"^(\+?86)?(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{3,8})$")


# --- opening -----------------------------------------------------------------------------------


def open_incident(*, actor: Actor, elder_id: int, kind: str, description: str = "") -> tuple[Incident, bool]:
    """Open an incident for an elder; return it and whether it is new.

    Allowed to a role that reports emergencies and sees the elder (its scope, or pairing). An elder
    with an incident still open gets that one back (a double tap opens nothing twice). The paired
    visitors other than the reporter are told at once, in their inbox and by SMS, at urgent priority.
    Raises NotFound for an elder out of sight, PermissionDenied for a role that may not report,
    ValidationFailed for an unknown kind.
    """
    elder = elder_for_incidents(actor, elder_id)
    if not may_report(actor, elder):
        raise PermissionDenied()
    if kind not in Incident.Kind.values:
        raise ValidationFailed(errors=[FieldError("kind", _("请选择紧急情况的类型"))])
    description = (description or "").strip()[:1000]
    existing = open_incident_of(elder)
    if existing is not None:
        return existing, False
    moment = now()
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                elder=elder,
                region=elder.region,
                region_path=elder.region_path,
                kind=kind,
                description=description,
                opened_at=moment,
                opened_by_id=user_id_of(actor),
                opened_by_label=label_of(actor),
                next_escalation_at=ladder.deadline(moment, 0, escalate_minutes()),
            )
            queue_due_refresh(elder_ids=[elder.pk])  # the month's figures count incidents
            add_entry(
                incident,
                TimelineEntry.Kind.OPENED,
                _("报告紧急情况：%(kind)s") % {"kind": incident.get_kind_display()}
                + (f"。{description}" if description else ""),
                actor=actor,
                at=moment,
            )
            record_event(
                actor=actor,
                action=Action.INCIDENT_OPENED,
                subject=incident,
                details={"elder": elder.pk, "kind": kind},
            )
            visitors = [
                p.visitor
                for p in Pairing.objects.filter(elder=elder, ended_on__isnull=True, visitor__active=True)
                .select_related("visitor")
                .order_by("role", "pk")
                if p.visitor.user_id is None or p.visitor.user_id != user_id_of(actor)
            ]
            if visitors:  # a line in the timeline only when someone was reached
                told = tell_visitors(
                    incident, visitors, key=f"incident:{incident.pk}:opened", body=message_for(incident, _("紧急事件"))
                )
                if told.inbox or told.sms:
                    add_entry(
                        incident,
                        TimelineEntry.Kind.NOTIFIED,
                        _("已通知结对探访人员：%(names)s") % {"names": "、".join(told.names)},
                        at=moment,
                        details={"inbox": told.inbox, "sms": told.sms},
                    )
    except IntegrityError:
        # Another tap opened one a moment ago (one open incident per elder): that one it is.
        existing = open_incident_of(elder)
        if existing is None:
            raise
        return existing, False
    return incident, True


# --- calls and notes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CallInput:
    target: str
    outcome: str
    contact_id: int | None = None
    number: str = ""  # for "other" only: the number dialled by hand
    note: str = ""


def _require_open_for_reporting(actor: Actor, incident: Incident) -> None:
    if not may_report(actor, incident.elder):
        raise PermissionDenied()
    if not incident.is_open:
        raise ValidationFailed(errors=[FieldError("incident", _("该紧急事件已结案，不能再记录"))])


def _callee(incident: Incident, data: CallInput) -> tuple[str, str, EmergencyContact | None]:
    """(who was called, the number masked, the contact) for a call input; ValidationFailed when wrong."""
    target = data.target
    if target in EMERGENCY_NUMBERS:
        return str(CallAttempt.Target(target).label), EMERGENCY_NUMBERS[CallAttempt.Target(target)], None
    if target == CallAttempt.Target.ELDER:
        return _("老人本人 %(name)s") % {"name": incident.elder.name}, incident.elder.phone_masked, None
    if target == CallAttempt.Target.CONTACT:
        contact = incident.elder.contacts.filter(pk=data.contact_id).first() if data.contact_id is not None else None
        if contact is None:
            raise ValidationFailed(errors=[FieldError("contact_id", _("请选择该老人的紧急联系人"))])
        relation = f"（{contact.relation}）" if contact.relation else ""
        return f"{contact.name}{relation}", contact.phone_masked, contact
    if target == CallAttempt.Target.OTHER:
        number = re.sub(r"[\s-]", "", data.number or "")
        if not _PHONE.match(number):
            raise ValidationFailed(errors=[FieldError("number", _("请填写拨打的电话号码"))])
        return _("其他号码"), mask_phone(number), None
    raise ValidationFailed(errors=[FieldError("target", _("请选择拨打的对象"))])


def log_call(*, actor: Actor, incident: Incident, data: CallInput) -> CallAttempt:
    """Record one call attempt on an open incident: who, when, the number (masked), the outcome, a note.

    PermissionDenied for a role that may not report emergencies; ValidationFailed on a closed incident,
    an unknown target or outcome, or a contact that is not the elder's. Nothing is stored on refusal.
    """
    _require_open_for_reporting(actor, incident)
    errors = []
    if data.outcome not in CallAttempt.Outcome.values:
        errors.append(FieldError("outcome", _("请选择通话结果：已接通、无人接听或号码错误")))
    if errors:
        raise ValidationFailed(errors=errors)
    callee, masked, contact = _callee(incident, data)
    note = (data.note or "").strip()[:500]
    moment = now()
    with transaction.atomic():
        if not Incident.objects.filter(pk=incident.pk, state=Incident.State.OPEN).exists():
            raise ValidationFailed(errors=[FieldError("incident", _("该紧急事件已结案，不能再记录"))])
        call = CallAttempt.objects.create(
            incident=incident,
            at=moment,
            caller_id=user_id_of(actor),
            caller_label=label_of(actor),
            target=data.target,
            contact=contact,
            callee_label=callee[:100],
            number_masked=masked,
            outcome=data.outcome,
            note=note,
        )
        text = _("拨打 %(callee)s %(number)s：%(outcome)s") % {
            "callee": callee,
            "number": masked,
            "outcome": call.get_outcome_display(),
        }
        add_entry(
            incident, TimelineEntry.Kind.CALL, text + (f"。{note}" if note else ""), actor=actor, at=moment, call=call
        )
        record_event(
            actor=actor,
            action=Action.INCIDENT_CALL_LOGGED,
            subject=incident,
            details={"target": data.target, "number": masked, "outcome": data.outcome},
        )
    return call


def add_note(*, actor: Actor, incident: Incident, text: str) -> TimelineEntry:
    """Add a note to an open incident's timeline (what was seen or done); audited."""
    _require_open_for_reporting(actor, incident)
    text = (text or "").strip()[:1000]
    if not text:
        raise ValidationFailed(errors=[FieldError("text", _("请填写记录内容"))])
    with transaction.atomic():
        entry = add_entry(incident, TimelineEntry.Kind.NOTE, text, actor=actor)
        record_event(actor=actor, action=Action.INCIDENT_NOTE_ADDED, subject=incident, details={"entry": entry.pk})
    return entry


def number_to_call(*, actor: Actor, incident: Incident, to: str, contact_id: int | None = None) -> str:
    """The full number of the elder (`to="elder"`) or one of its contacts, for a one-tap call; audited.

    Goes through the one reveal service with the reason 一键拨号: the paired visitor calls without a
    reason, a role that reveals numbers in its scope calls too; anyone else gets PermissionDenied.
    "" when no number is stored.
    """
    elder = incident.elder
    if not may_call(actor, elder):
        raise PermissionDenied(_("您的角色不能拨打老人或紧急联系人的电话"))
    if to == "contact":
        if contact_id is None or not elder.contacts.filter(pk=contact_id).exists():
            raise NotFound()
        field = "contact_phone"
    else:
        field = "phone"
    return reveal(
        actor=actor,
        elder=elder,
        field=field,
        reason=CALL_REASON,
        paired=is_paired(actor, elder.pk),
        contact_id=contact_id if field == "contact_phone" else None,
    )


# --- closing -----------------------------------------------------------------------------------


def close_incident(*, actor: Actor, incident: Incident, disposition: str, account: str) -> Incident:
    """Close an open incident with a disposition and an account of what was done; audited.

    Allowed to a role that handles incidents in its scope (PermissionDenied otherwise). ValidationFailed,
    with nothing changed, without a disposition among the choices or an account, or when already closed.
    """
    if not may_close(actor, incident):
        raise PermissionDenied()
    account = (account or "").strip()[:4000]
    errors = []
    if disposition not in Incident.Disposition.values:
        errors.append(FieldError("disposition", _("请选择处置结果")))
    if not account:
        errors.append(FieldError("account", _("请填写处置经过")))
    if not incident.is_open:
        errors.append(FieldError("incident", _("该紧急事件已结案")))
    if errors:
        raise ValidationFailed(errors=errors)
    moment = now()
    with transaction.atomic():
        changed = Incident.objects.filter(pk=incident.pk, state=Incident.State.OPEN).update(
            state=Incident.State.CLOSED,
            closed_at=moment,
            closed_by_id=user_id_of(actor),
            closed_by_label=label_of(actor),
            disposition=disposition,
            account=account,
            next_escalation_at=None,
        )
        if not changed:
            raise ValidationFailed(errors=[FieldError("incident", _("该紧急事件已结案"))])
        incident.refresh_from_db()
        add_entry(
            incident,
            TimelineEntry.Kind.CLOSED,
            _("结案：%(disposition)s。%(account)s")
            % {"disposition": incident.get_disposition_display(), "account": account},
            actor=actor,
            at=moment,
        )
        record_event(
            actor=actor,
            action=Action.INCIDENT_CLOSED,
            subject=incident,
            changes=diff({"state": Incident.State.OPEN}, {"state": Incident.State.CLOSED}),
            details={"disposition": disposition},
        )
    return incident
