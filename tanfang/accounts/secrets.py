"""The only place users' secrets are decrypted: their phone numbers (for messages to them) and TOTP secrets."""

from __future__ import annotations

from tanfang.accounts.models import PHONE_CONTEXT, TOTP_SECRET_CONTEXT, TwoFactor, User
from tanfang.core.crypto import field_cipher


def phone_of(user: User) -> str:
    """A user's full phone number, for messages to that user only; never shown on a page."""
    if not user.phone_cipher:
        return ""
    return field_cipher().decrypt(bytes(user.phone_cipher), context=PHONE_CONTEXT)


def totp_secret_of(device: TwoFactor) -> str:
    return field_cipher().decrypt(bytes(device.secret_cipher), context=TOTP_SECRET_CONTEXT)
