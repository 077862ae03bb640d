"""Recording visits and attempts: validated, idempotent by the client's id, audited."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.errors import FieldError, NotFound, ValidationFailed
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import local_date, now
from tanfang.elders.models import Elder
from tanfang.visitors.models import Visitor
from tanfang.visits.models import Method, Outcome, Visit


@dataclass(frozen=True)
class VisitInput:
    method: str
    occurred_at: dt.datetime
    client_id: uuid.UUID
    outcome: str = Outcome.VISITED
    minutes: int | None = None
    note: str = ""


def record_visit(*, actor: Actor, elder: Elder, visitor: Visitor | None, data: VisitInput) -> tuple[Visit, bool]:
    """Store a visit or an attempt once. Returns (visit, created); a repeated client id returns the first."""
    existing = Visit.objects.filter(client_id=data.client_id).first()
    if existing is not None:
        if existing.elder_id != elder.pk:
            raise ValidationFailed(errors=[FieldError("client_id", _("该记录编号已用于其他老人"))])
        return existing, False
    if not scope_of(actor).contains(elder.region_path) and not (visitor and visitor.user_id == actor.pk):
        raise NotFound()
    errors = []
    if data.method not in Method.values:
        errors.append(FieldError("method", _("探访方式不是有效的选项")))
    if data.outcome not in Outcome.values:
        errors.append(FieldError("outcome", _("结果不是有效的选项")))
    if data.occurred_at.tzinfo is None:
        errors.append(FieldError("occurred_at", _("探访时间须带时区")))
    elif data.occurred_at > now() + dt.timedelta(minutes=5):
        errors.append(FieldError("occurred_at", _("探访时间不能晚于现在")))
    elif local_date(data.occurred_at) < elder.registered_on:
        errors.append(FieldError("occurred_at", _("探访时间不能早于登记日期")))
    if data.minutes is not None and not 0 <= data.minutes <= 24 * 60:
        errors.append(FieldError("minutes", _("用时应在0到1440分钟之间")))
    if errors:
        raise ValidationFailed(errors=errors)
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                elder=elder,
                visitor=visitor,
                method=data.method,
                outcome=data.outcome,
                occurred_at=data.occurred_at,
                day=local_date(data.occurred_at),
                minutes=data.minutes,
                note=data.note[:300],
                client_id=data.client_id,
                recorded_by=actor if getattr(actor, "pk", None) else None,  # type: ignore[misc]
                region=elder.region,
                region_path=elder.region_path,
            )
            record_event(
                actor=actor,
                action=Action.VISIT_RECORDED,
                subject=elder,
                details={"visit": visit.pk, "method": data.method, "outcome": data.outcome, "day": visit.day},
            )
    except IntegrityError:  # the same client id arrived twice at once
        return Visit.objects.get(client_id=data.client_id), False
    return visit, True
