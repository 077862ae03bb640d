"""Every write to follow-ups: opened by a visit's findings or by hand, assigned, accepted, done or closed,
reminded and escalated by the sweeper. Each step is a timeline event and an audit event.

The states: open → assigned → accepted → done, or closed with an outcome from any live state. An
officer (MANAGE_FOLLOW_UPS) opens, assigns, reassigns and closes; the owner (the user, or a staff
member of the owning provider) accepts and finishes. A transition not allowed from the current state
is refused with a Chinese error and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from tanfang.accounts.models import User
from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.audit.services import new_event, record_event, record_events
from tanfang.care.models import (
    LIVE_STATES,
    DeadlinePolicy,
    Finding,
    FollowUp,
    FollowUpEvent,
    FollowUpKind,
    FollowUpState,
    Outcome,
    Provider,
    ServiceKind,
)
from tanfang.care.rules import Opening
from tanfang.care.selectors import deadline_days, get_follow_up_for, is_owner
from tanfang.core.errors import FieldError, PermissionDenied, ValidationFailed
from tanfang.core.roles import Permission, RegionLevel, Role, has_permission
from tanfang.core.scope import Actor
from tanfang.core.time import local_date, local_day_start, now
from tanfang.elders.due_queue import queue_due_refresh
from tanfang.elders.models import Elder
from tanfang.elders.selectors import get_elder_for
from tanfang.notifications.services import tell_user
from tanfang.regions.models import Region
from tanfang.regions.paths import code_at, path_prefixes
from tanfang.regions.scoping import get_region_for, require_permission
from tanfang.visits.models import Visit

REMIND_BEFORE = dt.timedelta(days=1)
STATE_NAMES = dict(FollowUpState.choices)


def deadline_of(opened: dt.datetime, days: int) -> dt.datetime:
    """The end of the `days`-th local day after the day it was opened (Asia/Shanghai)."""
    return local_day_start(local_date(opened) + dt.timedelta(days=days + 1)) - dt.timedelta(microseconds=1)


def _timers(opened: dt.datetime, deadline: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When to remind the owner (a day before, not before it opened) and when to escalate (at the deadline)."""
    return max(opened, deadline - REMIND_BEFORE), deadline


def _refused(state: str, what: str) -> ValidationFailed:
    return ValidationFailed(
        errors=[
            FieldError(
                "state",
                _("这条跟进事项当前为“%(state)s”，不能%(what)s")
                % {"state": STATE_NAMES.get(state, state), "what": what},
            )
        ]
    )


def _event(follow_up: FollowUp, kind: str, actor: Actor | None, at: dt.datetime, note: str = "") -> FollowUpEvent:
    return FollowUpEvent(follow_up=follow_up, kind=kind, actor_id=getattr(actor, "pk", None), at=at, note=note[:300])


# --- opened by a visit ------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitFindings:
    """What one stored visit calls for: the follow-ups its answers open, and the hazard keys it found gone."""

    visit: Visit
    elder: Elder
    openings: Sequence[Opening]
    cleared: Sequence[str] = ()


