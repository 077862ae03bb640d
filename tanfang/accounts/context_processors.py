"""Navigation that depends on the role: each item shows only if the role may use it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor
from tanfang.notifications.selectors import unread_count


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    permission: Permission | None


NAVIGATION = [
    NavItem("home", _("首页"), None),
    NavItem("schedule:worklist", _("我的探访"), Permission.VISIT),
    NavItem("schedule:home", _("探访进度"), Permission.VIEW_ELDERS),
    NavItem("records:review_list", _("探访核查"), Permission.REVIEW_VISITS),
    NavItem("elders:list", _("老年人台账"), Permission.VIEW_ELDERS),
    NavItem("visitors:list", _("探访人员"), Permission.VIEW_ELDERS),
    NavItem("regions:browse", _("行政区划"), Permission.VIEW_REGIONS),
    NavItem("users:list", _("用户管理"), Permission.VIEW_USERS),
    NavItem("audit:list", _("审计日志"), Permission.VIEW_AUDIT),
    NavItem("api-1:openapi-view", _("接口文档"), None),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": []}
    role = getattr(user, "role", "")
    items = [i for i in NAVIGATION if i.permission is None or has_permission(role, i.permission)]
    return {"nav_items": items, "inbox_unread": unread_count(cast(Actor, user))}
