"""Reads of users, scoped: an officer sees the users assigned inside its regions."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from tanfang.accounts.models import User
from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound, PermissionDenied
from tanfang.core.roles import ADMIN_ROLES, NO_ROLE, ROLE_ORDER, Permission, Role, has_permission, may_give_role
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
    """Say whether the actor may change the user's account: reset, unlock, edit.

    All the user's regions must lie inside the actor's, and the user's rights inside the
    actor's own (the security administrator may act on any account but the administrators').
    Nobody manages an account of the three administrators through the application.
    """
    if not actor.is_active or user.role in ADMIN_ROLES or user.pk == actor.pk:
        return False
    if not may_give_role(actor.role, user.role):
        return False
    scope = scope_of(actor)
    paths = user.region_paths()
    return bool(paths) and all(scope.contains(p) for p in paths)


def require_may_manage(actor: User, user: User) -> None:
    """Raise NotFound if the user is out of sight, PermissionDenied if it is out of reach."""
    if not (has_permission(actor.role, Permission.MANAGE_USERS) or has_permission(actor.role, Permission.GRANT_ROLES)):
        raise PermissionDenied()
    if not users_visible_to(actor).filter(pk=user.pk).exists():
        raise NotFound()
    if not can_manage(actor, user):
        raise PermissionDenied(_("该账号的权限超出您自己的权限，您不能修改它"))


def may_open_accounts(actor: User) -> bool:
    return actor.is_active and has_permission(actor.role, Permission.MANAGE_USERS)


def roles_grantable_by(actor: User) -> list[str]:
    """Return the roles the actor may give, highest first; "" (no role yet) comes first."""
    roles = [r.value for r in sorted(Role, key=lambda r: ROLE_ORDER[r]) if may_give_role(actor.role, r)]
    return [NO_ROLE, *roles]


def importing_user_unscoped(username: str) -> User | None:
    """The active user a command-line import acts as: the one named (the administrators import nothing)."""
    return User.objects.filter(is_active=True, username=username).first()


_FAILED_STEPS = (Action.LOGIN_FAILED, Action.TWO_FACTOR_FAILED)


def failed_log_ins_from(ip_address: str, since: dt.datetime) -> int:
    """How many log-in steps failed from one client IP since a moment (audit rows, index on ip and time)."""
    return AuditEvent.objects.filter(ip_address=ip_address, at__gte=since, action__in=_FAILED_STEPS).count()


def pending_user(user_id: object) -> User | None:
    """The active user who passed the password step of a log-in in this session, if any."""
    if not isinstance(user_id, int):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()