def open_follow_ups(
    *, actor: Actor | None, found: Sequence[VisitFindings], audit_into: list[AuditEvent] | None = None
) -> list[FollowUp]:
    """Open the follow-ups these newly stored visits' findings call for, inside the caller's transaction.

    Once per (visit, rule key), held by a unique constraint. A finding whose follow-up is still live for
    the elder attaches to it (a `Finding`; a hazard found again moves its re-check) instead of opening
    another. A home visit that finds a hazard gone finishes its follow-up. The caller queues the elders'
    due refresh (`submit_records` does, for every visit it stores). The audit events go into
    `audit_into` when given (the caller stores them with its own, in one statement), else are stored
    here. Returns the new follow-ups.
    """
    found = [f for f in found if f.openings or f.cleared]
    if not found:
        return []
    at = now()
    elder_ids = {f.elder.pk for f in found}
    keys = {o.key for f in found for o in f.openings} | {k for f in found for k in f.cleared}
    live: dict[tuple[int, str], FollowUp] = {
        (fu.elder_id, fu.rule): fu
        for fu in FollowUp.objects.select_for_update().filter(
            elder_id__in=elder_ids, rule__in=keys, state__in=LIVE_STATES
        )
    }
    days: dict[str, dict[str, int]] | None = None
    created: list[FollowUp] = []
    refound: list[tuple[FollowUp, Visit]] = []
    cleared: list[tuple[FollowUp, Visit]] = []
    new_findings: list[tuple[FollowUp, Visit]] = []
    for item in found:
        day = item.visit.day
        for opening in item.openings:
            existing = live.get((item.elder.pk, opening.key))
            if existing is not None:
                if opening.recheck_days:  # a hazard still there: its re-check counts from this visit
                    existing.last_found_on = max(existing.last_found_on or day, day)
                    existing.recheck_by = existing.last_found_on + dt.timedelta(days=opening.recheck_days)
                    refound.append((existing, item.visit))
                new_findings.append((existing, item.visit))
                continue
            if days is None:  # looked up only when something is opened
                days = deadline_days({f.elder.region_path for f in found})
            deadline = deadline_of(at, days[item.elder.region_path][opening.kind])
            remind_at, escalate_at = _timers(at, deadline)
            follow_up = FollowUp(
                elder=item.elder,
                region_id=item.elder.region_id,
                region_path=item.elder.region_path,
                kind=opening.kind,
                service_kind=opening.service_kind,
                title=opening.title[:120],
                detail=opening.detail,
                rule=opening.key,
                visit=item.visit,
                opened_at=at,
                opened_by=None,
                deadline=deadline,
                remind_at=remind_at,
                escalate_at=escalate_at,
                last_found_on=day,
                recheck_by=day + dt.timedelta(days=opening.recheck_days) if opening.recheck_days else None,
            )
            live[(item.elder.pk, opening.key)] = follow_up
            created.append(follow_up)
        if item.visit.method == "home":
            for key in item.cleared:
                existing = live.get((item.elder.pk, key))
                if existing is not None and existing.pk is not None and existing.recheck_by is not None:
                    cleared.append((existing, item.visit))
    FollowUp.objects.bulk_create(created)
    if new_findings:
        Finding.objects.bulk_create(
            [Finding(follow_up=fu, visit=visit, rule=fu.rule, found_on=visit.day) for fu, visit in new_findings]
        )
    events: list[FollowUpEvent] = []  # the opening itself is the follow-up's own row (selectors.timeline)
    audits: list[AuditEvent] = [
        new_event(
            actor=actor,
            action=Action.FOLLOW_UP_OPENED,
            subject=fu,
            details={"kind": fu.kind, "rule": fu.rule, "visit": fu.visit_id, "elder": fu.elder_id},
        )
        for fu in created
    ]
    if refound:  # seen again is the Finding itself in the timeline; a hazard also moves its re-check
        FollowUp.objects.bulk_update({fu.pk: fu for fu, _visit in refound}.values(), ["last_found_on", "recheck_by"])
    for fu, visit in cleared:
        fu.state, fu.done_at, fu.recheck_by = FollowUpState.DONE, at, None
        fu.save(update_fields=["state", "done_at", "recheck_by"])
        note = _("%(day)s 上门复查，隐患已消除") % {"day": visit.day}
        events.append(_event(fu, FollowUpEvent.Kind.DONE, actor, at, note))
        audits.append(
            new_event(
                actor=actor, action=Action.FOLLOW_UP_DONE, subject=fu, details={"visit": visit.pk, "recheck": True}
            )
        )
    if events:
        FollowUpEvent.objects.bulk_create(events)
    if audit_into is not None:
        audit_into.extend(audits)
    else:
        record_events(audits)
    return created


def cancel_for_rejected_visit(*, actor: Actor, visit: Visit, reason: str) -> int:
    """A visit rejected on review takes back the follow-ups it opened that are still live, with the reason."""
    at = now()
    rows = list(FollowUp.objects.select_for_update().filter(visit=visit, state__in=LIVE_STATES))
    for fu in rows:
        fu.state, fu.closed_at, fu.outcome = FollowUpState.CLOSED, at, Outcome.CANCELLED
        fu.outcome_note = reason[:300]
        fu.recheck_by = None
        fu.save(update_fields=["state", "closed_at", "outcome", "outcome_note", "recheck_by"])
    FollowUpEvent.objects.bulk_create(
        [_event(fu, FollowUpEvent.Kind.CLOSED, actor, at, _("探访未获认可：%(r)s") % {"r": reason}) for fu in rows]
    )
    record_events(
        [
            new_event(
                actor=actor,
                action=Action.FOLLOW_UP_CLOSED,
                subject=fu,
                details={"outcome": Outcome.CANCELLED, "visit": visit.pk, "reason": reason},
            )
            for fu in rows
        ]
    )
    queue_due_refresh(elder_ids={fu.elder_id for fu in rows})
    return len(rows)


