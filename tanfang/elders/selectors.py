"""Reads of the registry, scoped by region."""

from __future__ import annotations

from django.db.models import QuerySet

from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.elders.models import Elder


def elders_visible_to(actor: Actor) -> QuerySet[Elder]:
    """Return the elders living inside the actor's regions (none for roles without access)."""
    if not actor.is_active or not has_permission(actor.role, Permission.VIEW_ELDERS):
        return Elder.objects.none()
    return Elder.objects.filter(scope_of(actor).q("region_path"))
