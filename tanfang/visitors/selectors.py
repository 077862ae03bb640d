"""Reads of visitors and pairings, scoped by region."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from tanfang.core.errors import NotFound
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.elders.models import Elder
from tanfang.regions.scoping import get_region_for
from tanfang.visitors.models import ENDED_STATUSES, Pairing, Visitor


def own_visitors(actor: Actor, elder_ids: Iterable[int]) -> dict[int, Visitor]:
    """THE pairing test: for each of these elders that the actor's own active visitor profile has an
    open pairing with (primary or backup), that profile. Everyone else is not paired."""
    if not getattr(actor, "pk", None) or not actor.is_active:
        return {}
    pairings = Pairing.objects.filter(
        elder_id__in=set(elder_ids), visitor__user_id=actor.pk, visitor__active=True, ended_on__isnull=True
    ).select_related("visitor")
    return {p.elder_id: p.visitor for p in pairings}


def is_paired(actor: Actor, elder_id: int) -> bool:
    """Whether the actor is a visitor paired with this elder now (see `own_visitors`)."""
    return bool(own_visitors(actor, [elder_id]))


def was_paired(actor: Actor, elder_id: int) -> bool:
    """Whether the actor's visitor profile was ever paired with this elder (to say why it may not record)."""
    if not getattr(actor, "pk", None):
        return False
    return Pairing.objects.filter(elder_id=elder_id, visitor__user_id=actor.pk).exists()


def visitors_visible_to(actor: Actor) -> QuerySet[Visitor]:
    """Visitors based inside the actor's regions, with their current primary load."""
    if not actor.is_active or not has_permission(actor.role, Permission.VIEW_ELDERS):
        return Visitor.objects.none()
    return Visitor.objects.filter(scope_of(actor).q("region_path")).annotate(
        load=Count("pairings", filter=Q(pairings__ended_on__isnull=True, pairings__role="primary"))
    )


def get_visitor_for(actor: Actor, visitor_id: int) -> Visitor:
    try:
        return visitors_visible_to(actor).select_related("region").get(pk=visitor_id)
    except Visitor.DoesNotExist:
        raise NotFound() from None


def pairings_of_elder(actor: Actor, elder: Elder) -> QuerySet[Pairing]:
    """The elder's pairings, open ones first, then history."""
    if not scope_of(actor).contains(elder.region_path):
        return Pairing.objects.none()
    return Pairing.objects.filter(elder=elder).select_related("visitor").order_by("ended_on", "-started_on")


def unpaired_elders(actor: Actor, region_code: str = "") -> QuerySet[Elder]:
    """Elders still owed visits who have no primary visitor, inside the actor's scope (and region)."""
    if not actor.is_active or not has_permission(actor.role, Permission.VIEW_ELDERS):
        return Elder.objects.none()
    elders = Elder.objects.filter(scope_of(actor).q("region_path"), merged_into__isnull=True).exclude(
        status__in=ENDED_STATUSES
    )
    if region_code:
        try:
            region = get_region_for(actor, region_code)
        except NotFound:
            return Elder.objects.none()
        elders = elders.filter(region_path__startswith=region.path)
    primary = Pairing.objects.filter(elder=OuterRef("pk"), ended_on__isnull=True, role=Pairing.Role.PRIMARY)
    return elders.exclude(Exists(primary)).order_by("region_path", "id")


def get_pairing_for(actor: Actor, pairing_id: int) -> Pairing:
    try:
        return (
            Pairing.objects.filter(scope_of(actor).q("region_path"))
            .select_related("elder", "visitor")
            .get(pk=pairing_id)
        )
    except Pairing.DoesNotExist:
        raise NotFound() from None