# --- by hand -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpInput:
    kind: str
    title: str
    detail: str = ""
    service_kind: str = ""


def open_follow_up(*, actor: Actor, elder_id: int, data: FollowUpInput) -> FollowUp:
    """An officer opens a follow-up by hand for an elder in its scope."""
    require_permission(actor, Permission.MANAGE_FOLLOW_UPS)
    elder = get_elder_for(actor, elder_id)
    errors = []
    if data.kind not in FollowUpKind.values:
        errors.append(FieldError("kind", _("请选择跟进类别")))
    if not data.title.strip():
        errors.append(FieldError("title", _("请填写跟进事项")))
    elif len(data.title.strip()) > 120:
        errors.append(FieldError("title", _("跟进事项不能超过120个字")))
    if data.service_kind and data.service_kind not in ServiceKind.values:
        errors.append(FieldError("service_kind", _("服务类别无效")))
    if data.kind == FollowUpKind.PROVIDER and not data.service_kind:
        errors.append(FieldError("service_kind", _("转介服务机构时请选择服务类别")))
    if len(data.detail) > 2000:
        errors.append(FieldError("detail", _("说明不能超过2000个字")))
    if errors:
        raise ValidationFailed(errors=errors)
    at = now()
    deadline = deadline_of(at, deadline_days([elder.region_path])[elder.region_path][data.kind])
    remind_at, escalate_at = _timers(at, deadline)
    with transaction.atomic():
        fu = FollowUp.objects.create(
            elder=elder,
            region_id=elder.region_id,
            region_path=elder.region_path,
            kind=data.kind,
            service_kind=data.service_kind if data.kind == FollowUpKind.PROVIDER else "",
            title=data.title.strip(),
            detail=data.detail.strip(),
            rule="",
            opened_at=at,
            opened_by_id=actor.pk,
            deadline=deadline,
            remind_at=remind_at,
            escalate_at=escalate_at,
        )
        queue_due_refresh(elder_ids=[elder.pk])  # the month's figures count follow-ups opened
        record_event(
            actor=actor, action=Action.FOLLOW_UP_OPENED, subject=fu, details={"kind": fu.kind, "by_hand": True}
        )
    return fu


# --- the lifecycle ----------------------------------------------------------------------------


def _locked(actor: Actor, follow_up_id: int) -> FollowUp:
    visible = get_follow_up_for(actor, follow_up_id)  # NotFound outside the actor's sight
    return FollowUp.objects.select_for_update(of=("self",)).select_related("elder", "owner_provider").get(pk=visible.pk)


def _link(follow_up: FollowUp) -> str:
    return reverse("care:detail", args=[follow_up.pk])


def _tell_owner(follow_up: FollowUp, key: str, body: str) -> None:
    """The owner's inbox: the user, or the provider's staff accounts."""
    if follow_up.owner_user_id:
        user_ids = [follow_up.owner_user_id]
    elif follow_up.owner_provider is not None:
        user_ids = list(follow_up.owner_provider.staff.values_list("pk", flat=True))
    else:
        user_ids = []
    for user_id in user_ids:
        tell_user(key=f"{key}:{user_id}", user_id=user_id, body=body, link=_link(follow_up))


