"""How pages show errors: one styled Chinese page for 404, 403, 422 and 500, with a way back home.

Views raise `NotFound`, `PermissionDenied` or `ValidationFailed` (core.errors), or Django's own
Http404 / PermissionDenied; `DomainErrorMiddleware` and the handlers in config/urls.py render them
here. A missing record and one outside the actor's scope give the same page, byte for byte, so a page
never tells which. Views still catch `ValidationFailed` where a form shows the errors beside its
fields; everything else reaches this module. (The API answers in JSON: core.api_errors.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from tanfang.core.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationFailed


def error_page(
    request: HttpRequest | None, status: int, message: str = "", errors: list[str] | None = None
) -> HttpResponse:
    """The error page for a status, in the user's language. Without a request (a server error, when
    the database itself may be what failed) it renders without the session and the navigation."""
    titles = {
        404: (_("未找到该页面或记录"), _("记录可能不存在、已被删除，或不在您的管辖范围内。"), "secondary"),
        403: (_("没有权限"), _("您的角色不能进行此操作；如需办理，请联系上级管理员。"), "warning"),
        422: (_("提交的内容有误"), _("请返回上一页修改后再提交，已填写的内容不会丢失。"), "danger"),
        500: (_("系统出错了"), _("问题已记录。请稍后再试；如果一直出现，请联系系统管理员。"), "danger"),
    }
    title, hint, tone = titles.get(status, titles[422])
    context: dict[str, Any] = {
        "status": status,
        "title": title,
        "message": message or title,
        "errors": errors or [],
        "hint": hint,
        "tone": tone,
    }
    return HttpResponse(render_to_string("errors/error.html", context, request=request), status=status)


def page_for(request: HttpRequest, error: Exception) -> HttpResponse | None:
    """The page for an error a view raised, or None for an error that is not the user's to see."""
    if isinstance(error, NotFound | Http404):
        return error_page(request, 404, _("未找到该记录"))  # the same words for missing and out of scope
    if isinstance(error, PermissionDenied):
        return error_page(request, 403, error.message)
    if isinstance(error, DjangoPermissionDenied):
        return error_page(request, 403, _("您没有权限执行此操作"))
    if isinstance(error, ValidationFailed):
        return error_page(request, 422, error.message, [e.message for e in error.errors if e.message != error.message])
    if isinstance(error, DomainError):
        return error_page(request, error.status, error.message)
    return None


class DomainErrorMiddleware:
    """Turn the domain errors a page view raises into the error page (the API has its own handlers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return page_for(request, exception)
        return None


def _for_the_api(request: HttpRequest | None) -> bool:
    """An address under /api/ that no operation serves: answer in the API's JSON, not a page."""
    return request is not None and request.path.startswith("/api/")


def _json(status: int, code: ErrorCode, message: str) -> HttpResponse:
    return JsonResponse({"code": code, "message": message}, status=status, json_dumps_params={"ensure_ascii": False})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _for_the_api(request):
        return _json(404, ErrorCode.NOT_FOUND, _("未找到该记录"))
    return error_page(request, 404, _("未找到该记录"))


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _for_the_api(request):
        return _json(403, ErrorCode.PERMISSION_DENIED, _("您没有权限执行此操作"))
    return error_page(request, 403, _("您没有权限执行此操作"))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _for_the_api(request):
        return _json(400, ErrorCode.VALIDATION_FAILED, _("请求无效"))
    return error_page(request, 422, _("请求无效"))


def server_error(request: HttpRequest) -> HttpResponse:
    if _for_the_api(request):
        return _json(500, ErrorCode.SERVER_ERROR, _("系统出错了"))
    return error_page(None, 500)
