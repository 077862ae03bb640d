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
    # Separation of duties (三员分立): three administrators, none of whom reads the registry.
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")
    PROVINCE_OFFICER = "province_officer", _("省级民政干部")
    CITY_OFFICER = "city_officer", _("市级民政干部")
    COUNTY_OFFICER = "county_officer", _("县级民政干部")
    TOWNSHIP_OFFICER = "township_officer", _("乡镇（街道）干部")
    VILLAGE_WORKER = "village_worker", _("村（社区）工作人员")
    VISITOR = "visitor", _("探访关爱服务人员")
    SUPERVISOR = "supervisor", _("只读监督人员")


# An account the system administrator opened and the security administrator has not yet
# given a role: it may log in and change its password, and sees nothing else.
NO_ROLE = ""
NO_ROLE_LABEL = _("待授权")

ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


class Permission(enum.StrEnum):
    VIEW_REGIONS = "view_regions"
    IMPORT_REGIONS = "import_regions"
    VIEW_USERS = "view_users"
    MANAGE_USERS = "manage_users"  # open and change accounts whose rights are within one's own
    GRANT_ROLES = "grant_roles"  # give any role but the administrators' (the security administrator)
    UNLOCK_USERS = "unlock_users"
    RESET_TWO_FACTOR = "reset_two_factor"
    VIEW_AUDIT = "view_audit"
    EXPORT_AUDIT = "export_audit"
    VIEW_ELDERS = "view_elders"
    EDIT_ELDERS = "edit_elders"
    IMPORT_ELDERS = "import_elders"
    MERGE_ELDERS = "merge_elders"
    EXPORT_ELDERS = "export_elders"
    REVEAL_PERSONAL_DATA = "reveal_personal_data"
    MANAGE_VISITORS = "manage_visitors"
    VISIT = "visit"  # has a work list of paired elders
    REVIEW_VISITS = "review_visits"  # decides on visits flagged by the verification signals
    VIEW_FIGURES = "view_figures"  # a region's figures: past months, printed village months
    CHASE = "chase"  # 催办: remind a visitor of an elder not yet visited
    # Emergencies: report one (open an incident, log its calls) and handle it (close it, keep duty rosters).
    REPORT_EMERGENCY = "report_emergency"
    HANDLE_INCIDENTS = "handle_incidents"
    MANAGE_DUTY = "manage_duty"  # a township's duty roster
    # Follow-ups: open by hand, assign, cancel and close them; work on those one owns; keep providers.
    MANAGE_FOLLOW_UPS = "manage_follow_ups"
    WORK_FOLLOW_UPS = "work_follow_ups"
    MANAGE_PROVIDERS = "manage_providers"
    RECORD_CARE = "record_care"  # record a care service (section 6 of the form)
    CLOSE_MONTHS = "close_months"  # re-open and close again a province's month (月结)


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
        Permission.VIEW_FIGURES,
        Permission.CHASE,
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
        Permission.UNLOCK_USERS,
        Permission.REPORT_EMERGENCY,
        Permission.HANDLE_INCIDENTS,
        Permission.MANAGE_DUTY,
        Permission.MANAGE_FOLLOW_UPS,
        Permission.WORK_FOLLOW_UPS,
        Permission.MANAGE_PROVIDERS,
        Permission.RECORD_CARE,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # The system administrator keeps accounts, regions and configuration. It opens accounts
    # without a role; rights come from the security administrator.
    Role.SYSTEM_ADMIN: frozenset(
        {Permission.VIEW_REGIONS, Permission.IMPORT_REGIONS, Permission.VIEW_USERS, Permission.MANAGE_USERS}
    ),
    Role.SECURITY_ADMIN: frozenset(
        {
            Permission.VIEW_REGIONS,
            Permission.VIEW_USERS,
            Permission.GRANT_ROLES,
            Permission.UNLOCK_USERS,
            Permission.RESET_TWO_FACTOR,
        }
    ),
    Role.AUDIT_ADMIN: frozenset({Permission.VIEW_AUDIT, Permission.EXPORT_AUDIT}),
    # Province and city officers watch figures and set policy; they do not see full ID numbers.
    Role.PROVINCE_OFFICER: _WATCH | {Permission.IMPORT_REGIONS, Permission.CLOSE_MONTHS},
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
            Permission.VIEW_FIGURES,
            Permission.CHASE,
            Permission.REPORT_EMERGENCY,
            Permission.HANDLE_INCIDENTS,
            Permission.MANAGE_FOLLOW_UPS,
            Permission.WORK_FOLLOW_UPS,
            Permission.RECORD_CARE,
        }
    ),
    # Visitors see only the elders paired with them; that comes with pairing.
    Role.VISITOR: frozenset(
        {Permission.VISIT, Permission.REPORT_EMERGENCY, Permission.WORK_FOLLOW_UPS, Permission.RECORD_CARE}
    ),
    Role.SUPERVISOR: frozenset(
        {
            Permission.VIEW_REGIONS,
            Permission.VIEW_USERS,
            Permission.VIEW_AUDIT,
            Permission.VIEW_ELDERS,
            Permission.EXPORT_ELDERS,
            Permission.VIEW_FIGURES,
        }
    ),
}

