"""Where messages go. Production plugs in an SMS gateway behind `SmsChannel`; tests use the fake."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings

from tanfang.core.id_numbers import mask_phone

logger = logging.getLogger("tanfang.notifications")


class SendError(Exception):
    """The channel could not deliver; the row stays pending for a retry."""


class SmsChannel(Protocol):
    name: str

    def send(self, phone: str, text: str) -> None: ...


class ConsoleChannel:
    """For the demo: writes the message to the log instead of sending it (the number is masked)."""

    name = "console"

    def send(self, phone: str, text: str) -> None:
        logger.info("短信 → %s：%s", mask_phone(phone), text)


class FakeChannel:
    """For tests: keeps what was sent; can be told to fail."""

    name = "fake"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail_next = 0

    def send(self, phone: str, text: str) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise SendError("网关超时")
        self.sent.append((phone, text))


_FAKE = FakeChannel()


def channel() -> SmsChannel:
    configured = getattr(settings, "TANFANG_SMS_CHANNEL", "console")
    if configured == "fake":
        return _FAKE
    return ConsoleChannel()


def fake_channel() -> FakeChannel:
    return _FAKE
