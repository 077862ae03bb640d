"""How the API shows errors: JSON with a stable code and a Chinese message."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from tanfang.core.errors import DomainError, ErrorCode, FieldError, NotFound, ValidationFailed


def _choices(expected: str) -> str:
    """Pydantic's "'a', 'b' or 'c'" as "a、b、c", the empty choice shown as ""."""
    return "、".join(value or '""' for value in re.findall(r"'([^']*)'", expected))


def _pydantic_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    messages = {
        "missing": _("此项为必填项"),
        "string_too_long": _("长度不能超过 %(n)s 个字符") % {"n": context.get("max_length", "")},
        "string_too_short": _("长度不能少于 %(n)s 个字符") % {"n": context.get("min_length", "")},
        "int_parsing": _("应为整数"),
        "bool_parsing": _("应为是或否"),
        "date_from_datetime_parsing": _("日期格式应为 YYYY-MM-DD"),
        "date_parsing": _("日期格式应为 YYYY-MM-DD"),
        "string_type": _("应为文本"),
        "list_type": _("应为列表"),
        "too_long": _("最多 %(n)s 项") % {"n": context.get("max_length", "")},
        "too_short": _("至少 %(n)s 项") % {"n": context.get("min_length", "")},
        "uuid_parsing": _("应为 UUID"),
        "uuid_type": _("应为 UUID"),
        "datetime_parsing": _("时间格式应为 ISO 8601（带时区）"),
        "datetime_from_date_parsing": _("时间格式应为 ISO 8601（带时区）"),
        "float_parsing": _("应为数字"),
        "dict_type": _("应为对象"),
        "json_invalid": _("请求体不是有效的 JSON"),
        "enum": _("取值无效"),
        "literal_error": _("取值无效，应为：%(values)s") % {"values": _choices(context.get("expected", ""))},
        "greater_than_equal": _("不能小于 %(n)s") % {"n": context.get("ge", "")},
        "less_than_equal": _("不能大于 %(n)s") % {"n": context.get("le", "")},
        "string_pattern_mismatch": _("格式不正确"),
        "date_out_of_range": _("日期超出范围"),
        "datetime_out_of_range": _("时间超出范围"),
        "decimal_parsing": _("应为数字"),
        "decimal_max_digits": _("数字位数过多"),
        "decimal_max_places": _("小数位数过多"),
        "decimal_whole_digits": _("整数部分位数过多"),
        "finite_number": _("应为有限的数字"),
    }
    return messages.get(kind, _("输入无效"))


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form")]
    return ".".join(parts)


def _in_path(error: dict[str, Any]) -> bool:
    loc: list[Any] | tuple[Any, ...] = error.get("loc") or ()
    return len(loc) > 0 and loc[0] == "path"


def field_errors(errors: list[Any]) -> list[FieldError]:
    """Pydantic's errors as named fields with Chinese messages."""
    return [FieldError(_field_name(e.get("loc", ())), _pydantic_message(e)) for e in errors]


def not_authenticated_message() -> str:
    return _("请先登录或提供有效的接口令牌")


def not_authenticated_response() -> HttpResponse:
    """The API's 401, for the views around the operations (the OpenAPI document)."""
    body = {"code": ErrorCode.NOT_AUTHENTICATED, "message": not_authenticated_message()}
    return JsonResponse(body, status=401, json_dumps_params={"ensure_ascii": False})


def install_error_handlers(api: NinjaAPI) -> None:
    """Make every error the API can raise answer in one JSON shape."""

    def respond(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
        return api.create_response(request, {"code": code, "message": message, **extra}, status=status)

    @api.exception_handler(ValidationFailed)
    def validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        return respond(request, 422, exc.code, exc.message, errors=errors)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return respond(request, exc.status, exc.code, exc.message)

    @api.exception_handler(NinjaValidationError)
    def invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        if exc.errors and all(_in_path(e) for e in exc.errors):
            # An id or code that cannot exist names no record: answered like a missing one.
            return respond(request, 404, ErrorCode.NOT_FOUND, NotFound().message)
        errors = [{"field": e.field, "message": e.message} for e in field_errors(list(exc.errors))]
        summary = "；".join(f"{e['field']}：{e['message']}" if e["field"] else e["message"] for e in errors)
        return respond(request, 422, ErrorCode.VALIDATION_FAILED, summary or _("输入有误"), errors=errors)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return respond(
            request,
            413,
            ErrorCode.VALIDATION_FAILED,
            _("提交的内容过大（不能超过 %(mb)sMB），请压缩照片后再试") % {"mb": limit},
        )

    @api.exception_handler(MultiPartParserError)
    def unreadable_form(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return respond(request, 400, ErrorCode.VALIDATION_FAILED, _("请求体不是有效的表单数据（multipart/form-data）"))

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, ErrorCode.NOT_AUTHENTICATED, not_authenticated_message())

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 404:
            return respond(request, 404, ErrorCode.NOT_FOUND, _("未找到该记录"))
        if exc.status_code == 403 and "CSRF" in str(exc):
            return respond(request, 403, ErrorCode.CSRF_FAILED, _("安全校验（CSRF）失败，请刷新页面后重试"))
        if exc.status_code == 403:
            return respond(request, 403, ErrorCode.PERMISSION_DENIED, _("您没有权限执行此操作"))
        return respond(request, exc.status_code, ErrorCode.VALIDATION_FAILED, _("请求无效"))
