"""The 企业微信 (WeCom) group-robot channel: a text message to a group chat through its webhook.

A robot is added to a group (a township's duty group, say) and given a key; we POST
`<url>?key=<key>` with `{"msgtype": "text", "text": {"content": …}}` and the robot answers
`{"errcode": 0, "errmsg": "ok"}` or an error code. The message's `recipient` is the robot's name in
`TANFANG_WECOM_ROBOT_KEYS`, never the key itself, so that keys stay in the settings.

What the answers mean here:
- errcode 0: delivered;
- -1 (system busy), 45009 (API frequency limit: 20 messages a minute per robot), HTTP 5xx, a timeout,
  a connection error, an answer that is not the expected JSON: `SendError`, tried again later;
- 93000 (invalid webhook URL or key), 40008 (invalid message type), 44004 (empty text), an HTTP 4xx,
  a robot name with no key, an empty message: `Refused`, failed at once;
- any other error code: `SendError`, so that the outbox's own limit on attempts decides.

The robot API takes no idempotency id. A crash between the robot's answer and the outbox recording
it means the outbox sends again and the group sees the message twice; the outbox records every
attempt, so a repeat can be traced. To make a repeat recognisable, the outbox key is put at the end
of the text as a short reference when it carries no personal data (keys like
`digest:visitor:12:2026-11-24`).

The key is a secret (anyone holding it can post to the group): it never appears in an exception, a
log record or a recorded answer.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext

from tanfang.notifications.channels import Delivery, Message, Refused, SendError

logger = logging.getLogger("tanfang.notifications")

DEFAULT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_CONTENT_BYTES = 2048  # the robot's limit on text content, in UTF-8 bytes
ELLIPSIS = "…"

TEMPORARY_CODES = {-1: "系统繁忙", 45009: "接口调用超过频率限制"}
PERMANENT_CODES = {
    93000: "机器人 webhook 地址或 key 无效",
    40008: "消息类型不合法",
    44004: "消息内容为空",
}

# A key may close the text only if it is short, plain ASCII and holds no long run of digits (a
# phone or ID number); names and other free text never pass.
_SAFE_REFERENCE = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_LONG_NUMBER = re.compile(r"\d{7,}")
_ANSWER_CHARS = 200


def parse_robot_keys(text: str) -> dict[str, str]:
    """Read "name1:key1,name2:key2" (as given in the environment) into {name: key}.

    A name may hold any character but "," and ":"; blank entries are skipped. Raises ValueError on
    an entry without a name or a key, naming the entry's position and never the key.
    """
    keys: dict[str, str] = {}
    for position, entry in enumerate(text.split(","), start=1):
        if not entry.strip():
            continue
        name, sep, key = entry.partition(":")
        if not sep or not name.strip() or not key.strip():
            raise ValueError(f"TANFANG_WECOM_ROBOT_KEYS 第 {position} 项应为“名称:key”")
        keys[name.strip()] = key.strip()
    return keys


def reference_for(key: str) -> str:
    """The outbox key if it may be shown in the group as a reference, else ""."""
    if _SAFE_REFERENCE.fullmatch(key) and not _LONG_NUMBER.search(key):
        return key
    return ""


def truncate_utf8(text: str, limit: int) -> str:
    """Cut text to at most `limit` UTF-8 bytes on a character boundary, marking a cut with "…"."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    if room < 0:
        return ""
    # errors="ignore" drops the partial character a byte cut may leave at the end.
    return encoded[:room].decode("utf-8", errors="ignore") + ELLIPSIS


def content_for(message: Message) -> str:
    """The text the group sees: the body, cut to fit, then the outbox key as a reference if safe."""
    reference = reference_for(message.key)
    suffix = ("\n" + gettext("编号：%(reference)s") % {"reference": reference}) if reference else ""
    room = MAX_CONTENT_BYTES - len(suffix.encode("utf-8"))
    return truncate_utf8(message.body, room) + suffix


