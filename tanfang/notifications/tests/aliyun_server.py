"""A local stand-in for Alibaba Cloud SMS that de-duplicates by OutId, as the real one's idempotency does.

Speaks the SendSms protocol of `aliyun_sms.py` (a signed form POST, a JSON answer), checks the
signature by its own reading of the published rule, and counts: every request, and every message
delivered to a phone. A second request with an OutId already delivered is answered OK with the same
BizId and delivers nothing, so a sender that crashed between sending and recording cannot reach a
phone twice. It can also answer 500, or answer too late, on request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY_ID = "LTAI5tWorkerKillTest"
SECRET = "worker-kill-test-secret"
SIGN_NAME = "探访关爱"
TEMPLATE = "SMS_123456789"


def _encode(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def _signature(params: dict[str, str]) -> str:
    canonical = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"POST&%2F&{_encode(canonical)}"
    return base64.b64encode(hmac.new(f"{SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


@dataclass
class FakeSmsProvider:
    url: str = ""
    mode: str = "ok"  # "ok", "500", "slow"
    delay: float = 0.0  # seconds to take over each request in "ok" mode
    requests: int = 0
    in_flight: int = 0  # requests received and not yet answered
    delivered: Counter[str] = field(default_factory=Counter)  # OutId → times it reached a phone (0 or 1)
    repeated: Counter[str] = field(default_factory=Counter)  # OutId → requests answered from the de-dup
    phones: dict[str, str] = field(default_factory=dict)  # OutId → the number it went to
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, params: dict[str, str]) -> tuple[int, bytes]:
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        if params.get("AccessKeyId") != KEY_ID or params.get("Signature") != _signature(unsigned):
            self.problems.append("signature")
            return 400, json.dumps({"Code": "SignatureDoesNotMatch", "Message": "signature"}).encode()
        if self.mode == "500":
            return 500, b"<html><body>500 Internal Server Error</body></html>"
        if self.mode == "slow":
            self.release.wait(timeout=10)
        elif self.delay:
            time.sleep(self.delay)
        out_id = params.get("OutId", "")
        with self.lock:
            self.requests += 1
            if self.delivered[out_id]:
                self.repeated[out_id] += 1
            else:
                self.delivered[out_id] += 1
                self.phones[out_id] = params.get("PhoneNumbers", "")
        return 200, json.dumps({"Code": "OK", "Message": "OK", "BizId": f"biz-{out_id}", "RequestId": "r"}).encode()


def _handler(provider: FakeSmsProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode("ascii")
            params = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
            with provider.lock:
                provider.in_flight += 1
            try:
                status, body = provider.answer(params)
            finally:
                with provider.lock:
                    provider.in_flight -= 1
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (the slow mode)

    return Handler


@contextmanager
def running_provider() -> Iterator[FakeSmsProvider]:
    """Serve a fresh provider on a free port of 127.0.0.1 for the duration of the block."""
    provider = FakeSmsProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    server.daemon_threads = True
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        provider.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def channel_environment(provider: FakeSmsProvider) -> dict[str, str]:
    """The settings (as environment variables) that point the Aliyun SMS channel at this provider."""
    return {
        "TANFANG_SMS_CHANNEL": "aliyun_sms",
        "TANFANG_ALIYUN_SMS_ENDPOINT": provider.url,
        "TANFANG_ALIYUN_SMS_ACCESS_KEY_ID": KEY_ID,
        "TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET": SECRET,
        "TANFANG_ALIYUN_SMS_SIGN_NAME": SIGN_NAME,
        "TANFANG_ALIYUN_SMS_TEMPLATE_CODE": TEMPLATE,
    }
