"""The only place visitors' phone numbers are decrypted: to send them messages, and for an audited call."""

from __future__ import annotations

from tanfang.core.crypto import field_cipher
from tanfang.core.id_numbers import mask_phone
from tanfang.visitors.models import PHONE_CONTEXT, Visitor


def phone_of(visitor: Visitor) -> str:
    """The visitor's full phone number: for its own messages, or behind an audited call."""
    if not visitor.phone_cipher:
        return ""
    return field_cipher().decrypt(bytes(visitor.phone_cipher), context=PHONE_CONTEXT)


def store_phone(visitor: Visitor, phone: str) -> None:
    """Keep a new number: encrypted, and its mask. An empty number keeps the one there is."""
    if phone:
        visitor.phone_cipher = field_cipher().encrypt(phone, context=PHONE_CONTEXT)
        visitor.phone_masked = mask_phone(phone)
