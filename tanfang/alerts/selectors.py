"""Reads of incidents and duty rosters, scoped.

An incident is visible where its elder's visits are: to a role that reads the registry (VIEW_ELDERS)
whose scope holds the elder's village, and to a visitor paired with the elder now. Everything else
answers NotFound, exactly like a missing incident.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from tanfang.accounts.models import User
from tanfang.alerts.models import DutyShift, Incident
from tanfang.core.errors import NotFound, PermissionDenied
from tanfang.core.roles import Permission, RegionLevel, Role, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.elders.models import Elder
from tanfang.elders.personal_data import may_reveal
from tanfang.regions.models import Region
from tanfang.regions.paths import path_prefixes
from tanfang.visitors.models import Pairing
from tanfang.visitors.selectors import is_paired


def reads_region(actor: Actor, region_path: str) -> bool:
    """Whether the actor reads the registry of this region: a registry role whose scope holds it."""
    return (
        actor.is_active and has_permission(actor.role, Permission.VIEW_ELDERS) and scope_of(actor).contains(region_path)
    )


def sees_elder(actor: Actor, elder: Elder) -> bool:
    """Whether the actor sees this elder's incidents: a registry role in scope, or its paired visitor."""
    return reads_region(actor, elder.region_path) or (actor.is_active and is_paired(actor, elder.pk))


def elder_for_incidents(actor: Actor, elder_id: int) -> Elder:
    """The elder, when the actor sees its incidents (see `sees_elder`); NotFound otherwise."""
    elder = Elder.objects.select_related("region").filter(pk=elder_id, merged_into__isnull=True).first()
    if elder is None or not sees_elder(actor, elder):
        raise NotFound()
    return elder


def may_report(actor: Actor, elder: Elder) -> bool:
    """Whether the actor may open an incident for the elder and log its calls."""
    return has_permission(actor.role, Permission.REPORT_EMERGENCY) and sees_elder(actor, elder)


def may_call(actor: Actor, elder: Elder) -> bool:
    """Whether the actor may have the elder's and its contacts' numbers revealed for a call: the paired
    visitor (one-tap call), or a role that reveals numbers in its scope (village, township, county)."""
    return may_reveal(actor, elder) or (actor.is_active and is_paired(actor, elder.pk))


def may_close(actor: Actor, incident: Incident) -> bool:
    """Whether the actor may close the incident: a role that handles incidents, in its scope."""
    return (
        actor.is_active
        and has_permission(actor.role, Permission.HANDLE_INCIDENTS)
        and scope_of(actor).contains(incident.region_path)
    )


def incidents_visible_to(actor: Actor) -> QuerySet[Incident]:
    """Every incident the actor sees, open ones first, newest first within each state."""
    if not getattr(actor, "pk", None) or not actor.is_active:
        return Incident.objects.none()
    condition = Q(pk__in=[])
    if has_permission(actor.role, Permission.VIEW_ELDERS):
        condition |= scope_of(actor).q("region_path")
    paired = Pairing.objects.filter(visitor__user_id=actor.pk, visitor__active=True, ended_on__isnull=True).values(
        "elder_id"
    )
    condition |= Q(elder_id__in=paired)
    open_first = Case(When(state=Incident.State.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        Incident.objects.filter(condition)
        .select_related("elder", "region")
        .annotate(open_first=open_first)
        .order_by("open_first", "-opened_at", "-pk")
    )


def get_incident_for(actor: Actor, incident_id: int) -> Incident:
    """An incident the actor sees; NotFound for missing and out-of-sight alike."""
    incident = Incident.objects.select_related("elder", "elder__region", "region").filter(pk=incident_id).first()
    if incident is None or not sees_elder(actor, incident.elder):
        raise NotFound()
    return incident


def open_incident_of(elder: Elder) -> Incident | None:
    return Incident.objects.filter(elder=elder, state=Incident.State.OPEN).first()


def open_count(actor: Actor) -> int:
    return incidents_visible_to(actor).filter(state=Incident.State.OPEN).count()


# --- duty rosters ------------------------------------------------------------------------------


def township_path_of(region_path: str) -> str:
    """The path of the township a village (or the township itself) lies in; "" above township level."""
    prefixes = path_prefixes(region_path)
    return prefixes[RegionLevel.TOWNSHIP - 1] if len(prefixes) >= RegionLevel.TOWNSHIP else ""


def on_duty(township: Region, moment: dt.datetime) -> list[User]:
    """The users on duty for the township at that moment (a shift holds its start, not its end)."""
    shifts = (
        DutyShift.objects.filter(region=township, starts_at__lte=moment, ends_at__gt=moment, user__is_active=True)
        .select_related("user")
        .order_by("starts_at", "pk")
    )
    seen: dict[int, User] = {}
    for shift in shifts:
        seen.setdefault(shift.user_id, shift.user)
    return list(seen.values())


def users_of_region(region: Region, role: Role) -> list[User]:
    """Active users of a role assigned to exactly this region."""
    return list(
        User.objects.filter(role=role, is_active=True, region_assignments__region=region).distinct().order_by("pk")
    )


def duty_candidates(township: Region) -> list[User]:
    """Who may be put on a township's duty roster: its officers and the workers of its villages."""
    return list(
        User.objects.filter(
            Q(role=Role.TOWNSHIP_OFFICER, region_assignments__region=township)
            | Q(role=Role.VILLAGE_WORKER, region_assignments__region__parent=township),
            is_active=True,
        )
        .distinct()
        .order_by("role", "username")
    )


def get_township_for_duty(actor: Actor, code: str) -> Region:
    """A township whose roster the actor keeps: NotFound outside its scope, PermissionDenied without the right."""
    township = Region.objects.filter(code=code, level=RegionLevel.TOWNSHIP).first()
    if township is None or not scope_of(actor).contains(township.path):
        raise NotFound()
    if not actor.is_active or not has_permission(actor.role, Permission.MANAGE_DUTY):
        raise PermissionDenied()
    return township


def townships_for_duty(actor: Actor) -> QuerySet[Region]:
    """The townships whose rosters the actor keeps (none without MANAGE_DUTY)."""
    if not actor.is_active or not has_permission(actor.role, Permission.MANAGE_DUTY):
        return Region.objects.none()
    return Region.objects.filter(scope_of(actor).q("path"), level=RegionLevel.TOWNSHIP).order_by("code")


def shifts_of(township: Region, since: dt.datetime) -> QuerySet[DutyShift]:
    """The township's shifts that have not ended by `since`, earliest first."""
    return DutyShift.objects.filter(region=township, ends_at__gt=since).select_related("user").order_by("starts_at")


def get_shift_for(actor: Actor, shift_id: int) -> DutyShift:
    shift = DutyShift.objects.select_related("region", "user").filter(pk=shift_id).first()
    if shift is None or not scope_of(actor).contains(shift.region_path):
        raise NotFound()
    return shift
