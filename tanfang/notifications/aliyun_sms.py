"""SMS through Alibaba Cloud SMS (阿里云短信服务): the `SendSms` call, API version 2017-05-25.

The request is signed with Alibaba Cloud's published RPC signature (SignatureMethod=HMAC-SHA1,
SignatureVersion=1.0), written here with the standard library, no vendor SDK:
1. every parameter but `Signature`, sorted by name, name and value percent-encoded as RFC 3986
   (UTF-8; only A-Z a-z 0-9 - _ . ~ stay as they are: a space is %20, `*` is %2A, `/` is %2F),
   joined as `name=value` with `&`: the canonicalized query string;
2. StringToSign = HTTP method + "&" + percentEncode("/") + "&" + percentEncode(canonicalized);
3. Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).

The parameters are sent as a POST body (application/x-www-form-urlencoded), so that neither the
number nor the text ends up in a URL that a proxy might log; the signature is therefore over "POST".
The message is sent through a template with one variable, `content` (the template reads `${content}`);
`OutId` is the outbox key, so the provider's delivery reports can be matched to the row.

Answers: `Code` "OK" is a `Delivery` (provider id = BizId). Throttling, quota limits, system errors,
HTTP 5xx, timeouts, lost connections and answers that are not the provider's JSON are `SendError`
(tried again later); every other code is `Refused` (a bad number, a template or signature the
provider rejects, a wrong key). No exception text holds the number, the text or the secret.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from tanfang.core.time import now
from tanfang.notifications.channels import Delivery, Message, Refused, SendError

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
DEFAULT_TIMEOUT_SECONDS = 10.0
API_VERSION = "2017-05-25"
ACTION = "SendSms"
SIGNATURE_METHOD = "HMAC-SHA1"
SIGNATURE_VERSION = "1.0"

# Codes after which the same message may well go through later: throttling, quotas, the provider's
# own trouble. Codes starting with "Throttling" (Throttling, Throttling.User, Throttling.Api) too.
TEMPORARY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.MONTH_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isp.SYSTEM_ERROR",
        "InternalError",
        "ServiceUnavailable",
        "SignatureNonceUsed",
    }
)

# What the common codes mean, for the person reading a failed row (never the number or the text).
CODE_MEANINGS = {
    "isv.BUSINESS_LIMIT_CONTROL": gettext_lazy("发送频率超限"),
    "isv.DAY_LIMIT_CONTROL": gettext_lazy("已达当日发送上限"),
    "isv.MONTH_LIMIT_CONTROL": gettext_lazy("已达当月发送上限"),
    "isv.AMOUNT_NOT_ENOUGH": gettext_lazy("账户余额不足"),
    "isp.SYSTEM_ERROR": gettext_lazy("服务方系统错误"),
    "isv.MOBILE_NUMBER_ILLEGAL": gettext_lazy("手机号码格式错误"),
    "isv.TEMPLATE_MISSING_PARAMETERS": gettext_lazy("模板缺少变量"),
    "isv.SMS_TEMPLATE_ILLEGAL": gettext_lazy("短信模板不存在或未通过审核"),
    "isv.SMS_SIGNATURE_ILLEGAL": gettext_lazy("短信签名不存在或未通过审核"),
    "isv.PARAM_LENGTH_LIMIT": gettext_lazy("变量内容超出长度限制"),
    "isv.BLACK_KEY_CONTROL_LIMIT": gettext_lazy("内容含有禁止发送的词语"),
    "InvalidAccessKeyId.NotFound": gettext_lazy("AccessKey ID 不存在"),
    "SignatureDoesNotMatch": gettext_lazy("请求签名不匹配，请检查 AccessKey Secret"),
}


def percent_encode(value: str) -> str:
    """Percent-encode as RFC 3986 over UTF-8: only A-Z a-z 0-9 - _ . ~ are left as they are."""
    return urllib.parse.quote(value, safe="~")


def canonicalized_query(params: dict[str, str]) -> str:
    """The parameters sorted by name, each `name=value` percent-encoded, joined with `&`."""
    return "&".join(f"{percent_encode(name)}={percent_encode(params[name])}" for name in sorted(params))


def string_to_sign(method: str, params: dict[str, str]) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonicalized_query(params))}"


def rpc_signature(method: str, params: dict[str, str], secret: str) -> str:
    """Alibaba Cloud's RPC signature (HMAC-SHA1, version 1.0) of these parameters (without Signature)."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def timestamp(moment: dt.datetime) -> str:
    """The request time as the API wants it: UTC, ISO 8601, to the second ("2026-11-24T01:30:00Z")."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _describe(code: str) -> str:
    meaning = CODE_MEANINGS.get(code)
    return f"{code}：{meaning}" if meaning else code[:80]


def is_temporary(code: str) -> bool:
    return code in TEMPORARY_CODES or code.startswith("Throttling")


@dataclass(frozen=True)
class AliyunSmsChannel:
    """Sends a message as one SMS through a template whose only variable is `content`."""

    name: ClassVar[str] = "aliyun_sms"

    access_key_id: str
    access_key_secret: str = field(repr=False)
    sign_name: str
    template_code: str
    endpoint: str = DEFAULT_ENDPOINT
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_settings(cls) -> AliyunSmsChannel:
        return cls(
            access_key_id=getattr(settings, "TANFANG_ALIYUN_SMS_ACCESS_KEY_ID", ""),
            access_key_secret=getattr(settings, "TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET", ""),
            sign_name=getattr(settings, "TANFANG_ALIYUN_SMS_SIGN_NAME", ""),
            template_code=getattr(settings, "TANFANG_ALIYUN_SMS_TEMPLATE_CODE", ""),
            endpoint=getattr(settings, "TANFANG_ALIYUN_SMS_ENDPOINT", DEFAULT_ENDPOINT) or DEFAULT_ENDPOINT,
            timeout_seconds=float(
                getattr(settings, "TANFANG_ALIYUN_SMS_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
                or DEFAULT_TIMEOUT_SECONDS
            ),
        )

    def missing_settings(self) -> list[str]:
        """The names of the settings this channel needs and lacks (an endpoint must be http(s))."""
        missing = [
            setting
            for setting, value in (
                ("TANFANG_ALIYUN_SMS_ACCESS_KEY_ID", self.access_key_id),
                ("TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET", self.access_key_secret),
                ("TANFANG_ALIYUN_SMS_SIGN_NAME", self.sign_name),
                ("TANFANG_ALIYUN_SMS_TEMPLATE_CODE", self.template_code),
            )
            if not value
        ]
        if urllib.parse.urlsplit(self.endpoint).scheme not in ("https", "http"):
            missing.append("TANFANG_ALIYUN_SMS_ENDPOINT")
        return missing

    def signed_params(self, message: Message, *, nonce: str, moment: dt.datetime) -> dict[str, str]:
        """Every parameter of the SendSms request for this message, Signature included."""
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": ACTION,
            "Format": "JSON",
            "SignatureMethod": SIGNATURE_METHOD,
            "SignatureNonce": nonce,
            "SignatureVersion": SIGNATURE_VERSION,
            "Timestamp": timestamp(moment),
            "Version": API_VERSION,
            "PhoneNumbers": message.recipient,
            "SignName": self.sign_name,
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps({"content": message.body}, ensure_ascii=False),
            "OutId": message.key,
        }
        params["Signature"] = rpc_signature("POST", params, self.access_key_secret)
        return params

    def send(self, message: Message) -> Delivery:
        # A missing setting is fixed by the operator, after which the same message goes through:
        # temporary, not refused.
        missing = self.missing_settings()
        if missing:
            raise SendError(gettext("阿里云短信未配置：%(names)s") % {"names": ", ".join(missing)})
        params = self.signed_params(message, nonce=str(uuid.uuid4()), moment=now())
        body = "&".join(f"{percent_encode(name)}={percent_encode(value)}" for name, value in params.items())
        request = urllib.request.Request(  # noqa: S310 (the endpoint's scheme is checked above: http(s) only)
            self.endpoint,
            data=body.encode("ascii"),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
            },
        )
        status, raw = self._post(request)
        return self._understand(status, raw)

    def _post(self, request: urllib.request.Request) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310 (checked)
                return response.status, response.read()
        except urllib.error.HTTPError as error:  # an answer all the same: 4xx and 5xx carry JSON too
            with error:
                try:
                    return error.code, error.read()
                except (OSError, http.client.HTTPException):
                    return error.code, b""
        except TimeoutError as error:
            raise SendError(gettext("阿里云短信服务超时，稍后重试")) from error
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            if isinstance(getattr(error, "reason", None), TimeoutError):
                raise SendError(gettext("阿里云短信服务超时，稍后重试")) from error
            raise SendError(gettext("无法连接阿里云短信服务，稍后重试")) from error

    def _understand(self, status: int, raw: bytes) -> Delivery:
        if status >= 500:
            raise SendError(gettext("阿里云短信服务暂时不可用（HTTP %(status)s），稍后重试") % {"status": status})
        answer: Any
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            answer = None
        code = answer.get("Code") if isinstance(answer, dict) else None
        if not isinstance(code, str) or not code:
            raise SendError(gettext("阿里云短信服务的回答无法识别（HTTP %(status)s），稍后重试") % {"status": status})
        if code == "OK":
            if status != 200:
                raise SendError(
                    gettext("阿里云短信服务的回答无法识别（HTTP %(status)s），稍后重试") % {"status": status}
                )
            return Delivery(provider_id=str(answer.get("BizId") or ""), answer="OK")
        if is_temporary(code) or status == 429:
            raise SendError(gettext("阿里云短信暂时无法发送（%(code)s），稍后重试") % {"code": _describe(code)})
        raise Refused(gettext("阿里云短信拒绝发送（%(code)s）") % {"code": _describe(code)})
