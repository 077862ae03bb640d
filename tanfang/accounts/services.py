"""Every write about accounts: log-in and lock-out, passwords, tokens, user management."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from tanfang.accounts.errors import (
    InvalidCredentials,
    LoginThrottled,
    PasswordChangeRequired,
    SecondFactorRequired,
)
from tanfang.accounts.models import PHONE_CONTEXT, ApiToken, User
from tanfang.accounts.secrets import phone_of
from tanfang.accounts.selectors import failed_log_ins_from, require_may_manage
from tanfang.accounts.two_factor import (
    count_failure,
    is_enrolled,
    needs_enrolment,
    remove_two_factor,
    verify_second_factor,
)
from tanfang.audit.actions import Action
from tanfang.audit.services import diff, record_event, snapshot
from tanfang.core.crypto import field_cipher
from tanfang.core.errors import FieldError, PermissionDenied, ValidationFailed
from tanfang.core.id_numbers import mask_phone
from tanfang.core.roles import ADMIN_ROLES, NO_ROLE, ROLE_REGION_LEVELS, Permission, RegionLevel, Role, may_give_role
from tanfang.core.time import now
from tanfang.notifications.services import queue, sending_channel, tell_user
from tanfang.regions.models import Region, UserRegion
from tanfang.regions.scoping import get_region_for, require_permission
from tanfang.regions.selectors import find_region_unscoped

_USER_FIELDS = ("username", "display_name", "role", "phone_masked", "organisation", "is_active")
_PHONE = re.compile(r"\+?[0-9]{5,20}")


# --- log-in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordChecked:
    """The first step of a log-in passed; `second_factor` says whether a code must follow."""

    user: User
    second_factor: bool


def check_password_step(*, username: str, password: str, ip_address: str | None = None) -> PasswordChecked:
    """Check a username and password: the first step of every log-in.

    Refused with one answer for an unknown user, a wrong password, an inactive account or a
    locked one (InvalidCredentials); after TANFANG_LOGIN_MAX_FAILURES failures in a row (wrong
    passwords and wrong codes together) the account is locked for TANFANG_LOGIN_LOCK_MINUTES.
    Too many failures from one client IP are refused before anything is checked
    (LoginThrottled). Every refusal is audited.
    """
    _check_ip(username, ip_address)
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

    if user.locked_until and user.locked_until > now():
        with transaction.atomic():
            record_event(
                actor=None,
                action=Action.LOGIN_FAILED,
                subject=user,
                ip_address=ip_address,
                details={"reason": "locked"},
            )
        raise InvalidCredentials()

    if not user.check_password(password) or not user.is_active:
        count_failure(user, ip_address, reason="inactive" if not user.is_active else "wrong_password")
        raise InvalidCredentials()
    return PasswordChecked(user=user, second_factor=is_enrolled(user))


def check_second_step(*, user: User, code: str, ip_address: str | None = None) -> str:
    """Check the TOTP or recovery code that follows the password; refused while locked or throttled."""
    _check_ip(user.username, ip_address)
    user.refresh_from_db(fields=["locked_until", "is_active", "failed_logins"])
    if (user.locked_until and user.locked_until > now()) or not user.is_active:
        raise InvalidCredentials()
    return verify_second_factor(user=user, code=code, ip_address=ip_address)


@transaction.atomic
def complete_log_in(*, user: User, ip_address: str | None = None, second_factor: str = "") -> User:
    """Record a finished log-in: both steps passed (or the only one, for a user without a second factor)."""
    moment = now()
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=moment)
    user.failed_logins, user.locked_until, user.last_login = 0, None, moment
    details = {"second_factor": second_factor} if second_factor else {}
    record_event(actor=user, action=Action.LOGIN_SUCCEEDED, subject=user, ip_address=ip_address, details=details)
    return user


def log_in(*, username: str, password: str, ip_address: str | None = None, otp: str = "") -> User:
    """Both steps at once, for the token endpoint: the password, then the code if the user has a second factor.

    Raises InvalidCredentials, SecondFactorRequired (no code given), SecondFactorRefused or
    LoginThrottled.
    """
    checked = check_password_step(username=username, password=password, ip_address=ip_address)
    second = ""
    if checked.second_factor:
        if not otp.strip():
            raise SecondFactorRequired()
        second = check_second_step(user=checked.user, code=otp, ip_address=ip_address)
    return complete_log_in(user=checked.user, ip_address=ip_address, second_factor=second)


def _check_ip(username: str, ip_address: str | None) -> None:
    if not ip_address:
        return
    since = now() - dt.timedelta(seconds=settings.TANFANG_LOGIN_IP_WINDOW_SECONDS)
    if failed_log_ins_from(ip_address, since) >= settings.TANFANG_LOGIN_IP_MAX_ATTEMPTS:
        with transaction.atomic():
            record_event(
                actor=None,
                action=Action.LOGIN_THROTTLED,
                subject_type="accounts.user",
                subject_label=username[:150],
                ip_address=ip_address,
            )
        raise LoginThrottled()


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


def _reach(actor: User, user: User, attempted: str, permission: Permission | None = None) -> None:
    """Refuse, and audit the refusal, when the user's account is out of the actor's reach.

    NotFound (out of sight) is not audited: it says nothing the actor did not know. A refusal
    of something the actor can see (an account with rights above its own) is audited in its
    own transaction, so the refusal's rollback does not take the record with it.
    """
    try:
        if permission is not None:
            require_permission(actor, permission)
        require_may_manage(actor, user)
    except PermissionDenied:
        with transaction.atomic():
            record_event(actor=actor, action=Action.ACCESS_REFUSED, subject=user, details={"attempted": attempted})
        raise


def reset_password(*, actor: User, user: User, new_password: str) -> None:
    """Set another user's password.

    The user must change it at the next log-in; its API tokens are revoked, and its sessions end
    (a session carries a hash of the password, so every open session stops at the next request).
    Audited, and the user is told by SMS when it has a phone number.
    """
    _reach(actor, user, "reset_password")
    _check_new_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = True
        user.password_changed_at = now()
        user.failed_logins, user.locked_until = 0, None
        user.save(
            update_fields=[
                "password",
                "must_change_password",
                "password_changed_at",
                "failed_logins",
                "locked_until",
            ]
        )
        revoked = _revoke_all_tokens(user)
        record_event(actor=actor, action=Action.PASSWORD_RESET, subject=user, details={"tokens_revoked": revoked})
        _tell(
            user,
            f"password-reset:{user.pk}:{user.password_changed_at.isoformat()}",
            _(
                "【探访关爱】您的登录密码已于 %(time)s 被 %(actor)s 重置，请登录后修改密码。"
                "如非本人申请，请立即联系安全管理员。"
            )
            % {"time": localtime(user.password_changed_at).strftime("%Y-%m-%d %H:%M"), "actor": actor.display_name},
        )


def _revoke_all_tokens(user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now())


def _tell(user: User, key: str, body: str) -> None:
    """Tell a user about its own account: in its inbox, and by SMS if it has a phone number."""
    tell_user(key=key, user_id=user.pk, body=body, link=reverse("accounts:security"), urgent=True)
    phone = phone_of(user)
    if phone:
        queue(
            key=key,
            recipient=phone,
            label=user.display_name,
            region_path=user.region_path,
            body=body,
            via=sending_channel(),
        )


def unlock_user(*, actor: User, user: User) -> None:
    """Lift a log-in lock before it runs out."""
    _reach(actor, user, "unlock", Permission.UNLOCK_USERS)
    with transaction.atomic():
        before = user.locked_until
        user.locked_until, user.failed_logins = None, 0
        user.save(update_fields=["locked_until", "failed_logins"])
        record_event(
            actor=actor,
            action=Action.USER_UNLOCKED,
            subject=user,
            changes={"locked_until": {"old": before, "new": None}},
        )


def reset_two_factor(*, actor: User, user: User) -> None:
    """Remove a user's authenticator (a lost phone): the security administrator's act, audited and told to the user.

    A user whose role requires a second factor must enrol again at its next log-in.
    """
    _reach(actor, user, "reset_two_factor", Permission.RESET_TWO_FACTOR)
    with transaction.atomic():
        had = remove_two_factor(user)
        revoked = _revoke_all_tokens(user)
        record_event(
            actor=actor,
            action=Action.TWO_FACTOR_RESET,
            subject=user,
            details={"had_authenticator": had, "tokens_revoked": revoked},
        )
        moment = now()
        _tell(
            user,
            f"2fa-reset:{user.pk}:{moment.isoformat()}",
            _("【探访关爱】您账号的两步验证已于 %(time)s 被 %(actor)s 重置。如非本人申请，请立即联系安全管理员。")
            % {"time": localtime(moment).strftime("%Y-%m-%d %H:%M"), "actor": actor.display_name},
        )


# --- user management ---------------------------------------------------------------------


@transaction.atomic
def create_admin(
    *, username: str, password: str, region_code: str, display_name: str, role: str = Role.SYSTEM_ADMIN
) -> User:
    """Create one of the three administrators from the command line: nobody grants those roles in the application.

    The region must be a province; the password follows the password rules. Audited
    as done by the system.
    """
    if role not in ADMIN_ROLES:
        raise ValidationFailed([FieldError("role", _("只能创建系统管理员、安全管理员或审计管理员"))])
    region = find_region_unscoped(region_code)  # the command line: no actor, no scope yet
    if region is None or region.level not in ROLE_REGION_LEVELS[Role(role)]:
        raise ValidationFailed([FieldError("region", _("管理员须分配到省级区划，例如 410000"))])
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationFailed([FieldError("username", _("用户名「%(name)s」已被使用") % {"name": username})])
    user = User(username=username, display_name=display_name, role=role)
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
    phone: str = ""  # on a change, "" keeps the number there is: the form never shows it in full
    organisation: str = ""
    is_active: bool = True


def _resolve_regions(actor: User, role: str, codes: Sequence[str]) -> list[Region]:
    errors: list[FieldError] = []
    unique_codes = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not unique_codes:
        raise ValidationFailed([FieldError("region_codes", _("请至少选择一个所属区划"))])
    regions = [get_region_for(actor, code) for code in unique_codes]
    allowed = ROLE_REGION_LEVELS[Role(role)] if role else frozenset(RegionLevel.values)
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
    if role != NO_ROLE and role not in Role.values:
        raise ValidationFailed([FieldError("role", _("未知的角色"))])
    if not may_give_role(actor.role, role):
        raise PermissionDenied(_("「%(role)s」的权限超出您自己的权限，您不能授予") % {"role": Role(role).label})


def _set_phone(user: User, phone: str) -> None:
    phone = re.sub(r"[\s-]", "", phone or "")
    if not phone:
        return
    if not _PHONE.fullmatch(phone):
        raise ValidationFailed([FieldError("phone", _("电话号码格式不正确"))])
    user.phone_cipher = field_cipher().encrypt(phone, context=PHONE_CONTEXT)
    user.phone_masked = mask_phone(phone)


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
        organisation=data.organisation.strip(),
        is_active=data.is_active,
        must_change_password=True,
        created_by=actor,
    )
    _set_phone(user, data.phone)
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


def update_user(*, actor: User, user: User, data: UserInput) -> User:
    """Change a user's details, role, regions or active flag, audited old → new.

    The actor must be able to manage the user as it is and as it will be: its rights within
    the actor's own (or, for the security administrator, any role but the administrators'),
    its regions within the actor's. Nobody changes its own account here. A change of role is
    audited as a grant. Refusals of an account the actor can see are audited.
    """
    _reach(actor, user, "update_user")
    try:
        _check_role(actor, data.role)
    except PermissionDenied:
        with transaction.atomic():
            record_event(
                actor=actor,
                action=Action.ACCESS_REFUSED,
                subject=user,
                details={"attempted": "grant_role", "role": data.role},
            )
        raise
    with transaction.atomic():
        regions = _resolve_regions(actor, data.role, data.region_codes)
        if not data.display_name.strip():
            raise ValidationFailed([FieldError("display_name", _("请填写姓名"))])
        before = {
            **snapshot(user, _USER_FIELDS),
            "regions": sorted(user.region_assignments.values_list("region_id", flat=True)),
        }
        user.display_name = data.display_name.strip()
        user.role = data.role
        _set_phone(user, data.phone)
        user.organisation = data.organisation.strip()
        user.is_active = data.is_active
        user.save()
        _assign_regions(user, regions)
        after = {**snapshot(user, _USER_FIELDS), "regions": sorted(r.code for r in regions)}
        changes = diff(before, after)
        if changes:
            action = Action.ROLE_GRANTED if "role" in changes else Action.USER_UPDATED
            record_event(actor=actor, action=action, subject=user, changes=changes)
        if "role" in changes or not user.is_active:
            _revoke_all_tokens(user)  # a token carries no rights of its own: it must not outlive a change of rights
    return user


# --- API tokens --------------------------------------------------------------------------


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_token(*, user: User, name: str = "", ip_address: str | None = None) -> tuple[ApiToken, str]:
    """Issue an API token for a user who has just logged in; the raw token is returned once and never stored.

    Refused while the user must change its password or must still enrol a second factor.
    """
    if user.must_change_password:
        raise PasswordChangeRequired()
    if needs_enrolment(user):
        raise SecondFactorRequired(_("您的角色须启用两步验证：请先登录网页，在「账号安全」中启用后再申请接口令牌"))
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
