"""The outbox's one place for recipients in full: sealed when a message is queued, opened only to send it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tanfang.core.crypto import DecryptionError, field_cipher
from tanfang.notifications.channels import Refused
from tanfang.notifications.models import RECIPIENT_CONTEXT, Notification


def seal(recipient: str) -> bytes:
    return field_cipher().encrypt(recipient, context=RECIPIENT_CONTEXT)


def full_recipient(row: Notification) -> str:
    """The recipient in full, for the channel only: never shown, never logged."""
    if not row.recipient_cipher:
        raise Refused(_("没有保存收件人，无法发送"))
    try:
        return field_cipher().decrypt(bytes(row.recipient_cipher), context=RECIPIENT_CONTEXT)
    except DecryptionError:
        raise Refused(_("收件人无法解密，无法发送")) from None
