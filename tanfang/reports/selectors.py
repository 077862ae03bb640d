"""The home dashboard's figures, all inside the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from tanfang.core.roles import Permission, RegionLevel, has_permission
from tanfang.core.scope import Actor
from tanfang.elders.selectors import elders_visible_to
from tanfang.regions.models import Region
from tanfang.regions.scoping import regions_visible_to, top_regions_for


@dataclass(frozen=True)
class ScopeSummary:
    top_regions: list[Region]
    region_counts: dict[int, int]
    elder_count: int | None


def scope_summary(actor: Actor) -> ScopeSummary:
    """Count regions by level and elders inside the actor's scope."""
    counts = {
        row["level"]: row["n"]
        for row in regions_visible_to(actor).values("level").annotate(n=Count("code")).order_by("level")
    }
    elders = elders_visible_to(actor).count() if has_permission(actor.role, Permission.VIEW_ELDERS) else None
    return ScopeSummary(
        top_regions=list(top_regions_for(actor)),
        region_counts={level: counts.get(level, 0) for level in RegionLevel.values},
        elder_count=elders,
    )
