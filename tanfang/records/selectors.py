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
from tanfang.records.models import ReviewState, VisitRecord
from tanfang.visitors.models import Pairing
from tanfang.visits.models import Outcome, Visit


def _paired(actor: Actor, elder_id: int) -> bool:
    if not getattr(actor, "pk", None):
        return False
    return Pairing.objects.filter(elder_id=elder_id, visitor__user_id=actor.pk, ended_on__isnull=True).exists()


def elder_for_visits(actor: Actor, elder_id: int) -> Elder:
    """The elder, when the actor may see or record its visits; else NotFound."""
    elder = Elder.objects.select_related("region").filter(pk=elder_id, merged_into__isnull=True).first()
    if elder is None:
        raise NotFound()
    if scope_of(actor).contains(elder.region_path) or _paired(actor, elder.pk):
        return elder
    raise NotFound()


def elders_for_visits(actor: Actor, elder_ids: Iterable[int]) -> dict[int, Elder]:
    """Of these elders, each one the actor may see or record visits of, by id; the rest are left out."""
    elders = list(Elder.objects.filter(pk__in=set(elder_ids), merged_into__isnull=True))
    scope = scope_of(actor)
    outside = [e.pk for e in elders if not scope.contains(e.region_path)]
    paired: set[int] = set()
    if outside and getattr(actor, "pk", None):
        paired = set(
            Pairing.objects.filter(elder_id__in=outside, visitor__user_id=actor.pk, ended_on__isnull=True).values_list(
                "elder_id", flat=True
            )
        )
    return {e.pk: e for e in elders if scope.contains(e.region_path) or e.pk in paired}


def get_visit_for(actor: Actor, visit_id: int) -> Visit:
    visit = (
        Visit.objects.select_related("elder", "elder__region", "visitor", "record", "record__template", "recorded_by")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise NotFound()
    if scope_of(actor).contains(visit.region_path) or _paired(actor, visit.elder_id):
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


def get_record_for_review(actor: Actor, visit_id: int) -> VisitRecord:
    record = (
        VisitRecord.objects.select_related("visit", "visit__elder", "visit__visitor", "template")
        .filter(pk=visit_id)
        .first()
    )
    if (
        record is None
        or not has_permission(actor.role, Permission.REVIEW_VISITS)
        or not scope_of(actor).contains(record.region_path)
    ):
        raise NotFound()
    return record
