"""Roles, region levels and what each role may do.

Pure data: the User model stores a Role, services ask `has_permission`.
"""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省")
    CITY = 2, _("市")
    COUNTY = 3, _("县（市、区）")
    TOWNSHIP = 4, _("乡镇（街道）")
    VILLAGE = 5, _("村（居）")


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    PROVINCE_OFFICER = "province_officer", _("省级民政干部")
    CITY_OFFICER = "city_officer", _("市级民政干部")
    COUNTY_OFFICER = "county_officer", _("县级民政干部")
    TOWNSHIP_OFFICER = "township_officer", _("乡镇（街道）干部")
    VILLAGE_WORKER = "village_worker", _("村（社区）工作人员")
    VISITOR = "visitor", _("探访关爱服务人员")
    SUPERVISOR = "supervisor", _("只读监督人员")


class Permission(enum.StrEnum):
    VIEW_REGIONS = "view_regions"
    IMPORT_REGIONS = "import_regions"
    VIEW_USERS = "view_users"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    VIEW_ELDERS = "view_elders"
    EDIT_ELDERS = "edit_elders"
    IMPORT_ELDERS = "import_elders"
    MERGE_ELDERS = "merge_elders"
    EXPORT_ELDERS = "export_elders"
    REVEAL_PERSONAL_DATA = "reveal_personal_data"
    MANAGE_VISITORS = "manage_visitors"
    VISIT = "visit"  # has a work list of paired elders
    REVIEW_VISITS = "review_visits"  # decides on visits flagged by the verification signals


_OFFICERS = {
    Role.PROVINCE_OFFICER,
    Role.CITY_OFFICER,
    Role.COUNTY_OFFICER,
    Role.TOWNSHIP_OFFICER,
}

_WATCH = frozenset(
    {
        Permission.VIEW_REGIONS,
        Permission.VIEW_USERS,
        Permission.MANAGE_USERS,
        Permission.VIEW_AUDIT,
        Permission.VIEW_ELDERS,
        Permission.EXPORT_ELDERS,
    }
)
# Those who keep the registry: the county owns it, townships and villages maintain it.
_KEEP = frozenset(
    {
        Permission.EDIT_ELDERS,
        Permission.IMPORT_ELDERS,
        Permission.REVEAL_PERSONAL_DATA,
        Permission.MANAGE_VISITORS,
        Permission.REVIEW_VISITS,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # Province and city officers watch figures and set policy; they do not see full ID numbers.
    Role.PROVINCE_OFFICER: _WATCH | {Permission.IMPORT_REGIONS},
    Role.CITY_OFFICER: _WATCH,
    Role.COUNTY_OFFICER: _WATCH | _KEEP | {Permission.MERGE_ELDERS},
    Role.TOWNSHIP_OFFICER: _WATCH | _KEEP,
    Role.VILLAGE_WORKER: frozenset(
        {
            Permission.VIEW_REGIONS,
            Permission.VIEW_ELDERS,
            Permission.EDIT_ELDERS,
            Permission.REVEAL_PERSONAL_DATA,
            Permission.MANAGE_VISITORS,
            Permission.VISIT,
        }
    ),
    # Visitors see only the elders paired with them; that comes with pairing.
    Role.VISITOR: frozenset({Permission.VISIT}),
    Role.SUPERVISOR: frozenset(
        {
            Permission.VIEW_REGIONS,
            Permission.VIEW_USERS,
            Permission.VIEW_AUDIT,
            Permission.VIEW_ELDERS,
            Permission.EXPORT_ELDERS,
        }
    ),
}

# The region levels a user of each role may be assigned to.
ROLE_REGION_LEVELS: dict[Role, frozenset[int]] = {
    Role.ADMIN: frozenset({RegionLevel.PROVINCE}),
    Role.PROVINCE_OFFICER: frozenset({RegionLevel.PROVINCE}),
    Role.CITY_OFFICER: frozenset({RegionLevel.CITY}),
    Role.COUNTY_OFFICER: frozenset({RegionLevel.COUNTY}),
    Role.TOWNSHIP_OFFICER: frozenset({RegionLevel.TOWNSHIP}),
    Role.VILLAGE_WORKER: frozenset({RegionLevel.VILLAGE}),
    Role.VISITOR: frozenset({RegionLevel.TOWNSHIP, RegionLevel.VILLAGE}),
    Role.SUPERVISOR: frozenset(RegionLevel.values),
}

# Smaller is higher. An officer may create or edit users of its own rank or below.
ROLE_RANK: dict[Role, int] = {
    Role.ADMIN: 0,
    Role.PROVINCE_OFFICER: 1,
    Role.CITY_OFFICER: 2,
    Role.COUNTY_OFFICER: 3,
    Role.TOWNSHIP_OFFICER: 4,
    Role.VILLAGE_WORKER: 5,
    Role.SUPERVISOR: 5,
    Role.VISITOR: 6,
}


def has_permission(role: str, permission: Permission) -> bool:
    """Say whether a role carries a permission; unknown roles carry none."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


def is_officer(role: str) -> bool:
    return role in _OFFICERS


def may_manage_role(manager_role: str, target_role: str) -> bool:
    """Say whether a manager of one role may create or edit a user of another.

    Only an administrator makes administrators; otherwise the target's rank must be
    the manager's own or below.
    """
    try:
        manager, target = Role(manager_role), Role(target_role)
    except ValueError:
        return False
    if Permission.MANAGE_USERS not in ROLE_PERMISSIONS[manager]:
        return False
    if target == Role.ADMIN:
        return manager == Role.ADMIN
    return ROLE_RANK[target] >= ROLE_RANK[manager]
