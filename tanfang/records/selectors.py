"""Reading visit records: who may see which, an elder's history, the last answers, the review queue.

A visit is visible to a role that reads the registry (Permission.VIEW_ELDERS) and whose scope holds
the elder's region, and to the visitor paired with the elder (primary or backup): a visitor's log-in
sees its own elders only, whatever region it is assigned to, and the three administrators see none.
Everything else looks missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.errors import NotFound
from tanfang.core.roles import Permission, has_permission, records_visits
from tanfang.core.scope import Actor, scope_of
from tanfang.elders.models import Elder
from tanfang.records.models import FormTemplate, ReviewState, VisitPhoto, VisitRecord
from tanfang.visitors.selectors import is_paired, own_visitors, was_paired
from tanfang.visits.models import Outcome, Visit


def reads_region(actor: Actor, region_path: str) -> bool:
    """Whether the actor reads the registry's records of a region: a registry role whose scope holds it."""
    return has_permission(actor.role, Permission.VIEW_ELDERS) and scope_of(actor).contains(region_path)


def may_record(actor: Actor) -> bool:
    """Whether the actor's role records visits at all (`core.roles.records_visits`)."""
    return records_visits(actor.role)


def elder_for_visits(actor: Actor, elder_id: int) -> Elder:
    """The elder, when the actor may see its visits (a registry role in scope, or its paired visitor); else NotFound."""
    elder = Elder.objects.select_related("region").filter(pk=elder_id, merged_into__isnull=True).first()
    if elder is None:
        raise NotFound()
    if reads_region(actor, elder.region_path) or is_paired(actor, elder.pk):
        return elder
    raise NotFound()


def elder_to_record(actor: Actor, elder_id: int) -> Elder:
    """The elder, when the actor may record a visit to it; NotFound for anyone else.

    A supervisor or a province officer reads visits but records none: its form looks missing. A
    visitor whose pairing has ended gets the elder, so that the service can say why it may not
    record (an offline record uploaded after a handover).
    """
    if not may_record(actor):
        raise NotFound()
    elder = Elder.objects.select_related("region").filter(pk=elder_id, merged_into__isnull=True).first()
    if elder is None:
        raise NotFound()
    if reads_region(actor, elder.region_path) or is_paired(actor, elder.pk) or was_paired(actor, elder.pk):
        return elder
    raise NotFound()


def elders_for_visits(actor: Actor, elder_ids: Iterable[int]) -> dict[int, Elder]:
    """Of these elders, each one the actor may record visits of, by id; the rest are left out."""
    if not may_record(actor):
        return {}
    elders = list(Elder.objects.filter(pk__in=set(elder_ids), merged_into__isnull=True))
    inside = {e.pk for e in elders if reads_region(actor, e.region_path)}
    outside = [e.pk for e in elders if e.pk not in inside]
    paired = set(own_visitors(actor, outside)) if outside else set()
    paired |= {pk for pk in outside if pk not in paired and was_paired(actor, pk)}  # told why, as above
    return {e.pk: e for e in elders if e.pk in inside or e.pk in paired}


def get_visit_for(actor: Actor, visit_id: int) -> Visit:
    visit = (
        Visit.objects.select_related("elder", "elder__region", "visitor", "record", "record__template", "recorded_by")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise NotFound()
    if reads_region(actor, visit.region_path) or is_paired(actor, visit.elder_id):
        return visit
    refuse_quietly(actor, visit)
    raise NotFound()


def get_photo_for(actor: Actor, photo_id: int) -> VisitPhoto:
    """A visit's photo, for whoever may see the visit (NotFound for anyone else, as for the visit)."""
    photo = VisitPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        raise NotFound()
    get_visit_for(actor, photo.visit_id)
    return photo


def refuse_quietly(actor: Actor, visit: Visit) -> None:
    """Audit a request for a visit that exists but is not the actor's to see; the answer stays 404."""
    with transaction.atomic():
        record_event(
            actor=actor,
            action=Action.ACCESS_REFUSED,
            subject=visit,
            details={"attempted": "read_visit"},
        )


def visits_of_elder(elder: Elder) -> QuerySet[Visit]:
    """Newest first; the (elder, day) index serves it however long the history."""
    return (
        Visit.objects.filter(elder=elder)
        .select_related("visitor", "record", "record__template")
        .order_by("-day", "-occurred_at", "-pk")
    )


def last_record(elder: Elder) -> VisitRecord | None:
    """The newest counted visit's record: its answers are shown beside each item of the next one."""
    return (
        VisitRecord.objects.filter(visit__elder=elder, visit__outcome=Outcome.VISITED, visit__rejected=False)
        .select_related("visit", "template")
        .order_by("-visit__day", "-visit__occurred_at")
        .first()
    )


def last_answers(elder: Elder) -> dict[str, Any]:
    record = last_record(elder)
    return dict(record.answers) if record else {}


def review_queue(actor: Actor) -> QuerySet[VisitRecord]:
    """Flagged visits waiting for a decision, oldest first, inside the reviewer's scope."""
    if not has_permission(actor.role, Permission.REVIEW_VISITS):
        return VisitRecord.objects.none()
    return (
        VisitRecord.objects.filter(scope_of(actor).q(), review_state=ReviewState.PENDING)
        .select_related("visit", "visit__elder", "visit__visitor", "visit__elder__region")
        .order_by("submitted_at")
    )


def may_review(actor: Actor, record: VisitRecord) -> bool:
    """Whether the actor may decide on this record: a reviewing role whose scope holds it."""
    return has_permission(actor.role, Permission.REVIEW_VISITS) and scope_of(actor).contains(record.region_path)


def get_record_for_review(actor: Actor, visit_id: int) -> VisitRecord:
    record = (
        VisitRecord.objects.select_related("visit", "visit__elder", "visit__visitor", "template")
        .filter(pk=visit_id)
        .first()
    )
    if record is None or not may_review(actor, record):
        raise NotFound()
    return record


def all_templates() -> list[FormTemplate]:
    """Every form template there is, in use or not, by code and version."""
    return list(FormTemplate.objects.order_by("code", "version"))


def get_visit_unscoped(visit_id: int) -> Visit:
    """A visit by its id, for the command line (an operator on the server); NotFound when unknown."""
    visit = Visit.objects.filter(pk=visit_id).first()
    if visit is None:
        raise NotFound()
    return visit


def active_templates() -> list[FormTemplate]:
    """Every form template in use, by code and version (templates are not personal data)."""
    return list(FormTemplate.objects.filter(active=True).order_by("code", "version"))
