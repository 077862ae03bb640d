"""Every write about accounts: log-in and lock-out, passwords, tokens, user management."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.accounts.errors import AccountLocked, InvalidCredentials
from tanfang.accounts.models import ApiToken, User
from tanfang.accounts.selectors import require_may_manage
from tanfang.audit.actions import Action
from tanfang.audit.services import diff, record_event, snapshot
from tanfang.core.errors import FieldError, PermissionDenied, ValidationFailed
from tanfang.core.roles import ROLE_REGION_LEVELS, Permission, Role, may_manage_role
from tanfang.core.time import now
from tanfang.regions.models import Region, UserRegion
from tanfang.regions.scoping import get_region_for, require_permission
from tanfang.regions.selectors import find_region_unscoped

_USER_FIELDS = ("username", "display_name", "role", "phone", "organisation", "is_active")


# --- log-in ------------------------------------------------------------------------------


def log_in(*, username: str, password: str, ip_address: str | None = None) -> User:
    """Check a username and password, locking the account after repeated failures.

    After TANFANG_LOGIN_MAX_FAILURES wrong passwords in a row the account is locked for
    TANFANG_LOGIN_LOCK_MINUTES; while locked even the right password is refused. Every
    attempt is audited. Raises InvalidCredentials or AccountLocked.
    """
    user = User.objects.filter(username=username.strip()).first()
    if user is None:
        User().set_password(password)  # spend the same time as a real check
        with transaction.atomic():
            record_event(
                actor=None,
                action=Action.LOGIN_FAILED,
                subject_type="accounts.user",
                subject_label=username[:150],
                ip_address=ip_address,
                details={"reason": "unknown_user"},
            )
        raise InvalidCredentials()

    moment = now()
    if user.locked_until and user.locked_until > moment:
        with transaction.atomic():
            record_event(
                actor=None,
                action=Action.LOGIN_FAILED,
                subject=user,
                ip_address=ip_address,
                details={"reason": "locked"},
            )
        raise AccountLocked(user.locked_until)

    if not user.check_password(password) or not user.is_active:
        locked_until = _count_failure(user, moment, ip_address)
        if locked_until:
            raise AccountLocked(locked_until)
        raise InvalidCredentials()

    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=moment)
        user.failed_logins, user.locked_until, user.last_login = 0, None, moment
        record_event(actor=user, action=Action.LOGIN_SUCCEEDED, subject=user, ip_address=ip_address)
    return user


def _count_failure(user: User, moment: dt.datetime, ip_address: str | None) -> dt.datetime | None:
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_logins += 1
        lock_until = None
        reason = "inactive" if not locked.is_active else "wrong_password"
        if locked.failed_logins >= settings.TANFANG_LOGIN_MAX_FAILURES:
            lock_until = moment + dt.timedelta(minutes=settings.TANFANG_LOGIN_LOCK_MINUTES)
            locked.locked_until = lock_until
            locked.failed_logins = 0
        locked.save(update_fields=["failed_logins", "locked_until"])
        record_event(
            actor=None,
            action=Action.LOGIN_FAILED,
            subject=locked,
            ip_address=ip_address,
            details={"reason": reason},
        )
        if lock_until:
            record_event(
                actor=None,
                action=Action.ACCOUNT_LOCKED,
                subject=locked,
                ip_address=ip_address,
                changes={"locked_until": {"old": None, "new": lock_until}},
            )
    return lock_until


@transaction.atomic
def log_out(*, actor: User, ip_address: str | None = None) -> None:
    """Record that the user logged out."""
    record_event(actor=actor, action=Action.LOGOUT, subject=actor, ip_address=ip_address)


# --- passwords ---------------------------------------------------------------------------


def _check_new_password(password: str, user: User | None, field: str = "new_password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationFailed([FieldError(field, str(m)) for m in error.messages]) from None


@transaction.atomic
def change_password(*, actor: User, old_password: str, new_password: str) -> None:
    """Change the actor's own password after checking the old one against the password rules."""
    if not actor.check_password(old_password):
        raise ValidationFailed([FieldError("old_password", _("原密码不正确"))])
    if old_password == new_password:
        raise ValidationFailed([FieldError("new_password", _("新密码不能与原密码相同"))])
    _check_new_password(new_password, actor)
    actor.set_password(new_password)
    actor.must_change_password = False
    actor.password_changed_at = now()
    actor.save(update_fields=["password", "must_change_password", "password_changed_at"])
    record_event(actor=actor, action=Action.PASSWORD_CHANGED, subject=actor)


