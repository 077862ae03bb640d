"""Reading visit records: who may see which, an elder's history, the last answers, the review queue.

A visit is visible to anyone whose scope holds the elder's region, and to the visitor paired with
the elder (a visitor's log-in sees its own elders only). Everything else looks missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from tanfang.core.errors import NotFound
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.elders.models import Elder
from tanfang.records.models import FormTemplate, ReviewState, VisitRecord
from tanfang.visitors.selectors import is_paired, own_visitors
from tanfang.visits.models import Outcome, Visit


def elder_for_visits(actor: Actor, elder_id: int) -> Elder:
    """The elder, when the actor may see or record its visits; else NotFound."""
    elder = Elder.objects.select_related("region").filter(pk=elder_id, merged_into__isnull=True).first()
    if elder is None:
        raise NotFound()
    if scope_of(actor).contains(elder.region_path) or is_paired(actor, elder.pk):
        return elder
    raise NotFound()


def elders_for_visits(actor: Actor, elder_ids: Iterable[int]) -> dict[int, Elder]:
    """Of these elders, each one the actor may see or record visits of, by id; the rest are left out."""
    elders = list(Elder.objects.filter(pk__in=set(elder_ids), merged_into__isnull=True))
    scope = scope_of(actor)
    outside = [e.pk for e in elders if not scope.contains(e.region_path)]
    paired = set(own_visitors(actor, outside)) if outside else set()
    return {e.pk: e for e in elders if scope.contains(e.region_path) or e.pk in paired}


def get_visit_for(actor: Actor, visit_id: int) -> Visit:
    visit = (
        Visit.objects.select_related("elder", "elder__region", "visitor", "record", "record__template", "recorded_by")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise NotFound()
    if scope_of(actor).contains(visit.region_path) or is_paired(actor, visit.elder_id):
        return visit
    raise NotFound()


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
