"""Reads of users, scoped: an officer sees the users assigned inside its regions."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from tanfang.accounts.models import User
from tanfang.core.errors import NotFound, PermissionDenied
from tanfang.core.roles import ROLE_RANK, Permission, Role, may_manage_role
from tanfang.core.scope import scope_of
from tanfang.regions.models import UserRegion
from tanfang.regions.scoping import require_permission


def users_visible_to(actor: User) -> QuerySet[User]:
    """Return users with at least one region inside the actor's scope.

    A user with no region is visible to nobody. Raises PermissionDenied for roles that
    may not list users.
    """
    require_permission(actor, Permission.VIEW_USERS)
    inside = UserRegion.objects.filter(user=OuterRef("pk")).filter(scope_of(actor).q("region__path"))
    return User.objects.filter(Exists(inside))


def get_user_for(actor: User, user_id: int) -> User:
    """Return a user the actor may see; NotFound for missing and out-of-scope alike."""
    try:
        return users_visible_to(actor).get(pk=user_id)
    except (User.DoesNotExist, ValueError):
        raise NotFound() from None


def can_manage(actor: User, user: User) -> bool:
    """Say whether the actor may edit the user: rank allows it and all its regions are in scope."""
    if not actor.is_active or not may_manage_role(actor.role, user.role):
        return False
    scope = scope_of(actor)
    paths = user.region_paths()
    return bool(paths) and all(scope.contains(p) for p in paths)


def require_may_manage(actor: User, user: User) -> None:
    """Raise NotFound if the user is out of sight, PermissionDenied if it is out of reach."""
    require_permission(actor, Permission.MANAGE_USERS)
    if not users_visible_to(actor).filter(pk=user.pk).exists():
        raise NotFound()
    if not can_manage(actor, user):
        raise PermissionDenied()


def roles_grantable_by(actor: User) -> list[Role]:
    """Return the roles the actor may give to users it creates, highest first."""
    roles = [r for r in Role if may_manage_role(actor.role, r)]
    return sorted(roles, key=lambda r: ROLE_RANK[r])


def importing_user_unscoped(username: str = "") -> User | None:
    """The active user a command-line import acts as: the one named, else the first administrator."""
    users = User.objects.filter(is_active=True)
    return users.filter(username=username).first() if username else users.filter(role=Role.ADMIN).first()
