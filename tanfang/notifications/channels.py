"""Where messages go: every channel behind one interface, chosen per message by its `channel` name.

A channel gets a `Message` (the outbox row's key, the recipient, the text) and either returns a
`Delivery` (the provider took it) or raises:
- `SendError`: a temporary failure (timeout, 5xx, throttled): the outbox retries with back-off;
- `Refused`: a permanent one (a bad number, a template the provider rejects): the row fails at once.

The key goes to the provider as its idempotency or "out" id, so that a crash between sending and
recording cannot deliver twice where the provider de-duplicates. Channels never see the database.
"""

from __future__ import annotations

import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from tanfang.core.id_numbers import mask_phone

logger = logging.getLogger("tanfang.notifications")


@dataclass(frozen=True)
class Message:
    key: str  # the outbox row's unique key: the provider's idempotency / out id
    recipient: str  # a phone number (SMS), a robot name (WeCom), a user id (inbox)
    body: str


@dataclass(frozen=True)
class Delivery:
    provider_id: str = ""  # the provider's id for the message, if it gives one
    answer: str = ""  # the provider's answer in short, kept with the attempt (no personal data)


class SendError(Exception):
    """A temporary failure: the message is tried again later."""


class Refused(SendError):
    """A permanent failure: trying again would not help; the message fails at once."""


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> Delivery: ...


class ConsoleChannel:
    """For the demo: writes the message to the log instead of sending it (the number is masked)."""

    name = "console"

    def send(self, message: Message) -> Delivery:
        logger.info("短信 → %s：%s", mask_phone(message.recipient), message.body)
        return Delivery(answer="logged")


class FakeChannel:
    """For tests: keeps what was sent; can be told to fail, temporarily or for good."""

    name = "fake"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.keys: list[str] = []  # the idempotency id of every message handed over
        self.fail_next = 0
        self.refuse_next = 0

    def send(self, message: Message) -> Delivery:
        if self.refuse_next:
            self.refuse_next -= 1
            raise Refused("号码无效")
        if self.fail_next:
            self.fail_next -= 1
            raise SendError("网关超时")
        self.sent.append((message.recipient, message.body))
        self.keys.append(message.key)
        return Delivery(provider_id=f"fake-{len(self.sent)}", answer="OK")

    def reset(self) -> None:
        self.sent.clear()
        self.keys.clear()
        self.fail_next = self.refuse_next = 0


_FAKE = FakeChannel()
# Every channel by name: a factory taking no argument and reading its own settings, by dotted path so
# that this module imports none of them.
FACTORIES: dict[str, str] = {
    "console": "tanfang.notifications.channels.ConsoleChannel",
    "fake": "tanfang.notifications.channels.fake_channel",
    "aliyun_sms": "tanfang.notifications.aliyun_sms.AliyunSmsChannel.from_settings",
    "wecom_robot": "tanfang.notifications.wecom_robot.WeComRobotChannel.from_settings",
}


def channel(name: str | None = None) -> Channel:
    """The channel of that name, or the configured SMS channel (`TANFANG_SMS_CHANNEL`)."""
    wanted = str(name or getattr(settings, "TANFANG_SMS_CHANNEL", "console"))
    path = FACTORIES.get(wanted)
    if path is None:
        raise Refused(f"未知的发送渠道 {wanted}")
    factory: Callable[[], Channel] = pkgutil.resolve_name(path)  # "module.Class.method" paths too
    return factory()


def fake_channel() -> FakeChannel:
    return _FAKE
