"""Navigation that depends on the role: each item shows only if the role may use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tanfang.core.roles import Permission, has_permission, reads_incidents, works_from_worklist
from tanfang.core.scope import Actor
from tanfang.notifications.selectors import may_see_troubled_messages, unread_count


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    permission: Permission | None
    shown_to: Callable[[Actor], bool] | None = None  # a rule beyond the permission (region level, say)


NAVIGATION = [
    NavItem("home", _("首页"), None),
    NavItem("schedule:worklist", _("我的探访"), Permission.VISIT),
    NavItem("schedule:home", _("探访进度"), Permission.VIEW_ELDERS),
    NavItem("reports:dashboard", _("统计分析"), Permission.VIEW_FIGURES),
    NavItem("records:review_list", _("探访核查"), Permission.REVIEW_VISITS),
    NavItem("alerts:list", _("紧急事件"), None, lambda actor: reads_incidents(actor.role)),
    NavItem("care:list", _("跟进事项"), None, lambda actor: sees_follow_ups(actor.role)),
    # Whoever reads the registry looks providers up to refer elders; the keepers (MANAGE_PROVIDERS:
    # county, township) all read it too. A provider's staff account works from its follow-ups instead.
    NavItem("care:provider_list", _("服务机构"), Permission.VIEW_ELDERS),
    NavItem("elders:list", _("老年人台账"), Permission.VIEW_ELDERS),
    NavItem("visitors:list", _("探访人员"), Permission.VIEW_ELDERS),
    NavItem("regions:browse", _("行政区划"), Permission.VIEW_REGIONS),
    NavItem("users:list", _("用户管理"), Permission.VIEW_USERS),
    NavItem("audit:list", _("审计日志"), Permission.VIEW_AUDIT),
    NavItem("outbox:list", _("发送失败的消息"), Permission.VIEW_FIGURES, may_see_troubled_messages),
    NavItem("api-1:openapi-view", _("接口文档"), None, lambda actor: not works_from_worklist(actor.role)),
]


def sees_follow_ups(role: str) -> bool:
    """Those who see a region's follow-ups, and those who work on their own."""
    return has_permission(role, Permission.VIEW_ELDERS) or has_permission(role, Permission.WORK_FOLLOW_UPS)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": []}
    role = getattr(user, "role", "")
    items = [
        i
        for i in NAVIGATION
        if (i.permission is None or has_permission(role, i.permission))
        and (i.shown_to is None or i.shown_to(cast(Actor, user)))
    ]
    return {"nav_items": items, "inbox_unread": unread_count(cast(Actor, user))}