class WeComRobotChannel:
    """Sends a message to the group of the robot named by its recipient."""

    name = "wecom_robot"

    def __init__(
        self, *, url: str = DEFAULT_URL, keys: Mapping[str, str], timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ImproperlyConfigured("TANFANG_WECOM_ROBOT_URL 须以 https:// 或 http:// 开头")
        self.url = url
        self.keys = dict(keys)
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> WeComRobotChannel:
        """The channel as configured: TANFANG_WECOM_ROBOT_URL, _KEYS ({name: key} or "name:key,…"),
        _TIMEOUT_SECONDS."""
        keys: Mapping[str, str] | str = getattr(settings, "TANFANG_WECOM_ROBOT_KEYS", {})
        return cls(
            url=getattr(settings, "TANFANG_WECOM_ROBOT_URL", DEFAULT_URL),
            keys=parse_robot_keys(keys) if isinstance(keys, str) else keys,
            timeout=float(getattr(settings, "TANFANG_WECOM_ROBOT_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)),
        )

    def send(self, message: Message) -> Delivery:
        robot_key = self.keys.get(message.recipient)
        if not robot_key:
            raise Refused(f"未配置的企业微信机器人 {message.recipient}")
        if not message.body.strip():
            raise Refused("消息内容为空")
        payload = {"msgtype": "text", "text": {"content": content_for(message)}}
        answer = self._post(robot_key, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        return self._delivery(robot_key, message.recipient, answer)

    def _post(self, robot_key: str, data: bytes) -> Any:
        separator = "&" if urllib.parse.urlsplit(self.url).query else "?"
        url = f"{self.url}{separator}{urllib.parse.urlencode({'key': robot_key})}"
        request = urllib.request.Request(  # noqa: S310 (http or https only: checked in __init__)
            url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
        )
        try:
            return json.loads(self._exchange(request))
        except ValueError:
            pass
        raise SendError("企业微信机器人的应答无法解析")

    def _exchange(self, request: urllib.request.Request) -> bytes:
        # urllib's exceptions carry the URL, and with it the key: they are turned into ours outside
        # the `except` blocks, so that not even an exception's context refers to them.
        failure: SendError
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (our URL)
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            if status >= 500 or status == 429:
                failure = SendError(f"企业微信机器人服务暂不可用（HTTP {status}）")
            else:
                failure = Refused(f"企业微信机器人拒绝了请求（HTTP {status}）")
        except TimeoutError:
            failure = SendError(f"企业微信机器人 {self.timeout:g} 秒内未应答")
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                failure = SendError(f"企业微信机器人 {self.timeout:g} 秒内未应答")
            else:
                failure = SendError(f"无法连接企业微信机器人（{type(exc.reason).__name__}）")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # a reset connection, a cut-off answer, a malformed URL
            failure = SendError(f"企业微信机器人连接中断（{type(exc).__name__}）")
        raise failure

    def _delivery(self, robot_key: str, robot: str, answer: Any) -> Delivery:
        if not isinstance(answer, dict) or not isinstance(answer.get("errcode"), int):
            raise SendError("企业微信机器人的应答无法解析")
        code: int = answer["errcode"]
        errmsg = _redact(str(answer.get("errmsg", "")), robot_key)[:_ANSWER_CHARS]
        if code == 0:
            return Delivery(answer=errmsg or "ok")
        if code in PERMANENT_CODES:
            raise Refused(f"企业微信机器人 {robot}：{PERMANENT_CODES[code]}（{code}）")
        if code not in TEMPORARY_CODES:
            # kept in the log for whoever looks up the code; the attempt records only the number
            logger.warning("企业微信机器人 %s 应答未知错误码 %s：%s", robot, code, errmsg)
        meaning = TEMPORARY_CODES.get(code, "未知错误")
        raise SendError(f"企业微信机器人 {robot}：{meaning}（{code}）")


def _redact(text: str, robot_key: str) -> str:
    return text.replace(robot_key, "***") if robot_key else text
