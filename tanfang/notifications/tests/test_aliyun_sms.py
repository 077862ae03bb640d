"""The Alibaba Cloud SMS channel, against a local server that speaks SendSms and checks signatures."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from tanfang.core.time import LOCAL_TZ
from tanfang.notifications.aliyun_sms import AliyunSmsChannel, rpc_signature, string_to_sign
from tanfang.notifications.channels import Delivery, Message, Refused, SendError, channel

KEY_ID = "LTAI5tTestKeyId"
SECRET = "s3cr3t-Test-Secret"
PHONE = "13812345678"
SIGN_NAME = "探访关爱"
TEMPLATE = "SMS_123456789"
BIZ_ID = "900619746936498440^0"


# ---- a local stand-in for dysmsapi.aliyuncs.com ----------------------------------------------------


def _encode(value: str) -> str:
    # the server's own reading of the published rule, not the client's helper
    return urllib.parse.quote(value, safe="-_.~")


def _expected_signature(method: str, params: dict[str, str], secret: str) -> str:
    canonical = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&%2F&{_encode(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


@dataclass
class FakeAliyun:
    url: str
    mode: str = "ok"
    requests: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _handler(fake: FakeAliyun) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _answer(self, status: int, payload: object, *, raw: bytes | None = None) -> None:
            body = raw if raw is not None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            params = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("ascii"), keep_blank_values=True))
            fake.requests.append(params)
            if self.path != "/":
                fake.problems.append(f"path {self.path}")
            if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                fake.problems.append("content type")
            expected = {
                "Format": "JSON",
                "Version": "2017-05-25",
                "Action": "SendSms",
                "SignatureMethod": "HMAC-SHA1",
                "SignatureVersion": "1.0",
            }
            for name, value in expected.items():
                if params.get(name) != value:
                    fake.problems.append(f"{name}={params.get(name)!r}")
            try:
                dt.datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ")
            except ValueError:
                fake.problems.append("Timestamp")
            try:
                if uuid.UUID(params.get("SignatureNonce", "")).version != 4:
                    fake.problems.append("SignatureNonce")
            except ValueError:
                fake.problems.append("SignatureNonce")
            if params.get("AccessKeyId") != KEY_ID:
                self._answer(
                    404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}
                )
                return
            unsigned = {k: v for k, v in params.items() if k != "Signature"}
            if params.get("Signature") != _expected_signature("POST", unsigned, SECRET):
                self._answer(
                    400,
                    {
                        "RequestId": "7A3E1F2B-0000-4A6C-9D43-2F35B5E5E0A1",
                        "HostId": "dysmsapi.aliyuncs.com",
                        "Code": "SignatureDoesNotMatch",
                        "Message": "Specified signature is not matched with our calculation.",
                    },
                )
                return
            request_id = "F655A8D5-B967-440B-8683-DAD6FF8DE990"
            if fake.mode == "ok":
                self._answer(200, {"Message": "OK", "RequestId": request_id, "BizId": BIZ_ID, "Code": "OK"})
            elif fake.mode == "bad_number":
                # the provider names the number in its message: the channel must not pass it on
                message = f"invalid mobile number {params['PhoneNumbers']}"
                self._answer(200, {"Message": message, "RequestId": request_id, "Code": "isv.MOBILE_NUMBER_ILLEGAL"})
            elif fake.mode == "throttled":
                self._answer(
                    200,
                    {
                        "Message": "触发分钟级流控Permits:1",
                        "RequestId": request_id,
                        "Code": "isv.BUSINESS_LIMIT_CONTROL",
                    },
                )
            elif fake.mode == "day_limit":
                self._answer(
                    200, {"Message": "触发天级流控Permits:10", "RequestId": request_id, "Code": "isv.DAY_LIMIT_CONTROL"}
                )
            elif fake.mode == "user_throttling":
                self._answer(
                    400,
                    {
                        "RequestId": request_id,
                        "HostId": "dysmsapi.aliyuncs.com",
                        "Code": "Throttling.User",
                        "Message": "Request was denied due to user flow control.",
                    },
                )
            elif fake.mode == "unavailable":
                self._answer(503, None, raw=b"<html><body>503 Service Temporarily Unavailable</body></html>")
            elif fake.mode == "malformed":
                self._answer(200, None, raw=b'{"Code": "OK", "BizId": ')
            elif fake.mode == "slow":
                fake.release.wait(timeout=10)  # longer than the client waits; released at teardown
                self._answer(200, {"Message": "OK", "RequestId": request_id, "BizId": BIZ_ID, "Code": "OK"})

    return Handler


@pytest.fixture
def aliyun() -> Iterator[FakeAliyun]:
    fake = FakeAliyun(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))  # port 0: a free one
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def configured(settings, aliyun: FakeAliyun) -> FakeAliyun:
    settings.TANFANG_ALIYUN_SMS_ENDPOINT = aliyun.url
    settings.TANFANG_ALIYUN_SMS_ACCESS_KEY_ID = KEY_ID
    settings.TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET
    settings.TANFANG_ALIYUN_SMS_SIGN_NAME = SIGN_NAME
    settings.TANFANG_ALIYUN_SMS_TEMPLATE_CODE = TEMPLATE
    settings.TANFANG_ALIYUN_SMS_TIMEOUT_SECONDS = 0.5
    return aliyun


MESSAGE = Message(key="digest:41:2026-11-24", recipient=PHONE, body="【探访关爱】陈晓，今天有 1 位老人已逾期")


# ---- the signature ---------------------------------------------------------------------------------


def test_the_signature_matches_alibaba_clouds_published_example():
    # given the parameters of the example in Alibaba Cloud's "signature mechanism" page
    params = {
        "TimeStamp": "2016-02-23T12:46:24Z",
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Version": "2014-05-26",
        "SignatureVersion": "1.0",
    }

    # then the string to sign and the signature are the published ones
    assert string_to_sign("GET", params) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert rpc_signature("GET", params, "testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_a_send_sms_request_is_signed_as_the_published_rule_says():
    # given a fixed request whose text needs every special case of the encoding (Chinese, space, *, ~)
    sender = AliyunSmsChannel(
        access_key_id="testid", access_key_secret="testsecret", sign_name=SIGN_NAME, template_code=TEMPLATE
    )
    message = Message(key="digest:7:2026-11-24", recipient=PHONE, body="a b*c~")

    # when
    params = sender.signed_params(
        message,
        nonce="3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        moment=dt.datetime(2026, 11, 24, 9, 30, tzinfo=LOCAL_TZ),
    )

    # then the string to sign is the one written out by hand from the rule: sorted names, RFC 3986
    # (space %20, * %2A, ~ kept), encoded once inside the canonical string and once again around it
    spec_string = (
        "POST&%2F&AccessKeyId%3Dtestid%26Action%3DSendSms%26Format%3DJSON"
        "%26OutId%3Ddigest%253A7%253A2026-11-24%26PhoneNumbers%3D13812345678"
        "%26SignName%3D%25E6%258E%25A2%25E8%25AE%25BF%25E5%2585%25B3%25E7%2588%25B1"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_123456789"
        "%26TemplateParam%3D%257B%2522content%2522%253A%2520%2522a%2520b%252Ac~%2522%257D"
        "%26Timestamp%3D2026-11-24T01%253A30%253A00Z%26Version%3D2017-05-25"
    )
    unsigned = {k: v for k, v in params.items() if k != "Signature"}
    assert string_to_sign("POST", unsigned) == spec_string
    expected = base64.b64encode(hmac.new(b"testsecret&", spec_string.encode(), hashlib.sha1).digest()).decode()
    assert expected == "u+oPua87P/Osl5fl0ijWAG5FHYs="
    assert params["Signature"] == expected


# ---- sending ---------------------------------------------------------------------------------------


def test_a_message_goes_out_signed_with_the_outbox_key_as_out_id(configured):
    # given the channel as built from its settings
    sender = AliyunSmsChannel.from_settings()

    # when
    with time_machine.travel(dt.datetime(2026, 11, 24, 9, 30, 5, tzinfo=LOCAL_TZ), tick=False):
        delivery = sender.send(MESSAGE)

    # then the provider took it, and the request was what SendSms expects
    assert delivery == Delivery(provider_id=BIZ_ID, answer="OK")
    assert configured.problems == []
    [request] = configured.requests
    assert request["OutId"] == "digest:41:2026-11-24"
    assert json.loads(request["TemplateParam"]) == {"content": "【探访关爱】陈晓，今天有 1 位老人已逾期"}
    assert request["PhoneNumbers"] == PHONE
    assert request["SignName"] == SIGN_NAME
    assert request["TemplateCode"] == TEMPLATE
    assert request["AccessKeyId"] == KEY_ID
    assert request["Timestamp"] == "2026-11-24T01:30:05Z"
    assert SECRET not in json.dumps(request)


def test_the_outbox_finds_the_channel_by_its_name(configured):
    sender = channel("aliyun_sms")

    assert isinstance(sender, AliyunSmsChannel)
    assert sender.send(MESSAGE) == Delivery(provider_id=BIZ_ID, answer="OK")


def test_every_request_has_a_fresh_nonce(configured):
    sender = AliyunSmsChannel.from_settings()

    sender.send(MESSAGE)
    sender.send(MESSAGE)

    first, second = (request["SignatureNonce"] for request in configured.requests)
    assert first != second
    assert configured.problems == []


def test_text_with_characters_that_need_encoding_arrives_intact(configured):
    # given a body with what form encoding and the signature most easily get wrong
    body = "张 三*~ 100% & a=b + c/d？\n第二行"

    # when
    delivery = AliyunSmsChannel.from_settings().send(Message(key="k 1/2", recipient=PHONE, body=body))

    # then the signature matched on the server, and the text is exactly what was sent
    assert delivery.answer == "OK"
    [request] = configured.requests
    assert json.loads(request["TemplateParam"]) == {"content": body}
    assert request["OutId"] == "k 1/2"


@pytest.mark.parametrize(
    ("mode", "error_type", "text"),
    [
        ("bad_number", Refused, "阿里云短信拒绝发送（isv.MOBILE_NUMBER_ILLEGAL：手机号码格式错误）"),
        ("throttled", SendError, "阿里云短信暂时无法发送（isv.BUSINESS_LIMIT_CONTROL：发送频率超限），稍后重试"),
        ("day_limit", SendError, "阿里云短信暂时无法发送（isv.DAY_LIMIT_CONTROL：已达当日发送上限），稍后重试"),
        ("user_throttling", SendError, "阿里云短信暂时无法发送（Throttling.User），稍后重试"),
        ("unavailable", SendError, "阿里云短信服务暂时不可用（HTTP 503），稍后重试"),
        ("malformed", SendError, "阿里云短信服务的回答无法识别（HTTP 200），稍后重试"),
    ],
)
def test_the_providers_answers_are_told_apart(configured, mode, error_type, text):
    # given
    configured.mode = mode

    # when
    with pytest.raises(SendError) as raised:
        AliyunSmsChannel.from_settings().send(MESSAGE)

    # then temporary failures are retried (SendError), permanent ones refused, and the text says
    # which, without the number or the secret
    assert type(raised.value) is error_type
    assert str(raised.value) == text
    assert PHONE not in str(raised.value) and SECRET not in str(raised.value)
    assert len(configured.requests) == 1
    assert configured.problems == []


# real_clock: the client's socket timeout is measured on the monotonic clock, which the frozen faked
# clock of .ci/run stops; .ci/run leaves this out of its faked runs only.
@pytest.mark.real_clock
def test_a_provider_slower_than_the_timeout_is_a_temporary_failure(configured, settings):
    # given a provider that answers only after the client has given up
    configured.mode = "slow"
    settings.TANFANG_ALIYUN_SMS_TIMEOUT_SECONDS = 0.2

    # when
    with pytest.raises(SendError) as raised:
        AliyunSmsChannel.from_settings().send(MESSAGE)

    # then
    assert type(raised.value) is SendError
    assert str(raised.value) == "阿里云短信服务超时，稍后重试"
    assert len(configured.requests) == 1


def test_a_wrong_secret_is_refused_as_the_provider_answers(configured, settings):
    # given
    settings.TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET = "not-the-secret"

    # when
    with pytest.raises(Refused) as raised:
        AliyunSmsChannel.from_settings().send(MESSAGE)

    # then
    assert str(raised.value) == "阿里云短信拒绝发送（SignatureDoesNotMatch：请求签名不匹配，请检查 AccessKey Secret）"
    assert "not-the-secret" not in str(raised.value)


def test_an_unknown_access_key_is_refused(configured, settings):
    settings.TANFANG_ALIYUN_SMS_ACCESS_KEY_ID = "LTAI-unknown"

    with pytest.raises(Refused) as raised:
        AliyunSmsChannel.from_settings().send(MESSAGE)

    assert str(raised.value) == "阿里云短信拒绝发送（InvalidAccessKeyId.NotFound：AccessKey ID 不存在）"


def test_a_provider_that_cannot_be_reached_is_a_temporary_failure(settings):
    # given a port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = AliyunSmsChannel(
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        sign_name=SIGN_NAME,
        template_code=TEMPLATE,
        endpoint=f"http://127.0.0.1:{port}/",
        timeout_seconds=1,
    )

    # when
    with pytest.raises(SendError) as raised:
        sender.send(MESSAGE)

    # then
    assert type(raised.value) is SendError
    assert str(raised.value) == "无法连接阿里云短信服务，稍后重试"


def test_a_channel_without_its_settings_sends_nothing_and_says_what_is_missing(settings, aliyun):
    # given only the endpoint
    settings.TANFANG_ALIYUN_SMS_ENDPOINT = aliyun.url
    settings.TANFANG_ALIYUN_SMS_ACCESS_KEY_ID = KEY_ID
    settings.TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET = ""
    settings.TANFANG_ALIYUN_SMS_SIGN_NAME = ""
    settings.TANFANG_ALIYUN_SMS_TEMPLATE_CODE = TEMPLATE

    # when
    with pytest.raises(SendError) as raised:
        AliyunSmsChannel.from_settings().send(MESSAGE)

    # then a temporary failure (fixed by configuration, not by the message), and no request
    assert type(raised.value) is SendError
    assert str(raised.value) == "阿里云短信未配置：TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET, TANFANG_ALIYUN_SMS_SIGN_NAME"
    assert aliyun.requests == []


def test_only_an_http_endpoint_is_accepted():
    sender = AliyunSmsChannel(
        access_key_id=KEY_ID,
        access_key_secret=SECRET,
        sign_name=SIGN_NAME,
        template_code=TEMPLATE,
        endpoint="file:///etc/passwd",
    )

    with pytest.raises(SendError) as raised:
        sender.send(MESSAGE)

    assert str(raised.value) == "阿里云短信未配置：TANFANG_ALIYUN_SMS_ENDPOINT"


def test_the_defaults_and_the_repr_keep_the_secret_out(settings):
    # given no endpoint or timeout configured
    for name in ("TANFANG_ALIYUN_SMS_ENDPOINT", "TANFANG_ALIYUN_SMS_TIMEOUT_SECONDS"):
        if hasattr(settings, name):
            delattr(settings, name)
    settings.TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET

    # when
    sender = AliyunSmsChannel.from_settings()

    # then
    assert sender.endpoint == "https://dysmsapi.aliyuncs.com/"
    assert sender.timeout_seconds == 10
    assert SECRET not in repr(sender)
