"""Reads of the region tree for pages and the API, always through scoping."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from tanfang.core.errors import NotFound
from tanfang.core.roles import Permission, RegionLevel, has_permission
from tanfang.core.scope import Actor
from tanfang.regions.models import Region
from tanfang.regions.paths import code_at, codes_of
from tanfang.regions.scoping import get_region_for, regions_visible_to, require_permission, top_regions_for


@dataclass(frozen=True)
class RegionView:
    region: Region | None
    breadcrumbs: Sequence[Region]
    children: Sequence[Region]


def browse_regions(actor: Actor, code: str | None = None) -> RegionView:
    """Return a region the actor may see with its visible ancestors and children.

    Without a code, the "children" are the actor's own top regions. Raises NotFound
    outside the scope and PermissionDenied for roles that may not browse regions.
    """
    require_permission(actor, Permission.VIEW_REGIONS)
    if code is None:
        tops = top_regions_for(actor).annotate(child_count=Count("children"))
        return RegionView(region=None, breadcrumbs=[], children=list(tops))
    region = get_region_for(actor, code)
    visible = regions_visible_to(actor)
    breadcrumbs = list(visible.filter(code__in=codes_of(region.path)[:-1]).order_by("level"))
    children = list(visible.filter(parent=region).annotate(child_count=Count("children")).order_by("code"))
    return RegionView(region=region, breadcrumbs=breadcrumbs, children=children)


def find_region_unscoped(code: str) -> Region | None:
    """A region by its code, whoever asks: division codes and names are public, so this serves checks
    and messages (is this a village? where is this person registered?), never access. None if unknown."""
    return Region.objects.filter(code=code).first()


def region_names_unscoped(codes: Iterable[str]) -> dict[str, str]:
    """The names of these regions by code (public facts: the address lines of a printed form)."""
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


def get_region_unscoped(code: str) -> Region:
    """A region by its code, for the command line (an operator on the server); NotFound when unknown."""
    region = find_region_unscoped(code)
    if region is None:
        raise NotFound(_("区划代码 %(code)s 不存在") % {"code": code})
    return region


def county_name_unscoped(region_path: str) -> str:
    """The full name of the county a path lies in ("" above county level): to tell someone which
    county to contact about a person registered outside their scope, without showing more."""
    county = (
        find_region_unscoped(code_at(region_path, RegionLevel.COUNTY))
        if code_at(region_path, RegionLevel.COUNTY)
        else None
    )
    return county.full_name if county else ""


def region_drill(actor: Actor, code: str | None) -> RegionView | None:
    """The drill-down beside a list filtered by region: None where the actor may not browse regions
    or the code is not one it may see (the list itself then shows nothing)."""
    if not has_permission(actor.role, Permission.VIEW_REGIONS):
        return None
    if code is not None and not regions_visible_to(actor).filter(code=code).exists():
        return None
    return browse_regions(actor, code)


def search_regions(actor: Actor, text: str, *, limit: int = 50) -> QuerySet[Region]:
    """Find regions in scope whose name contains the text or whose code starts with it."""
    require_permission(actor, Permission.VIEW_REGIONS)
    text = text.strip()
    visible = regions_visible_to(actor)
    if not text:
        return visible.none()
    if text.isdigit():
        return visible.filter(code__startswith=text).order_by("code")[:limit]
    return visible.filter(name__contains=text).order_by("level", "code")[:limit]