@transaction.atomic
def reset_password(*, actor: User, user: User, new_password: str) -> None:
    """Set another user's password; that user must change it at the next log-in."""
    require_may_manage(actor, user)
    _check_new_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = True
    user.password_changed_at = now()
    user.failed_logins, user.locked_until = 0, None
    user.save(
        update_fields=["password", "must_change_password", "password_changed_at", "failed_logins", "locked_until"]
    )
    record_event(actor=actor, action=Action.PASSWORD_RESET, subject=user)


@transaction.atomic
def unlock_user(*, actor: User, user: User) -> None:
    """Lift a log-in lock before it runs out."""
    require_may_manage(actor, user)
    before = user.locked_until
    user.locked_until, user.failed_logins = None, 0
    user.save(update_fields=["locked_until", "failed_logins"])
    record_event(
        actor=actor,
        action=Action.USER_UNLOCKED,
        subject=user,
        changes={"locked_until": {"old": before, "new": None}},
    )


# --- user management ---------------------------------------------------------------------


@transaction.atomic
def create_first_admin(*, username: str, password: str, region_code: str, display_name: str) -> User:
    """Create an administrator from the command line, where no officer exists yet to do it.

    The region must be a province; the password follows the password rules. Audited
    as done by the system.
    """
    region = find_region_unscoped(region_code)  # the command line: no actor, no scope yet
    if region is None or region.level not in ROLE_REGION_LEVELS[Role.ADMIN]:
        raise ValidationFailed([FieldError("region", _("管理员须分配到省级区划，例如 410000"))])
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed([FieldError("username", _("用户名「%(name)s」已被使用") % {"name": username})])
    user = User(username=username, display_name=display_name, role=Role.ADMIN)
    _check_new_password(password, user, field="password")
    user.set_password(password)
    user.password_changed_at = now()
    user.save()
    _assign_regions(user, [region])
    record_event(
        actor=None,
        action=Action.USER_CREATED,
        subject=user,
        changes=diff({}, {**snapshot(user, _USER_FIELDS), "regions": [region.code]}),
        details={"source": "create_admin"},
    )
    return user


@dataclass
class UserInput:
    display_name: str
    role: str
    region_codes: Sequence[str]
    phone: str = ""
    organisation: str = ""
    is_active: bool = True


def _resolve_regions(actor: User, role: str, codes: Sequence[str]) -> list[Region]:
    errors: list[FieldError] = []
    unique_codes = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not unique_codes:
        raise ValidationFailed([FieldError("region_codes", _("请至少选择一个所属区划"))])
    regions = [get_region_for(actor, code) for code in unique_codes]
    allowed = ROLE_REGION_LEVELS[Role(role)]
    for region in regions:
        if region.level not in allowed:
            errors.append(
                FieldError(
                    "region_codes",
                    _("%(role)s不能分配到%(level)s级区划「%(name)s」")
                    % {"role": Role(role).label, "level": region.get_level_display(), "name": region.name},
                )
            )
    if errors:
        raise ValidationFailed(errors)
    return regions


def _check_role(actor: User, role: str) -> None:
    if role not in Role.values:
        raise ValidationFailed([FieldError("role", _("未知的角色"))])
    if not may_manage_role(actor.role, role):
        raise PermissionDenied(_("您不能创建或授予「%(role)s」角色") % {"role": Role(role).label})


def _assign_regions(user: User, regions: list[Region]) -> None:
    UserRegion.objects.filter(user=user).exclude(region__in=regions).delete()
    existing = set(UserRegion.objects.filter(user=user).values_list("region_id", flat=True))
    UserRegion.objects.bulk_create([UserRegion(user=user, region=r) for r in regions if r.code not in existing])
    user.forget_regions()


