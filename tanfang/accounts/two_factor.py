"""Two-factor log-in: TOTP (RFC 6238) through pyotp, with single-use recovery codes.

The secret is stored encrypted (SM4-GCM, like elders' fields) and decrypted only here. A code is
accepted once: the step it belongs to must be later than the last step accepted. A wrong code
counts towards the account's lock-out like a wrong password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.accounts.errors import SecondFactorRefused
from tanfang.accounts.models import TOTP_SECRET_CONTEXT, RecoveryCode, TwoFactor, User
from tanfang.accounts.secrets import totp_secret_of
from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.crypto import field_cipher
from tanfang.core.errors import FieldError, ValidationFailed
from tanfang.core.time import now

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6
TOTP_PERIOD = 30
# A code from the step before or after the current one is accepted: phones' clocks drift.
DRIFT_STEPS = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


def required_for(user: User) -> bool:
    """Whether the user's role must log in with a second factor (settings.TANFANG_TWO_FACTOR_REQUIRED_ROLES)."""
    return user.role in settings.TANFANG_TWO_FACTOR_REQUIRED_ROLES


def is_enrolled(user: User) -> bool:
    return TwoFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def needs_enrolment(user: User) -> bool:
    """A user whose role requires a second factor and who has none yet: it may only enrol."""
    return required_for(user) and not is_enrolled(user)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)


def _step(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // TOTP_PERIOD


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_normal_recovery(code).encode()).hexdigest()


def _normal_recovery(code: str) -> str:
    return code.strip().lower().replace("-", "").replace(" ", "")


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash_recovery(c)) for c in codes])
    return codes


# --- enrolment ---------------------------------------------------------------------------


@transaction.atomic
def start_enrolment(*, user: User) -> str:
    """Make a new secret for the user (replacing an unconfirmed one) and return its otpauth:// URI.

    An enrolled user keeps its authenticator: to change phones it is reset by the security
    administrator, or the user logs in with a recovery code and enrols again after a reset.
    """
    if is_enrolled(user):
        raise ValidationFailed([FieldError("code", _("已启用两步验证"))])
    secret = pyotp.random_base32()
    TwoFactor.objects.filter(user=user).delete()
    TwoFactor.objects.create(user=user, secret_cipher=field_cipher().encrypt(secret, context=TOTP_SECRET_CONTEXT))
    return provisioning_uri(user, secret)


def pending_uri(user: User) -> str | None:
    """The otpauth:// URI of the user's unconfirmed secret, to draw the QR code again."""
    device = TwoFactor.objects.filter(user=user, confirmed_at__isnull=True).first()
    return provisioning_uri(user, totp_secret_of(device)) if device else None


def provisioning_uri(user: User, secret: str) -> str:
    return _totp(secret).provisioning_uri(name=user.username, issuer_name=settings.TANFANG_TWO_FACTOR_ISSUER)


def secret_of_uri(uri: str) -> str:
    """The base32 secret inside an otpauth:// URI, shown under the QR code for typing by hand."""
    return pyotp.parse_uri(uri).secret


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code: no image request, no script."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff"))


def confirm_enrolment(*, user: User, code: str, ip_address: str | None = None) -> list[str]:
    """Confirm the pending authenticator with a code from it; return the 10 recovery codes, shown once."""
    with transaction.atomic():
        device = TwoFactor.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
        if device is None:
            raise ValidationFailed([FieldError("code", _("请先扫描二维码"))])
        step = _matching_step(totp_secret_of(device), code, after=0)
        if step is not None:
            device.confirmed_at, device.last_step = now(), step
            device.save(update_fields=["confirmed_at", "last_step"])
            codes = _new_recovery_codes(user)
            record_event(actor=user, action=Action.TWO_FACTOR_ENROLLED, subject=user, ip_address=ip_address)
            return codes
    raise ValidationFailed([FieldError("code", _("验证码不正确，请核对手机时间后输入验证器当前显示的 6 位数字"))])


