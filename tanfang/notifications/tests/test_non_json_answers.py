"""An answer that is not JSON (a proxy's or a gateway's HTML page) is told plainly, in Chinese, on the row."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tanfang.notifications.models import Attempt, Notification
from tanfang.notifications.services import queue, send_pending
from tanfang.notifications.tests.aliyun_server import KEY_ID, SECRET

# What an intranet proxy or a captive gateway answers in place of the provider.
HTML = "<html><head><title>政务外网认证</title></head><body>请先登录</body></html>".encode()


@pytest.fixture
def html_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(HTML)))
            self.end_headers()
            self.wfile.write(HTML)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_an_sms_provider_answering_html_leaves_a_clear_chinese_reason_and_is_retried(db, settings, html_server):
    settings.TANFANG_ALIYUN_SMS_ENDPOINT = html_server
    settings.TANFANG_ALIYUN_SMS_ACCESS_KEY_ID = KEY_ID
    settings.TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET = SECRET
    settings.TANFANG_ALIYUN_SMS_SIGN_NAME = "探访关爱"
    settings.TANFANG_ALIYUN_SMS_TEMPLATE_CODE = "SMS_1"
    queue(key="k", recipient="13812345678", label="陈晓", region_path="410000/", body="提醒", via="aliyun_sms")

    assert send_pending() == 0

    row = Notification.objects.get()
    assert (row.state, row.last_error) == ("pending", "阿里云短信服务的回答无法识别（HTTP 200），稍后重试")
    assert Attempt.objects.get().answer == row.last_error


def test_a_wecom_robot_answering_html_leaves_a_clear_chinese_reason_and_is_retried(db, settings, html_server):
    settings.TANFANG_WECOM_ROBOT_URL = html_server + "cgi-bin/webhook/send"
    settings.TANFANG_WECOM_ROBOT_KEYS = "木城街道值班群:robot-key-1"
    queue(key="k", recipient="木城街道值班群", label="值班群", region_path="410000/", body="提醒", via="wecom_robot")

    assert send_pending() == 0

    row = Notification.objects.get()
    assert (row.state, row.last_error, row.recipient) == ("pending", "企业微信机器人的应答无法解析", "木城街道值班群")
    assert "robot-key-1" not in Attempt.objects.get().answer