# A right another one already carries: whoever pairs visitors with elders sees at least what a
# visitor sees, so it may open a visitor's account.
_CARRIED_BY: dict[Permission, frozenset[Permission]] = {
    Permission.VISIT: frozenset({Permission.MANAGE_VISITORS}),
}

# The region levels a user of each role may be assigned to.
ROLE_REGION_LEVELS: dict[Role, frozenset[int]] = {
    Role.SYSTEM_ADMIN: frozenset({RegionLevel.PROVINCE}),
    Role.SECURITY_ADMIN: frozenset({RegionLevel.PROVINCE}),
    Role.AUDIT_ADMIN: frozenset({RegionLevel.PROVINCE}),
    Role.PROVINCE_OFFICER: frozenset({RegionLevel.PROVINCE}),
    Role.CITY_OFFICER: frozenset({RegionLevel.CITY}),
    Role.COUNTY_OFFICER: frozenset({RegionLevel.COUNTY}),
    Role.TOWNSHIP_OFFICER: frozenset({RegionLevel.TOWNSHIP}),
    Role.VILLAGE_WORKER: frozenset({RegionLevel.VILLAGE}),
    Role.VISITOR: frozenset({RegionLevel.TOWNSHIP, RegionLevel.VILLAGE}),
    Role.SUPERVISOR: frozenset(RegionLevel.values),
}

# For listing roles highest first.
ROLE_ORDER: dict[str, int] = {role: i for i, role in enumerate(Role)}


def permissions_of(role: str) -> frozenset[Permission]:
    """The rights a role carries; an unknown role or none carries nothing."""
    try:
        return ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return frozenset()


def has_permission(role: str, permission: Permission) -> bool:
    """Say whether a role carries a permission; unknown roles carry none."""
    return permission in permissions_of(role)


def records_visits(role: str) -> bool:
    """Whether the role records visits at all: a visitor (its paired elders) or a registry keeper (its scope)."""
    return has_permission(role, Permission.VISIT) or has_permission(role, Permission.EDIT_ELDERS)


def works_from_worklist(role: str) -> bool:
    """A visitor in the field: records visits for its paired elders and reads no registry. Its home is its
    work list, and the navigation leaves out what only desk work needs (the API documentation)."""
    return has_permission(role, Permission.VISIT) and not has_permission(role, Permission.VIEW_ELDERS)


def reads_incidents(role: str) -> bool:
    """Whether the role reads emergencies at all: registry roles (in their scope) and those who report them
    (a visitor: its paired elders'). Which incidents, alerts.selectors decides."""
    return has_permission(role, Permission.VIEW_ELDERS) or has_permission(role, Permission.REPORT_EMERGENCY)


def is_officer(role: str) -> bool:
    return role in _OFFICERS


def rights_within(manager_role: str, target_role: str) -> bool:
    """Say whether every right of the target role is one the manager's role carries itself.

    No role is within anyone's rights but the empty one when the manager may not manage
    users at all. The administrators' roles are never within anyone's: they are given at
    the command line.
    """
    own = permissions_of(manager_role)
    if Permission.MANAGE_USERS not in own and Permission.GRANT_ROLES not in own:
        return False
    if target_role == NO_ROLE:
        return True
    if target_role in ADMIN_ROLES or target_role not in Role.values:
        return False
    return all(p in own or _CARRIED_BY.get(p, frozenset()) & own for p in permissions_of(target_role))


def may_give_role(manager_role: str, target_role: str) -> bool:
    """Whether a manager may give a role: one within its own rights (any but the administrators' for SEC)."""
    if has_permission(manager_role, Permission.GRANT_ROLES):
        return target_role == NO_ROLE or (target_role in Role.values and target_role not in ADMIN_ROLES)
    return rights_within(manager_role, target_role)