@transaction.atomic
def renew_recovery_codes(*, user: User, ip_address: str | None = None) -> list[str]:
    """Replace the user's recovery codes; the old ones stop working."""
    if not is_enrolled(user):
        raise ValidationFailed([FieldError("code", _("尚未启用两步验证"))])
    codes = _new_recovery_codes(user)
    record_event(actor=user, action=Action.RECOVERY_CODES_RENEWED, subject=user, ip_address=ip_address)
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- verification at log-in -------------------------------------------------------------


def _matching_step(secret: str, code: str, *, after: int) -> int | None:
    """The step whose code matches, within the allowed drift, or None."""
    code = code.strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp, current = _totp(secret), _step(now())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step if step > after else -step  # negative: right code, already used
    return None


def verify_second_factor(*, user: User, code: str, ip_address: str | None = None) -> str:
    """Check a TOTP or recovery code at log-in; return which was used ("totp" or "recovery").

    A wrong code counts towards the lock-out; a TOTP code used before, or a recovery code
    used before, is refused with its own message. Every refusal is audited.
    """
    raw = code.strip()
    if raw.replace(" ", "").isdigit():
        return _verify_totp(user, raw, ip_address)
    return _verify_recovery(user, raw, ip_address)


def _refuse(user: User, reason: str, ip_address: str | None, message: str) -> SecondFactorRefused:
    with transaction.atomic():
        record_event(
            actor=None,
            action=Action.TWO_FACTOR_FAILED,
            subject=user,
            ip_address=ip_address,
            details={"reason": reason},
        )
    return SecondFactorRefused(message)


def _verify_totp(user: User, code: str, ip_address: str | None) -> str:
    with transaction.atomic():
        device = TwoFactor.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
        step = _matching_step(totp_secret_of(device), code, after=device.last_step) if device else None
        if step is not None and step > 0:
            device.last_step = step  # type: ignore[union-attr]
            device.save(update_fields=["last_step"])  # type: ignore[union-attr]
            return "totp"
    if step is not None:  # the right code, used already
        count_failure(user, ip_address, reason="totp_reused")
        raise _refuse(user, "totp_reused", ip_address, _("该验证码已经使用过，请等待验证器显示下一个验证码"))
    count_failure(user, ip_address, reason="wrong_totp")
    raise _refuse(user, "wrong_totp", ip_address, _("验证码不正确"))


def _verify_recovery(user: User, code: str, ip_address: str | None) -> str:
    with transaction.atomic():
        row = RecoveryCode.objects.select_for_update().filter(user=user, code_hash=_hash_recovery(code)).first()
        if row is not None and row.used_at is None:
            row.used_at = now()
            row.save(update_fields=["used_at"])
            record_event(
                actor=user,
                action=Action.RECOVERY_CODE_USED,
                subject=user,
                ip_address=ip_address,
                details={"left": recovery_codes_left(user)},
            )
            return "recovery"
    if row is not None:
        count_failure(user, ip_address, reason="recovery_reused")
        raise _refuse(user, "recovery_reused", ip_address, _("该恢复码已经使用过，每个恢复码只能使用一次"))
    count_failure(user, ip_address, reason="wrong_recovery")
    raise _refuse(user, "wrong_recovery", ip_address, _("恢复码不正确"))


def count_failure(user: User, ip_address: str | None, *, reason: str) -> dt.datetime | None:
    """Count a failed log-in step towards the lock-out; return when the account is locked until, if now locked."""
    moment = now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_logins += 1
        lock_until = None
        if locked.failed_logins >= settings.TANFANG_LOGIN_MAX_FAILURES:
            lock_until = moment + dt.timedelta(minutes=settings.TANFANG_LOGIN_LOCK_MINUTES)
            locked.locked_until = lock_until
            locked.failed_logins = 0
        locked.save(update_fields=["failed_logins", "locked_until"])
        if reason in {"wrong_password", "inactive"}:
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


# --- reset -------------------------------------------------------------------------------


def remove_two_factor(user: User) -> bool:
    """Delete the user's authenticator and recovery codes; say whether there was one."""
    had = TwoFactor.objects.filter(user=user).exists()
    TwoFactor.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    return had
