"""What to do today: the exception board at the top of an officer's home page.

Every count is scoped to the actor (the selectors of the apps that own the rows), and the visit figures
come from the month's facts (schedule.figures), never from scanning visits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, ExpressionWrapper, F, FloatField, Window
from django.db.models.functions import Cast

from tanfang.alerts.models import Incident
from tanfang.alerts.selectors import incidents_visible_to
from tanfang.care.models import LIVE_STATES
from tanfang.care.selectors import follow_ups_visible_to, may_see_follow_ups
from tanfang.core.roles import Permission, RegionLevel, has_permission, reads_incidents
from tanfang.core.scope import Actor
from tanfang.core.time import now
from tanfang.records.selectors import review_queue
from tanfang.regions.models import Region
from tanfang.schedule import due
from tanfang.schedule.figures import Figures, region_figures
from tanfang.schedule.models import VillageMonth

SHOWN_VILLAGES = 10


def target_rate() -> float:
    """The visit rate every village should reach (the plan: 100% by the end of 2025)."""
    return float(getattr(settings, "TANFANG_VISIT_RATE_TARGET", 1.0))


@dataclass(frozen=True)
class LaggingVillage:
    code: str
    name: str
    township: str
    to_visit: int
    visited: int

    @property
    def rate(self) -> float:
        return self.visited / self.to_visit if self.to_visit else 1.0

    @property
    def not_visited(self) -> int:
        return self.to_visit - self.visited


@dataclass(frozen=True)
class Board:
    region: Region
    today: dt.date
    days_left: int  # days after today left in the month (0 on its last day), as the schedule counts them
    figures: Figures
    lagging: list[LaggingVillage]  # the lowest villages below target, lowest first
    lagging_count: int
    overdue_follow_ups: int | None  # None: the role does not see follow-ups
    open_incidents: int | None
    escalated_incidents: int | None  # open, and escalated because nobody had answered
    waiting_reviews: int | None  # None: the role does not review


def lagging_villages(region: Region, month: dt.date) -> tuple[list[LaggingVillage], int]:
    """Villages under the region below the target rate this month, lowest first (the first few), and how many:
    from each village's month totals (`VillageMonth`), sorted and cut in the database."""
    below = VillageMonth.objects.filter(
        month=month, region_path__startswith=region.path, to_visit__gt=0, visited__lt=F("to_visit") * target_rate()
    )
    rate = ExpressionWrapper(Cast("visited", FloatField()) / F("to_visit"), output_field=FloatField())
    shown = list(
        below.annotate(rate=rate, below=Window(Count("pk")))  # how many in all, counted by the same query
        .order_by("rate", "-to_visit", "region_path")
        .values("region_path", "to_visit", "visited", "below")[:SHOWN_VILLAGES]
    )
    count = shown[0]["below"] if shown else 0
    codes = [r["region_path"].rstrip("/").rsplit("/", 1)[-1] for r in shown]
    regions = {r.code: r for r in Region.objects.filter(code__in=codes).select_related("parent")}
    villages = []
    for code, row in zip(codes, shown, strict=True):
        village = regions.get(code)
        villages.append(
            LaggingVillage(
                code=code,
                name=village.name if village else code,
                township=village.parent.name if village and village.parent else "",
                to_visit=row["to_visit"],
                visited=row["visited"],
            )
        )
    return villages, count


def board(actor: Actor, region: Region, today: dt.date) -> Board:
    """The exception board of a region in the actor's scope (the caller has checked it may see the region)."""
    month = today.replace(day=1)
    figures = region_figures(actor, region.code, month)
    lagging, lagging_count = lagging_villages(region, month) if region.level < RegionLevel.VILLAGE else ([], 0)
    moment = now()
    follow_ups = (
        follow_ups_visible_to(actor).filter(
            state__in=LIVE_STATES, deadline__lt=moment, region_path__startswith=region.path
        )
        if may_see_follow_ups(actor)
        else None
    )
    incidents = (
        incidents_visible_to(actor).filter(state=Incident.State.OPEN, region_path__startswith=region.path)
        if reads_incidents(actor.role)
        else None
    )
    return Board(
        region=region,
        today=today,
        days_left=(due.month_bounds(today.year, today.month)[1] - today).days,
        figures=figures,
        lagging=lagging,
        lagging_count=lagging_count,
        overdue_follow_ups=follow_ups.count() if follow_ups is not None else None,
        open_incidents=incidents.count() if incidents is not None else None,
        escalated_incidents=incidents.filter(escalation_step__gt=0).count() if incidents is not None else None,
        waiting_reviews=review_queue(actor).filter(region_path__startswith=region.path).count()
        if has_permission(actor.role, Permission.REVIEW_VISITS)
        else None,
    )
