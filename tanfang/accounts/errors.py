"""Log-in errors: what the log-in page and the token endpoint tell the user."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from tanfang.core.errors import DomainError, ErrorCode
from tanfang.core.time import LOCAL_TZ


class InvalidCredentials(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS
    status = 401

    def default_message(self) -> str:
        return _("用户名或密码错误")


class AccountLocked(DomainError):
    code = ErrorCode.ACCOUNT_LOCKED
    status = 403

    def __init__(self, until: dt.datetime) -> None:
        self.until = until
        super().__init__(
            _("该账号因连续登录失败已被锁定，请于 %(time)s 后再试，或请管理员解锁")
            % {"time": until.astimezone(LOCAL_TZ).strftime("%H:%M")}
        )
