"""Read the audit log, scoped like everything else."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound, PermissionDenied
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import local_day_start


def audit_events_visible_to(actor: Actor) -> QuerySet[AuditEvent]:
    """Return the events about records inside the actor's regions.

    Raises PermissionDenied for roles that may not read the audit log. Events with no region
    (a failed log-in under an unknown name, a throttled address) are the audit administrator's
    only: it watches the log-in attempts of the whole installation (等保).
    """
    if not has_permission(actor.role, Permission.VIEW_AUDIT):
        raise PermissionDenied()
    inside = scope_of(actor).q("region_path")
    if has_permission(actor.role, Permission.EXPORT_AUDIT) and not scope_of(actor).is_empty:
        return AuditEvent.objects.filter(inside | Q(region_path=""))
    return AuditEvent.objects.filter(inside).exclude(region_path="")


def filter_audit_events(
    events: QuerySet[AuditEvent],
    *,
    actor_username: str = "",
    subject: str = "",
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Narrow events by who acted, which record ("type:id" or text in its label), kind and local dates."""
    if any("\x00" in text for text in (actor_username, subject, action)):
        return events.none()  # no stored text holds a NUL (PostgreSQL refuses to compare with one)
    if actor_username:
        events = events.filter(actor_label=actor_username)
    if subject:
        if ":" in subject:
            subject_type, _, subject_id = subject.partition(":")
            events = events.filter(subject_type=subject_type, subject_id=subject_id)
        else:
            events = events.filter(subject_label__icontains=subject)
    if action:
        events = events.filter(action=action)
    if date_from:
        events = events.filter(at__gte=local_day_start(date_from))
    if date_to:
        events = events.filter(at__lt=local_day_start(date_to + dt.timedelta(days=1)))
    return events


def get_audit_event_for(actor: Actor, event_id: int) -> AuditEvent:
    """Return one event if the actor may see it; NotFound otherwise."""
    try:
        return audit_events_visible_to(actor).get(pk=event_id)
    except AuditEvent.DoesNotExist:
        raise NotFound() from None
