"""Errors every layer raises and every interface knows how to show.

Each carries a stable code for API clients and a Chinese message for people.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


class ErrorCode(enum.StrEnum):
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    NOT_AUTHENTICATED = "not_authenticated"
    VALIDATION_FAILED = "validation_failed"
    CONFLICT = "conflict"
    INVALID_CREDENTIALS = "invalid_credentials"
    PASSWORD_CHANGE_REQUIRED = "password_change_required"  # noqa: S105 — an error code, not a secret
    SECOND_FACTOR_REQUIRED = "second_factor_required"
    SECOND_FACTOR_REFUSED = "second_factor_refused"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    CSRF_FAILED = "csrf_failed"
    SERVER_ERROR = "server_error"


class DomainError(Exception):
    """Base of errors a user can be shown."""

    code: ErrorCode = ErrorCode.VALIDATION_FAILED
    status: int = 400

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message()
        super().__init__(self.message)

    def default_message(self) -> str:
        return _("操作失败")


class NotFound(DomainError):
    """Missing, or outside the actor's scope: the two must look the same."""

    code = ErrorCode.NOT_FOUND
    status = 404

    def default_message(self) -> str:
        return _("未找到该记录")


class PermissionDenied(DomainError):
    """The actor sees the record but its role may not do this."""

    code = ErrorCode.PERMISSION_DENIED
    status = 403

    def default_message(self) -> str:
        return _("您没有权限执行此操作")


class Conflict(DomainError):
    code = ErrorCode.CONFLICT
    status = 409

    def default_message(self) -> str:
        return _("数据冲突")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class ValidationFailed(DomainError):
    """One or more fields are wrong; `errors` names each field."""

    errors: list[FieldError] = field(default_factory=list)
    summary: str = ""

    def __post_init__(self) -> None:
        self.code = ErrorCode.VALIDATION_FAILED
        self.status = 422
        self.message = self.summary or "；".join(e.message for e in self.errors) or _("输入有误")
        Exception.__init__(self, self.message)

    def __str__(self) -> str:
        return self.message
