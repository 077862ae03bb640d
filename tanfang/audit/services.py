"""Write audit events. Call inside the transaction of the write being audited."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import models, transaction

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.core.scope import Actor
from tanfang.core.time import now

Changes = dict[str, dict[str, Any]]


def _plain(value: Any) -> Any:
    """Turn a field value into something JSON keeps exactly."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return "<bytes>"
    json.dumps(value)
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Read the named fields of a model instance, as audit values."""
    return {name: _plain(getattr(instance, name)) for name in fields}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """Return {field: {"old": …, "new": …}} for every field whose value changed."""
    changes: Changes = {}
    for name in sorted(set(before) | set(after)):
        old, new = _plain(before.get(name)), _plain(after.get(name))
        if old != new:
            changes[name] = {"old": old, "new": new}
    return changes


def record_event(
    *,
    actor: Actor | None,
    action: Action,
    subject: models.Model | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    subject_label: str | None = None,
    region_path: str | None = None,
    changes: Changes | None = None,
    details: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Record who did what to which record, with old → new values.

    The region path defaults to the subject's own `region_path`, so the event is
    visible exactly where the subject is. Must run inside the caller's transaction:
    raises TransactionManagementError otherwise, because an audit row committed apart
    from its write could describe a change that never happened.
    """
    event = new_event(
        actor=actor,
        action=action,
        subject=subject,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=subject_label,
        region_path=region_path,
        changes=changes,
        details=details,
        ip_address=ip_address,
    )
    record_events([event])
    return event


def record_events(events: list[AuditEvent]) -> None:
    """Store events made with `new_event` in one statement, inside the write's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("record_event must run inside the write's transaction")
    AuditEvent.objects.bulk_create(events)


def new_event(
    *,
    actor: Actor | None,
    action: Action,
    subject: models.Model | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    subject_label: str | None = None,
    region_path: str | None = None,
    changes: Changes | None = None,
    details: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """An audit event, not yet stored (see `record_event` for what each part means)."""
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or str(subject.pk)
        subject_label = subject_label if subject_label is not None else str(subject)
        if region_path is None:
            region_path = getattr(subject, "region_path", None) or getattr(subject, "path", None)
    return AuditEvent(
        at=now(),
        actor=actor if actor is not None and actor.pk is not None else None,  # type: ignore[misc]
        actor_label=actor.username if actor is not None else "system",
        action=str(action),
        subject_type=subject_type or "",
        subject_id=subject_id or "",
        subject_label=(subject_label or "")[:200],
        region_path=region_path or "",
        changes={k: {"old": _plain(v["old"]), "new": _plain(v["new"])} for k, v in (changes or {}).items()},
        details={k: _plain(v) for k, v in (details or {}).items()},
        ip_address=ip_address,
    )
