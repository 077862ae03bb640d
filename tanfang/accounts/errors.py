"""Log-in errors: what the log-in page and the token endpoint tell the user.

A wrong password, an unknown user, an inactive account and a locked one get the same answer,
so that nobody learns from it whether an account exists.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from tanfang.core.errors import DomainError, ErrorCode


class InvalidCredentials(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS
    status = 401

    def default_message(self) -> str:
        return _(
            "用户名或密码错误，或账号已被暂时锁定。连续失败 %(count)s 次将锁定 %(minutes)s 分钟，"
            "请稍后再试，或请安全管理员解锁"
        ) % {"count": settings.TANFANG_LOGIN_MAX_FAILURES, "minutes": settings.TANFANG_LOGIN_LOCK_MINUTES}


class SecondFactorRefused(DomainError):
    code = ErrorCode.SECOND_FACTOR_REFUSED
    status = 401

    def default_message(self) -> str:
        return _("验证码不正确")


class SecondFactorRequired(DomainError):
    code = ErrorCode.SECOND_FACTOR_REQUIRED
    status = 401

    def default_message(self) -> str:
        return _("该账号已启用两步验证，请同时提供验证器上的 6 位验证码（otp）")


class LoginThrottled(DomainError):
    code = ErrorCode.TOO_MANY_ATTEMPTS
    status = 429

    def default_message(self) -> str:
        return _("该网络地址的登录尝试过于频繁，请 %(minutes)s 分钟后再试") % {
            "minutes": max(1, settings.TANFANG_LOGIN_IP_WINDOW_SECONDS // 60)
        }


class PasswordChangeRequired(DomainError):
    code = ErrorCode.PASSWORD_CHANGE_REQUIRED
    status = 403

    def default_message(self) -> str:
        return _("请先登录网页修改初始密码，再申请接口令牌")