@transaction.atomic
def create_user(*, actor: User, username: str, password: str, data: UserInput) -> User:
    """Create a user at or below the actor's own regions and rank.

    The initial password follows the password rules and must be changed at first
    log-in. Raises PermissionDenied for a role the actor may not grant, NotFound for a
    region outside its scope, ValidationFailed for bad fields.
    """
    require_permission(actor, Permission.MANAGE_USERS)
    _check_role(actor, data.role)
    regions = _resolve_regions(actor, data.role, data.region_codes)
    username = username.strip()
    errors = []
    if not username:
        errors.append(FieldError("username", _("请填写用户名")))
    elif User.objects.filter(username__iexact=username).exists():
        errors.append(FieldError("username", _("用户名「%(name)s」已被使用") % {"name": username}))
    if not data.display_name.strip():
        errors.append(FieldError("display_name", _("请填写姓名")))
    if errors:
        raise ValidationFailed(errors)
    user = User(
        username=username,
        display_name=data.display_name.strip(),
        role=data.role,
        phone=data.phone.strip(),
        organisation=data.organisation.strip(),
        is_active=data.is_active,
        must_change_password=True,
        created_by=actor,
    )
    _check_new_password(password, user, field="password")
    user.set_password(password)
    user.save()
    _assign_regions(user, regions)
    record_event(
        actor=actor,
        action=Action.USER_CREATED,
        subject=user,
        changes=diff({}, {**snapshot(user, _USER_FIELDS), "regions": sorted(r.code for r in regions)}),
    )
    return user


@transaction.atomic
def update_user(*, actor: User, user: User, data: UserInput) -> User:
    """Change a user's details, role, regions or active flag, audited old → new.

    The actor must be able to manage the user as it is and as it will be; nobody can
    change their own role or deactivate themselves.
    """
    require_may_manage(actor, user)
    if user.pk == actor.pk and (data.role != user.role or not data.is_active):
        raise PermissionDenied(_("不能修改自己的角色或停用自己的账号"))
    _check_role(actor, data.role)
    regions = _resolve_regions(actor, data.role, data.region_codes)
    if not data.display_name.strip():
        raise ValidationFailed([FieldError("display_name", _("请填写姓名"))])
    before = {
        **snapshot(user, _USER_FIELDS),
        "regions": sorted(user.region_assignments.values_list("region_id", flat=True)),
    }
    user.display_name = data.display_name.strip()
    user.role = data.role
    user.phone = data.phone.strip()
    user.organisation = data.organisation.strip()
    user.is_active = data.is_active
    user.save()
    _assign_regions(user, regions)
    after = {**snapshot(user, _USER_FIELDS), "regions": sorted(r.code for r in regions)}
    changes = diff(before, after)
    if changes:
        record_event(actor=actor, action=Action.USER_UPDATED, subject=user, changes=changes)
    return user


# --- API tokens --------------------------------------------------------------------------


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_token(*, user: User, name: str = "", ip_address: str | None = None) -> tuple[ApiToken, str]:
    """Issue an API token for a logged-in user; the raw token is returned once and never stored."""
    raw = "tf_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[3:11],
        key_hash=_hash_token(raw),
        expires_at=now() + dt.timedelta(days=settings.TANFANG_API_TOKEN_DAYS),
    )
    record_event(
        actor=user,
        action=Action.TOKEN_ISSUED,
        subject=user,
        ip_address=ip_address,
        details={"token": token.prefix, "expires_at": token.expires_at},
    )
    return token, raw


def user_for_token(raw: str) -> User | None:
    """Return the active user a live token belongs to, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(raw), revoked_at__isnull=True, expires_at__gt=now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    moment = now()
    # Note use at most every few minutes: a write per request would cost more than it tells.
    if token.last_used_at is None or moment - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=moment)
    token.user._api_token = token  # type: ignore[attr-defined]
    return token.user


@transaction.atomic
def revoke_token(*, actor: User, raw: str) -> None:
    """Revoke one of the actor's own tokens; unknown tokens are ignored."""
    updated = ApiToken.objects.filter(user=actor, key_hash=_hash_token(raw), revoked_at__isnull=True).update(
        revoked_at=now()
    )
    if updated:
        record_event(actor=actor, action=Action.TOKEN_REVOKED, subject=actor)
