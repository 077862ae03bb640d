"""What the monthly 通报 and the progress report hold, read through `schedule.figures`.

Every number comes from the figures' read API (a region's facts, or its snapshot while the month stays
closed); nothing here counts records. A report is of a region whose figures the actor may read, its own
top region when none is named: NotFound otherwise, exactly like a missing region.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from tanfang.core.errors import NotFound
from tanfang.core.scope import Actor
from tanfang.regions.models import Region
from tanfang.regions.scoping import top_regions_for
from tanfang.schedule import due
from tanfang.schedule.figures import (
    Figures,
    MonthStatus,
    Ranked,
    TrendPoint,
    figures_region_for,
    month_status,
    parse_month,
    region_figures,
    sub_regions,
    trend,
)

HONOUR_ROLL = 3  # regions on each of the 红榜 and the 黑榜


def month_label(month: dt.date) -> str:
    return _("%(year)s年%(month)s月") % {"year": month.year, "month": month.month}


def day_label(day: dt.date) -> str:
    return _("%(year)s年%(month)s月%(day)s日") % {"year": day.year, "month": day.month, "day": day.day}


def report_month(text: str, today: dt.date, *, default_back: int) -> dt.date:
    """The month asked for as 'YYYY-MM' (read by the figures' one month parser), or this month less
    `default_back` months when none is."""
    if not text.strip():
        return due.add_months(today.replace(day=1), -default_back)
    return parse_month(text, today)


def _region_for(actor: Actor, code: str) -> Region:
    """The region named, or the actor's first top region; NotFound outside what the actor may read."""
    if not code:
        top = top_regions_for(actor).first()
        if top is None:
            raise NotFound()
        code = top.code
    return figures_region_for(actor, code)


@dataclass(frozen=True)
class Bulletin:
    """The month's 通报 of a region: its sub-regions ranked, its own total, the month's state."""

    region: Region
    month: dt.date
    made_on: dt.date
    total: Figures
    change: float | None  # the region's own rate change from the month before
    rows: list[Ranked]
    status: MonthStatus

    @property
    def title(self) -> str:
        return _("%(region)s%(month)s探访关爱工作通报") % {"region": self.region.name, "month": month_label(self.month)}

    def honour_rolls(self) -> tuple[list[Ranked], list[Ranked]]:
        """(红榜 best first, 黑榜 worst first): up to three each, and never one region on both."""
        ranked = [r for r in self.rows if r.rank is not None]
        size = min(HONOUR_ROLL, len(ranked) // 2)
        return ranked[:size], ranked[::-1][:size]


def bulletin_of(actor: Actor, code: str, month: dt.date, today: dt.date) -> Bulletin:
    """The 通报 of a region in scope (the actor's top region when `code` is empty) for a month; NotFound
    outside the scope or for a role that does not read figures."""
    region = _region_for(actor, code)
    total = region_figures(actor, region.code, month)  # drains what was just recorded in the region
    before = region_figures(actor, region.code, due.add_months(month, -1))
    return Bulletin(
        region=region,
        month=month,
        made_on=today,
        total=total,
        change=_change(total.rate, before.rate),
        rows=sub_regions(actor, region.code, month),
        status=month_status(actor, region.code, month),
    )


@dataclass(frozen=True)
class Progress:
    """A region's month so far for the upper level, and the twelve months up to it."""

    region: Region
    month: dt.date
    made_on: dt.date
    figures: Figures
    change: float | None
    status: MonthStatus
    months: list[tuple[TrendPoint, MonthStatus]]  # oldest first

    @property
    def title(self) -> str:
        return _("%(region)s探访关爱工作进度报告（%(month)s）") % {
            "region": self.region.name,
            "month": month_label(self.month),
        }

    @property
    def corrections(self) -> list[tuple[dt.date, int]]:
        """The closed months of the twelve with records added after they closed (补录), oldest first."""
        return [(point.month, s.corrections) for point, s in self.months if s.state == "closed" and s.corrections]


def progress_of(actor: Actor, code: str, month: dt.date, today: dt.date) -> Progress:
    """The progress report of a region in scope (the actor's top region when `code` is empty); NotFound
    outside the scope or for a role that does not read figures."""
    region = _region_for(actor, code)
    figures = region_figures(actor, region.code, month)
    before = region_figures(actor, region.code, due.add_months(month, -1))
    points = trend(actor, region.code, month)
    return Progress(
        region=region,
        month=month,
        made_on=today,
        figures=figures,
        change=_change(figures.rate, before.rate),
        status=month_status(actor, region.code, month),
        months=[(point, month_status(actor, region.code, point.month)) for point in points],
    )


def _change(now_: float | None, before: float | None) -> float | None:
    return now_ - before if now_ is not None and before is not None else None