def assign_follow_up(
    *, actor: Actor, follow_up_id: int, user_id: int | None = None, provider_id: int | None = None, contact: str = ""
) -> FollowUp:
    """Give a live follow-up to a user in the elder's area who can work on it, or to a provider serving it."""
    require_permission(actor, Permission.MANAGE_FOLLOW_UPS)
    with transaction.atomic():
        fu = _locked(actor, follow_up_id)
        if fu.state not in LIVE_STATES:
            raise _refused(fu.state, _("分派"))
        if (user_id is None) == (provider_id is None):
            raise ValidationFailed(errors=[FieldError("owner", _("请选择一位负责人或一家服务机构"))])
        owner_user = owner_provider = None
        if user_id is not None:
            owner_user = assignable_users(fu).filter(pk=user_id).first()
            if owner_user is None:
                raise ValidationFailed(errors=[FieldError("owner", _("这位用户不能负责这位老人的跟进事项"))])
        elif provider_id is not None:
            owner_provider = assignable_providers(fu).filter(pk=provider_id).first()
            if owner_provider is None:
                raise ValidationFailed(
                    errors=[FieldError("owner", _("这家服务机构不在这位老人所在区域服务，或已停用"))]
                )
        at = now()
        fu.owner_user, fu.owner_provider = owner_user, owner_provider
        fu.owner_contact = (contact.strip() or (owner_provider.contact_name if owner_provider else ""))[:50]
        fu.state = FollowUpState.ASSIGNED
        fu.save(update_fields=["owner_user", "owner_provider", "owner_contact", "state"])
        name = owner_user.display_name or owner_user.username if owner_user else str(owner_provider)
        FollowUpEvent.objects.create(
            follow_up=fu, kind=FollowUpEvent.Kind.ASSIGNED, actor_id=actor.pk, at=at, note=name
        )
        record_event(
            actor=actor,
            action=Action.FOLLOW_UP_ASSIGNED,
            subject=fu,
            details={"user": user_id, "provider": provider_id},
        )
        _tell_owner(
            fu,
            f"follow-up:{fu.pk}:assigned:{at.timestamp():.0f}",
            _("【跟进事项】%(name)s：%(title)s，已分派给您，请于%(deadline)s前办理。")
            % {"name": fu.elder.name, "title": fu.title, "deadline": f"{local_date(fu.deadline):%Y-%m-%d}"},
        )
    return fu


def assignable_users(follow_up: FollowUp) -> QuerySet[User]:
    """Users who may own this follow-up: active, with WORK_FOLLOW_UPS, assigned to a region containing
    the elder's village (visitors: paired with the elder)."""
    roles = [r for r in Role if has_permission(r, Permission.WORK_FOLLOW_UPS)]
    prefixes = path_prefixes(follow_up.region_path)
    officers = Q(role__in=[r for r in roles if r != Role.VISITOR], region_assignments__region__path__in=prefixes)
    visitors = Q(
        role=Role.VISITOR, visitor__pairings__elder_id=follow_up.elder_id, visitor__pairings__ended_on__isnull=True
    )
    return User.objects.filter(officers | visitors, is_active=True).distinct()


def assignable_providers(follow_up: FollowUp) -> QuerySet[Provider]:
    return Provider.objects.filter(active=True, region_path__in=path_prefixes(follow_up.region_path)).order_by("name")


def accept_follow_up(*, actor: Actor, follow_up_id: int) -> FollowUp:
    require_permission(actor, Permission.WORK_FOLLOW_UPS)
    with transaction.atomic():
        fu = _locked(actor, follow_up_id)
        if fu.state != FollowUpState.ASSIGNED:
            raise _refused(fu.state, _("接收"))
        if not is_owner(actor, fu):
            raise PermissionDenied(_("只有负责人才能接收这条跟进事项"))
        at = now()
        fu.state = FollowUpState.ACCEPTED
        fu.save(update_fields=["state"])
        FollowUpEvent.objects.create(follow_up=fu, kind=FollowUpEvent.Kind.ACCEPTED, actor_id=actor.pk, at=at)
        record_event(actor=actor, action=Action.FOLLOW_UP_ACCEPTED, subject=fu)
    return fu


