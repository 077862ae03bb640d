"""THE access mechanism: what part of the region tree an actor may see.

A user sees exactly the subtrees of its assigned regions. No assignment, no access.
Anything outside answers NotFound, the same as something missing.
"""

from __future__ import annotations

from django.db.models import QuerySet

from tanfang.core.errors import NotFound, PermissionDenied
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, Scope, scope_of
from tanfang.regions.models import Region


def require_permission(actor: Actor, permission: Permission) -> None:
    """Raise PermissionDenied unless the actor's role carries the permission."""
    if not actor.is_active or not has_permission(actor.role, permission):
        raise PermissionDenied()


def regions_visible_to(actor: Actor) -> QuerySet[Region]:
    """Return every region inside the actor's scope."""
    return Region.objects.filter(scope_of(actor).q("path"))


def get_region_for(actor: Actor, code: str) -> Region:
    """Return a region the actor may see; NotFound for missing and out-of-scope alike."""
    try:
        return regions_visible_to(actor).get(code=code)
    except Region.DoesNotExist:
        raise NotFound() from None


def top_regions_for(actor: Actor) -> QuerySet[Region]:
    """Return the actor's assigned regions that no other assignment contains: its tree roots."""
    return Region.objects.filter(path__in=scope_of(actor).paths).order_by("code")


def require_in_scope(actor: Actor, region_path: str) -> None:
    """Raise NotFound unless the path lies inside the actor's scope."""
    if not scope_of(actor).contains(region_path):
        raise NotFound()


def scope_covers_all(scope: Scope, region_paths: list[str]) -> bool:
    return bool(region_paths) and all(scope.contains(p) for p in region_paths)
