"""The 企业微信 group-robot channel against a local robot: what it sends, and what each answer means."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from tanfang.notifications.channels import Message, Refused, SendError, channel
from tanfang.notifications.wecom_robot import WeComRobotChannel, parse_robot_keys

KEY = "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"
ROBOT = "城关镇值班群"
DIGEST_KEY = "digest:visitor:12:2026-11-24"
REFERENCE = "\n编号：digest:visitor:12:2026-11-24"  # 1 + 9 + 28 = 38 bytes in UTF-8


@dataclass
class Robot:
    """A stand-in for qyapi.weixin.qq.com that checks each request as the real robot would."""

    url: str
    mode: str = "ok"
    requests: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, path: str, headers: Any, raw: bytes) -> tuple[int, bytes]:
        query = parse_qs(urlsplit(path).query)
        if urlsplit(path).path != "/cgi-bin/webhook/send" or query.get("key") != [KEY]:
            return 200, b'{"errcode":93000,"errmsg":"invalid webhook url, hint: [x]"}'
        if headers.get("Content-Type") != "application/json; charset=utf-8":
            self.problems.append(f"content type {headers.get('Content-Type')}")
        payload = json.loads(raw)
        self.requests.append(payload)
        if payload.get("msgtype") != "text" or not set(payload["text"]) <= {
            "content",
            "mentioned_list",
            "mentioned_mobile_list",
        }:
            return 200, b'{"errcode":40008,"errmsg":"invalid message type"}'
        content = payload["text"].get("content", "")
        if not content:
            return 200, b'{"errcode":44004,"errmsg":"empty content"}'
        if len(content.encode("utf-8")) > 2048:
            self.problems.append(f"content of {len(content.encode('utf-8'))} bytes")
            return 200, b'{"errcode":40058,"errmsg":"content exceed max length 2048"}'
        if self.mode == "ok":
            return 200, b'{"errcode":0,"errmsg":"ok"}'
        if self.mode == "45009":
            return 200, b'{"errcode":45009,"errmsg":"api freq out of limit"}'
        if self.mode == "93000":
            return 200, b'{"errcode":93000,"errmsg":"invalid webhook url"}'
        if self.mode == "-1":
            return 200, b'{"errcode":-1,"errmsg":"system busy"}'
        if self.mode == "unknown":
            return 200, b'{"errcode":60020,"errmsg":"not allow to access from your ip"}'
        if self.mode == "echo_key":
            return 200, json.dumps({"errcode": 0, "errmsg": f"ok {KEY}"}).encode()
        if self.mode == "502":
            return 502, b"<html>Bad Gateway</html>"
        if self.mode == "404":
            return 404, b"not found"
        if self.mode == "malformed":
            return 200, b'{"errcode": 0, "errmsg": "ok"'
        if self.mode == "not_an_object":
            return 200, b'["ok"]'
        if self.mode == "slow":
            # answers only when the test lets it, well after the client has given up
            self.release.wait(10)
            return 200, b'{"errcode":0,"errmsg":"ok"}'
        raise AssertionError(self.mode)


@pytest.fixture
def robot() -> Iterator[Robot]:
    state: Robot

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            status, body = state.answer(self.path, self.headers, raw)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (the slow mode)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = Robot(url=f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)
    assert state.problems == []


def robot_channel(robot: Robot, *, timeout: float = 5) -> WeComRobotChannel:
    return WeComRobotChannel(url=robot.url, keys={ROBOT: KEY, "南街村": "another-key"}, timeout=timeout)


def test_a_message_is_posted_as_text_with_its_key_as_reference(robot):
    # when
    delivery = robot_channel(robot).send(
        Message(key=DIGEST_KEY, recipient=ROBOT, body="【探访关爱】今天有 2 位老人逾期")
    )

    # then
    assert delivery.answer == "ok"
    assert delivery.provider_id == ""
    assert robot.requests == [{"msgtype": "text", "text": {"content": "【探访关爱】今天有 2 位老人逾期" + REFERENCE}}]


@pytest.mark.parametrize(
    "key",
    [
        "sms:13812345678",  # a phone number
        "reveal:410823199001011234",  # an ID number
        "digest:陈晓:2026-11-24",  # a name
        "x" * 65,  # too long to be a short reference
    ],
)
def test_a_key_that_could_carry_personal_data_is_left_out_of_the_text(robot, key):
    # when
    robot_channel(robot).send(Message(key=key, recipient=ROBOT, body="请今天联系王老汉"))

    # then
    assert robot.requests == [{"msgtype": "text", "text": {"content": "请今天联系王老汉"}}]


def test_a_long_text_is_cut_on_a_character_boundary_and_marked(robot):
    # given 1 + 3 × 1000 bytes: only 2048 − 38 (reference) − 3 ("…") = 2007 fit, which splits a character
    body = "a" + "老" * 1000

    # when
    robot_channel(robot).send(Message(key=DIGEST_KEY, recipient=ROBOT, body=body))

    # then the whole characters that fit are kept, and the cut is said
    content = robot.requests[0]["text"]["content"]
    assert content == "a" + "老" * 668 + "…" + REFERENCE
    assert len(content.encode("utf-8")) == 2046


def test_a_text_exactly_at_the_limit_is_sent_whole(robot):
    # given 2048 bytes with no reference (the key holds a name)
    body = "老" * 682 + "ab"

    # when
    robot_channel(robot).send(Message(key="逾期:王老汉", recipient=ROBOT, body=body))

    # then
    assert robot.requests[0]["text"]["content"] == body
    assert len(body.encode("utf-8")) == 2048


def test_a_text_one_byte_over_the_limit_is_cut(robot):
    # when
    robot_channel(robot).send(Message(key="逾期:王老汉", recipient=ROBOT, body="老" * 682 + "abc"))

    # then 2045 bytes of text are room for 681 whole 老 (2043 bytes) and a third of the next, which
    # is dropped; "…" takes the last three
    content = robot.requests[0]["text"]["content"]
    assert content == "老" * 681 + "…"
    assert len(content.encode("utf-8")) == 2046


def test_an_unconfigured_robot_is_refused_without_a_request(robot):
    with pytest.raises(Refused) as refused:
        robot_channel(robot).send(Message(key=DIGEST_KEY, recipient="东关镇值班群", body="提醒"))

    assert str(refused.value) == "未配置的企业微信机器人 东关镇值班群"
    assert robot.requests == []


def test_an_empty_text_is_refused_without_a_request(robot):
    with pytest.raises(Refused) as refused:
        robot_channel(robot).send(Message(key=DIGEST_KEY, recipient=ROBOT, body="  \n"))

    assert str(refused.value) == "消息内容为空"
    assert robot.requests == []


@pytest.mark.parametrize(
    ("mode", "text"),
    [
        ("45009", "企业微信机器人 城关镇值班群：接口调用超过频率限制（45009）"),
        ("-1", "企业微信机器人 城关镇值班群：系统繁忙（-1）"),
        ("unknown", "企业微信机器人 城关镇值班群：未知错误（60020）"),
        ("502", "企业微信机器人服务暂不可用（HTTP 502）"),
        ("malformed", "企业微信机器人的应答无法解析"),
        ("not_an_object", "企业微信机器人的应答无法解析"),
    ],
)
def test_a_temporary_failure_is_tried_again_later(robot, mode, text):
    # given
    robot.mode = mode

    # when
    with pytest.raises(SendError) as failed:
        robot_channel(robot).send(Message(key=DIGEST_KEY, recipient=ROBOT, body="提醒"))

    # then it is a temporary failure, not a refusal, and the robot was asked once
    assert type(failed.value) is SendError
    assert str(failed.value) == text
    assert len(robot.requests) == 1


@pytest.mark.parametrize(
    ("mode", "text"),
    [
        ("93000", "企业微信机器人 城关镇值班群：机器人 webhook 地址或 key 无效（93000）"),
        ("404", "企业微信机器人拒绝了请求（HTTP 404）"),
    ],
)
def test_a_permanent_failure_is_refused(robot, mode, text):
    # given
    robot.mode = mode

    # when
    with pytest.raises(Refused) as refused:
        robot_channel(robot).send(Message(key=DIGEST_KEY, recipient=ROBOT, body="提醒"))

    # then
    assert str(refused.value) == text


def test_a_wrong_key_is_refused_and_never_named(robot):
    # given a robot whose configured key the server does not know
    channel_ = WeComRobotChannel(url=robot.url, keys={ROBOT: "revoked-key-123"}, timeout=5)

    # when
    with pytest.raises(Refused) as refused:
        channel_.send(Message(key=DIGEST_KEY, recipient=ROBOT, body="提醒"))

    # then
    assert str(refused.value) == "企业微信机器人 城关镇值班群：机器人 webhook 地址或 key 无效（93000）"
    assert "revoked-key-123" not in repr(refused.value)


# (runs under the frozen faked clocks of .ci/run too: the socket's wait is the kernel's poll timeout)
def test_a_robot_slower_than_the_timeout_is_a_temporary_failure(robot):
    # given a robot that answers only after the client has given up
    robot.mode = "slow"

    # when
    with pytest.raises(SendError) as failed:
        robot_channel(robot, timeout=0.2).send(Message(key=DIGEST_KEY, recipient=ROBOT, body="提醒"))

    # then
    assert type(failed.value) is SendError
    assert str(failed.value) == "企业微信机器人 0.2 秒内未应答"


def test_a_robot_that_cannot_be_reached_is_a_temporary_failure():
    # given a port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel_ = WeComRobotChannel(url=f"http://127.0.0.1:{port}/cgi-bin/webhook/send", keys={ROBOT: KEY}, timeout=5)

    # when
    with pytest.raises(SendError) as failed:
        channel_.send(Message(key=DIGEST_KEY, recipient=ROBOT, body="提醒"))

    # then
    assert type(failed.value) is SendError
    assert str(failed.value) == "无法连接企业微信机器人（ConnectionRefusedError）"


@pytest.mark.parametrize("mode", ["45009", "93000", "502", "404", "malformed", "unknown"])
def test_no_failure_carries_the_key(robot, mode, caplog):
    # given
    robot.mode = mode

    # when
    with pytest.raises(SendError) as failed:
        robot_channel(robot).send(Message(key=DIGEST_KEY, recipient=ROBOT, body="提醒"))

    # then neither the exception, nor what it was raised from, nor the log names the key
    assert KEY not in repr(failed.value)
    assert failed.value.__cause__ is None
    assert failed.value.__context__ is None
    assert KEY not in caplog.text


def test_a_provider_answer_that_echoes_the_key_is_recorded_without_it(robot):
    # given
    robot.mode = "echo_key"

    # when
    delivery = robot_channel(robot).send(Message(key=DIGEST_KEY, recipient=ROBOT, body="提醒"))

    # then
    assert delivery.answer == "ok ***"


def test_the_channel_reads_its_settings(settings):
    # given the keys as the environment gives them
    settings.TANFANG_WECOM_ROBOT_URL = "http://127.0.0.1:9/send"
    settings.TANFANG_WECOM_ROBOT_KEYS = "城关镇值班群:k1, 南街村 :k2,"
    settings.TANFANG_WECOM_ROBOT_TIMEOUT_SECONDS = "3"

    # when
    found = WeComRobotChannel.from_settings()

    # then
    assert (found.url, found.keys, found.timeout) == (
        "http://127.0.0.1:9/send",
        {"城关镇值班群": "k1", "南街村": "k2"},
        3.0,
    )


def test_the_channel_is_found_by_its_name(settings):
    # given
    settings.TANFANG_WECOM_ROBOT_KEYS = {ROBOT: KEY}

    # when
    found = channel("wecom_robot")

    # then
    assert isinstance(found, WeComRobotChannel)
    assert found.name == "wecom_robot"
    assert found.keys == {ROBOT: KEY}


def test_the_settings_default_to_the_public_robot_and_no_keys(settings):
    # given nothing configured
    for name in ("TANFANG_WECOM_ROBOT_URL", "TANFANG_WECOM_ROBOT_KEYS", "TANFANG_WECOM_ROBOT_TIMEOUT_SECONDS"):
        if hasattr(settings, name):
            delattr(settings, name)

    # when
    found = WeComRobotChannel.from_settings()

    # then
    assert (found.url, found.keys, found.timeout) == ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", {}, 10.0)


def test_keys_may_be_given_as_a_mapping(settings):
    settings.TANFANG_WECOM_ROBOT_KEYS = {ROBOT: KEY}

    assert WeComRobotChannel.from_settings().keys == {ROBOT: KEY}


def test_a_url_of_another_scheme_is_refused_at_start():
    with pytest.raises(ImproperlyConfigured):
        WeComRobotChannel(url="file:///etc/passwd", keys={ROBOT: KEY})


def test_a_malformed_key_list_names_the_entry_and_not_the_key():
    with pytest.raises(ValueError) as invalid:
        parse_robot_keys("城关镇值班群:k1,secret-without-name")

    assert str(invalid.value) == "TANFANG_WECOM_ROBOT_KEYS 第 2 项应为“名称:key”"