def complete_follow_up(*, actor: Actor, follow_up_id: int, note: str, care_service_id: int | None = None) -> FollowUp:
    """The owner (or an officer who manages follow-ups) finishes an accepted follow-up, saying what was done.

    `care_service_id`: the care service that finished it (recorded by `care.care_services`)."""
    with transaction.atomic():
        fu = _locked(actor, follow_up_id)
        if not (is_owner(actor, fu) or has_permission(actor.role, Permission.MANAGE_FOLLOW_UPS)):
            raise PermissionDenied(_("只有负责人或管理人员才能办结这条跟进事项"))
        if fu.state not in (FollowUpState.ACCEPTED, FollowUpState.ASSIGNED):
            raise _refused(fu.state, _("办结"))
        if not note.strip():
            raise ValidationFailed(errors=[FieldError("note", _("请说明办理情况"))])
        at = now()
        fu.state, fu.done_at, fu.outcome, fu.outcome_note = FollowUpState.DONE, at, Outcome.RESOLVED, note.strip()[:300]
        fu.recheck_by = None
        fu.save(update_fields=["state", "done_at", "outcome", "outcome_note", "recheck_by"])
        kind = FollowUpEvent.Kind.SERVED if care_service_id else FollowUpEvent.Kind.DONE
        FollowUpEvent.objects.create(follow_up=fu, kind=kind, actor_id=actor.pk, at=at, note=note.strip()[:300])
        record_event(actor=actor, action=Action.FOLLOW_UP_DONE, subject=fu, details={"care_service": care_service_id})
        queue_due_refresh(elder_ids=[fu.elder_id])
    return fu


def close_follow_up(*, actor: Actor, follow_up_id: int, outcome: str, note: str = "") -> FollowUp:
    """An officer closes a live follow-up with an outcome (resolved elsewhere, not needed, declined, ...)."""
    require_permission(actor, Permission.MANAGE_FOLLOW_UPS)
    with transaction.atomic():
        fu = _locked(actor, follow_up_id)
        if fu.state not in LIVE_STATES:
            raise _refused(fu.state, _("关闭"))
        if outcome not in Outcome.values or outcome == Outcome.CANCELLED:
            raise ValidationFailed(errors=[FieldError("outcome", _("请选择关闭结果"))])
        if outcome == Outcome.OTHER and not note.strip():
            raise ValidationFailed(errors=[FieldError("note", _("选择“其他”时请说明原因"))])
        at = now()
        fu.state, fu.closed_at, fu.outcome, fu.outcome_note = FollowUpState.CLOSED, at, outcome, note.strip()[:300]
        fu.recheck_by = None
        fu.save(update_fields=["state", "closed_at", "outcome", "outcome_note", "recheck_by"])
        FollowUpEvent.objects.create(
            follow_up=fu,
            kind=FollowUpEvent.Kind.CLOSED,
            actor_id=actor.pk,
            at=at,
            note=f"{Outcome(outcome).label} {note}".strip(),
        )
        record_event(actor=actor, action=Action.FOLLOW_UP_CLOSED, subject=fu, details={"outcome": outcome})
        queue_due_refresh(elder_ids=[fu.elder_id])
    return fu


def chase_follow_up(*, actor: Actor, follow_up_id: int) -> FollowUp:
    """催办: remind the owner (or, when nobody owns it, the township) once a day; audited."""
    require_permission(actor, Permission.CHASE)
    with transaction.atomic():
        fu = _locked(actor, follow_up_id)
        if fu.state not in LIVE_STATES:
            raise _refused(fu.state, _("催办"))
        at = now()
        body = _("【催办】%(name)s：%(title)s，请抓紧办理（时限%(deadline)s）。——%(actor)s") % {
            "name": fu.elder.name,
            "title": fu.title,
            "deadline": f"{local_date(fu.deadline):%Y-%m-%d}",
            "actor": getattr(actor, "display_name", "") or actor.username,
        }
        key = f"follow-up:{fu.pk}:chase:{local_date(at).isoformat()}"
        if fu.owner_user_id or fu.owner_provider_id:
            _tell_owner(fu, key, body)
        else:
            for user_id in township_officers(fu):
                tell_user(key=f"{key}:{user_id}", user_id=user_id, body=body, link=_link(fu))
        FollowUpEvent.objects.create(follow_up=fu, kind=FollowUpEvent.Kind.CHASED, actor_id=actor.pk, at=at)
        record_event(actor=actor, action=Action.FOLLOW_UP_CHASED, subject=fu)
    return fu


def township_officers(follow_up: FollowUp) -> list[int]:
    township = code_at(follow_up.region_path, RegionLevel.TOWNSHIP)
    return list(
        User.objects.filter(
            role=Role.TOWNSHIP_OFFICER, is_active=True, region_assignments__region__code=township
        ).values_list("pk", flat=True)
    )


# --- the sweeper --------------------------------------------------------------------------------

SWEEP_BATCH = 500


def sweep_follow_ups(moment: dt.datetime | None = None) -> tuple[int, int]:
    """Remind owners of follow-ups whose reminder time has come, and tell the township of those past
    their deadline: each once, acting on the stored times. Safe to run in several processes at once
    (rows are claimed with SKIP LOCKED where the database has it). Returns (reminded, escalated)."""
    moment = moment or now()
    reminded = escalated = 0
    with transaction.atomic():
        due = list(
            FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("elder", "owner_provider")
            .filter(state__in=LIVE_STATES, reminded_at__isnull=True, remind_at__lte=moment)
            .order_by("remind_at")[:SWEEP_BATCH]
        )
        for fu in due:
            fu.reminded_at = moment
            fu.save(update_fields=["reminded_at"])
            body = _("【跟进提醒】%(name)s：%(title)s，将于%(deadline)s到期，请及时办理。") % {
                "name": fu.elder.name,
                "title": fu.title,
                "deadline": f"{local_date(fu.deadline):%Y-%m-%d}",
            }
            if fu.owner_user_id or fu.owner_provider_id:
                _tell_owner(fu, f"follow-up:{fu.pk}:remind", body)
            else:
                for user_id in township_officers(fu):
                    tell_user(key=f"follow-up:{fu.pk}:remind:{user_id}", user_id=user_id, body=body, link=_link(fu))
            FollowUpEvent.objects.create(follow_up=fu, kind=FollowUpEvent.Kind.REMINDED, at=moment)
            record_event(actor=None, action=Action.FOLLOW_UP_REMINDED, subject=fu)
        reminded = len(due)
    with transaction.atomic():
        late = list(
            FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("elder")
            .filter(state__in=LIVE_STATES, escalated_at__isnull=True, escalate_at__lte=moment)
            .order_by("escalate_at")[:SWEEP_BATCH]
        )
        for fu in late:
            fu.escalated_at = moment
            fu.save(update_fields=["escalated_at"])
            officers = township_officers(fu)
            body = _("【跟进逾期】%(name)s（%(village)s）：%(title)s，已超过办理时限%(deadline)s，请督办。") % {
                "name": fu.elder.name,
                "village": fu.elder.region.name,
                "title": fu.title,
                "deadline": f"{local_date(fu.deadline):%Y-%m-%d}",
            }
            for user_id in officers:
                tell_user(key=f"follow-up:{fu.pk}:escalate:{user_id}", user_id=user_id, body=body, link=_link(fu))
            note = _("已通知乡镇干部%(n)s人") % {"n": len(officers)} if officers else _("乡镇没有在岗干部可通知")
            FollowUpEvent.objects.create(follow_up=fu, kind=FollowUpEvent.Kind.ESCALATED, at=moment, note=note)
            record_event(actor=None, action=Action.FOLLOW_UP_ESCALATED, subject=fu, details={"told": officers})
        escalated = len(late)
    return reminded, escalated


# --- deadlines by region ------------------------------------------------------------------------

MAX_DEADLINE_DAYS = 365


def set_deadline_policy(*, actor: Actor, region_code: str, days: dict[str, int | None]) -> Region:
    """Set how many days each kind of follow-up has in a region and below it; None hands a kind back to
    the region above. Applies to follow-ups opened from now on. Audited with the old and new values."""
    require_permission(actor, Permission.MANAGE_FOLLOW_UPS)
    region = get_region_for(actor, region_code)
    errors = [
        FieldError(kind, _("办理时限应为1到%(n)s天") % {"n": MAX_DEADLINE_DAYS})
        for kind, value in days.items()
        if value is not None and not 1 <= value <= MAX_DEADLINE_DAYS
    ]
    errors += [FieldError(kind, _("跟进类别无效")) for kind in days if kind not in FollowUpKind.values]
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        before = dict(DeadlinePolicy.objects.filter(region=region).values_list("kind", "days"))
        changes: dict[str, dict[str, int | None]] = {}
        for kind, value in days.items():
            if before.get(kind) == value:
                continue
            changes[kind] = {"old": before.get(kind), "new": value}
            if value is None:
                DeadlinePolicy.objects.filter(region=region, kind=kind).delete()
            else:
                DeadlinePolicy.objects.update_or_create(
                    region=region, kind=kind, defaults={"days": value, "region_path": region.path}
                )
        if changes:
            record_event(actor=actor, action=Action.DEADLINE_POLICY_CHANGED, subject=region, changes=changes)
    return region
