"""Reading the month's figures: every page, export and API operation that shows a number reads it here.

A region's month comes from its own fact cells (`MonthFact`, one row per cohort), or from the snapshot
taken when the month closed (`ClosedFact`) while it stays closed. Nothing here scans visits. The lists
of elders behind a number read the elder-month rows (`MonthDue`) of the region and month.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from tanfang.core.errors import FieldError, NotFound, ValidationFailed
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor
from tanfang.elders.models import Group
from tanfang.regions.models import Region
from tanfang.regions.paths import path_prefixes
from tanfang.regions.scoping import get_region_for
from tanfang.schedule import due
from tanfang.schedule.closing import close_of, closes_on, open_corrections, province_of
from tanfang.schedule.models import ClosedFact, Correction, FactCells, MonthClose, MonthDue, MonthFact, VisitorMonth
from tanfang.schedule.months import ALL_COHORTS, FACT_CELLS, GROUP_BITS, HIGH_RISK_BIT
from tanfang.schedule.services import refresh_queued

METHODS = ("home", "video", "phone", "other")


@dataclass(frozen=True)
class Figures:
    """A region's month: every indicator, from the facts."""

    region: Region
    month: dt.date
    cells: dict[str, int]
    visitors_active: int
    by_group: dict[str, dict[str, int]]  # group → cells of the elders in it (an elder may be in several)
    high_risk: dict[str, int]
    closed: bool = False
    corrections: int = 0  # records after the close not in the snapshot (补录)

    def __getattr__(self, name: str) -> int:
        if name in FACT_CELLS:
            return self.cells.get(name, 0)
        raise AttributeError(name)

    @property
    def rate(self) -> float | None:
        """月探访率: visited / to be visited."""
        to_visit = self.cells.get("to_visit", 0)
        return self.cells.get("visited", 0) / to_visit if to_visit else None

    @property
    def not_visited(self) -> int:
        return self.cells.get("to_visit", 0) - self.cells.get("visited", 0)

    @property
    def satisfaction(self) -> float | None:
        """Average satisfaction, 1 (非常不满意) to 5 (非常满意)."""
        n = self.cells.get("satisfaction_n", 0)
        return self.cells.get("satisfaction_sum", 0) / n if n else None

    @property
    def disabled(self) -> dict[str, int]:
        """失能 coverage: the disabled elders' cells."""
        return self.by_group.get(Group.DISABLED, {})

    def group_rate(self, group: str) -> float | None:
        cells = self.by_group.get(group, {})
        return cells.get("visited", 0) / cells["to_visit"] if cells.get("to_visit") else None

    def as_dict(self) -> dict[str, Any]:
        rate, satisfaction = self.rate, self.satisfaction
        return {
            **{name: self.cells.get(name, 0) for name in FACT_CELLS if name != "elders"},
            "rate": round(rate, 4) if rate is not None else None,
            "not_visited": self.not_visited,
            "satisfaction": round(satisfaction, 2) if satisfaction is not None else None,
            "visitors_active": self.visitors_active,
            "groups": {
                g: {"to_visit": c.get("to_visit", 0), "visited": c.get("visited", 0)} for g, c in self.by_group.items()
            },
            "disabled_home": self.disabled.get("visited_home", 0),
            "high_risk": {"to_visit": self.high_risk.get("to_visit", 0), "visited": self.high_risk.get("visited", 0)},
        }


MONTH_TEXT = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
FIRST_YEAR = 2000  # no records before it; a month further back is a typing slip


def parse_month(text: str, today: dt.date) -> dt.date:
    """The first day of the month 'YYYY-MM' names ('' for this month). ValidationFailed, in words a person
    reads, for anything else and for a month still to come."""
    text = text.strip()
    if not text:
        return today.replace(day=1)
    match = MONTH_TEXT.fullmatch(text)
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < FIRST_YEAR:
        raise ValidationFailed(
            errors=[
                FieldError("month", _("月份“%(text)s”无法识别，请按“年-月”选择，例如 2026-03") % {"text": text[:20]})
            ]
        )
    month = dt.date(int(match[1]), int(match[2]), 1)
    if month > today.replace(day=1):
        raise ValidationFailed(
            errors=[FieldError("month", _("%(month)s 尚未到来，没有统计数据") % {"month": f"{month:%Y-%m}"})]
        )
    return month


def figures_region_for(actor: Actor, code: str) -> Region:
    """A region whose figures the actor may read: in scope, for a role that reads figures. NotFound else."""
    if not has_permission(actor.role, Permission.VIEW_FIGURES):
        raise NotFound()
    return get_region_for(actor, code)


# The sums a region's Figures hold: 0 for every cohort, a group's bit for its elders, the high-risk bit.
_SUM_BITS = (0, *GROUP_BITS.values(), HIGH_RISK_BIT)


def _sums(model: type[FactCells], month: dt.date, paths: Sequence[str], closes: Sequence[int] = ()) -> dict[str, Any]:
    """The cells of these regions' month summed over cohorts in the database: {path: {bit: cells}}, one
    query. A cohort row counts towards every bit it holds (an elder in two groups is in both sums)."""
    found: dict[str, dict[int, dict[str, int]]] = {path: {} for path in paths}
    if not paths:
        return found
    table = connection.ops.quote_name(model._meta.db_table)
    bits = " UNION ALL ".join(f"SELECT {bit} AS bit" for bit in _SUM_BITS)
    sums = ", ".join(f"SUM(f.{cell})" for cell in FACT_CELLS)
    where = f"f.month = %s AND f.cohort <> %s AND f.region_path IN ({', '.join(['%s'] * len(paths))})"
    params: list[Any] = [month, ALL_COHORTS, *paths]
    if closes:
        where += f" AND f.close_id IN ({', '.join(['%s'] * len(closes))})"
        params.extend(closes)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT f.region_path, b.bit, {sums} FROM {table} f "  # noqa: S608 - names are ours, values are parameters
            f"JOIN ({bits}) b ON b.bit = 0 OR (f.cohort & b.bit) <> 0 WHERE {where} GROUP BY f.region_path, b.bit",
            params,
        )
        for path, bit, *values in cursor.fetchall():
            found[path][bit] = {cell: int(value) for cell, value in zip(FACT_CELLS, values, strict=True)}
    return found


def _figures(
    region: Region, month: dt.date, sums: dict[int, dict[str, int]], visitors: int, closed: bool, corrections: int
) -> Figures:
    return Figures(
        region=region,
        month=month,
        cells=sums.get(0, {}),
        visitors_active=visitors,
        by_group={group: sums.get(bit, {}) for group, bit in GROUP_BITS.items()},
        high_risk=sums.get(HIGH_RISK_BIT, {}),
        closed=closed,
        corrections=corrections,
    )


def _common_path(paths: Sequence[str]) -> str:
    """The path of the deepest region above or at all of these ("" when they share none)."""
    shared = [prefix for prefix in path_prefixes(paths[0]) if all(p.startswith(prefix) for p in paths)] if paths else []
    return shared[-1] if shared else ""


def _live_visitors(paths: Sequence[str], month: dt.date) -> dict[str, int]:
    """Visitors who recorded visits in the month, for each of these regions: their rows at the region
    (`VisitorMonth` keeps one per visitor and region at every level), counted in one query."""
    found: dict[str, int] = dict.fromkeys(paths, 0)
    if paths:
        found.update(
            VisitorMonth.objects.filter(month=month, region_path__in=paths, rows__gt=0)
            .values_list("region_path")
            .annotate(n=Count("*"))
            .values_list("region_path", "n")
        )
    return found


def _corrections(paths: Sequence[str], month: dt.date) -> dict[str, int]:
    """Corrections not yet in a snapshot (补录) under each of these regions: one query for them all."""
    if not paths:
        return {}
    common = _common_path(paths)
    found = list(
        Correction.objects.filter(month=month, absorbed_by__isnull=True, region_path__startswith=common).values_list(
            "region_path", flat=True
        )
    )
    return {path: sum(1 for p in found if p.startswith(path)) for path in paths}


def _snapshots(regions: Sequence[Region], month: dt.date) -> dict[str, MonthClose | None]:
    """The closed snapshot each region's month reads from (its province's close), or None: one query."""
    provinces = {province_of(region.path) for region in regions}
    closes = {
        close.region_path: close
        for close in MonthClose.objects.filter(region_path__in=provinces, month=month, closed=True)
    }
    return {region.path: closes.get(province_of(region.path)) for region in regions}


def figures_of(regions: Sequence[Region], month: dt.date, *, visitors: bool = True) -> list[Figures]:
    """The month's figures of these regions (already checked to be readable), in the order given: summed
    in the database from the live facts, or from the snapshot while the month is closed. Without
    `visitors`, visitors active are left at 0 (a caller that needs only rates)."""
    if not regions:
        return []
    closes = _snapshots(regions, month)
    frozen = [r.path for r in regions if closes[r.path] is not None]
    live = [r.path for r in regions if closes[r.path] is None]
    close_ids = sorted({c.pk for c in closes.values() if c is not None})
    sums = {**_sums(MonthFact, month, live), **_sums(ClosedFact, month, frozen, close_ids)}
    active = _live_visitors(live, month) if visitors else {}
    if frozen and visitors:  # a snapshot keeps its distinct visitors on the row of every cohort
        active.update(
            ClosedFact.objects.filter(
                month=month, region_path__in=frozen, close__in=close_ids, cohort=ALL_COHORTS
            ).values_list("region_path", "visitors_active")
        )
    corrections = _corrections(frozen, month)
    return [
        _figures(
            region,
            month,
            sums[region.path],
            active.get(region.path, 0),
            closes[region.path] is not None,
            corrections.get(region.path, 0),
        )
        for region in regions
    ]


def region_figures(actor: Actor, code: str, month: dt.date) -> Figures:
    """A region's month, fresh: what was just recorded in it counts at once (its queue is drained)."""
    region = figures_region_for(actor, code)
    refresh_queued(region_path=region.path)
    return figures_of([region], month)[0]


@dataclass(frozen=True)
class Ranked:
    figures: Figures
    rank: int | None  # by visit rate, 1 is best; None without anyone to visit
    change: float | None  # the rate's change from the month before, in points of 1.0


def sub_regions(actor: Actor, code: str, month: dt.date) -> list[Ranked]:
    """The direct sub-regions of a region in scope, ranked by visit rate (best first), with the change
    from the month before. Regions without anyone to visit come last, unranked."""
    region = figures_region_for(actor, code)
    children = list(Region.objects.filter(parent=region).order_by("code"))
    now_ = figures_of(children, month)
    before = {f.region.code: f.rate for f in figures_of(children, due.add_months(month, -1), visitors=False)}
    rated = sorted((f for f in now_ if f.rate is not None), key=lambda f: (-(f.rate or 0), -f.to_visit, f.region.code))
    ranks = {f.region.code: i for i, f in enumerate(rated, start=1)}
    ordered = rated + [f for f in now_ if f.rate is None]
    return [
        Ranked(
            figures=f,
            rank=ranks.get(f.region.code),
            change=_change(f.rate, before.get(f.region.code)),
        )
        for f in ordered
    ]


def _change(now_: float | None, before: float | None) -> float | None:
    return now_ - before if now_ is not None and before is not None else None


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    to_visit: int
    visited: int
    rate: float | None


def trend(actor: Actor, code: str, month: dt.date, months: int = 12) -> list[TrendPoint]:
    """The visit rate of the `months` months up to `month`, oldest first (closed months from their
    snapshot), in three queries whatever the number of months."""
    region = figures_region_for(actor, code)
    firsts = [due.add_months(month, -back) for back in range(months - 1, -1, -1)]
    closes = {
        close.month: close
        for close in MonthClose.objects.filter(region_path=province_of(region.path), month__in=firsts, closed=True)
    }
    sums: dict[dt.date, Counter[str]] = {first: Counter() for first in firsts}
    live = [first for first in firsts if first not in closes]
    for fact in MonthFact.objects.filter(region_path=region.path, month__in=live).values(
        "month", "to_visit", "visited"
    ):
        sums[fact["month"]].update(to_visit=fact["to_visit"], visited=fact["visited"])
    if closes:
        for fact in (
            ClosedFact.objects.filter(region_path=region.path, close__in=list(closes.values()))
            .exclude(cohort=ALL_COHORTS)
            .values("month", "to_visit", "visited")
        ):
            sums[fact["month"]].update(to_visit=fact["to_visit"], visited=fact["visited"])
    return [
        TrendPoint(
            first,
            sums[first]["to_visit"],
            sums[first]["visited"],
            sums[first]["visited"] / sums[first]["to_visit"] if sums[first]["to_visit"] else None,
        )
        for first in firsts
    ]


# --- the elders behind a number ------------------------------------------------------------------

MEASURES: dict[str, Any] = {
    "to_visit": (_("应探访"), Q(to_visit=True)),
    "visited": (_("已探访"), Q(visited=True)),
    "not_visited": (_("未探访"), Q(to_visit=True, visited=False)),
    "home": (_("上门探访"), Q(visited=True, method="home")),
    "phone": (_("电话问候"), Q(visited=True, method="phone")),
    "video": (_("音视频探访"), Q(visited=True, method="video")),
    "declined": (_("不愿接受探访"), Q(declined=True)),
    "attempts": (_("未遇"), Q(attempts__gt=0)),
    "flagged": (_("有核查提示"), Q(flagged__gt=0)),
    "rejected": (_("审核不予认可"), Q(rejected__gt=0)),
    "fu_opened": (_("新发起跟进"), Q(fu_opened__gt=0)),
    "fu_overdue": (_("跟进逾期"), Q(fu_overdue__gt=0)),
    "services": (_("关爱服务"), Q(services__gt=0)),
    "incidents": (_("紧急事件"), Q(incidents__gt=0)),
}


def _cohorts_with(bit: int) -> list[int]:
    return [c for c in range(HIGH_RISK_BIT * 2) if c & bit]


def elders_behind(actor: Actor, code: str, month: dt.date, measure: str, group: str = "") -> QuerySet[MonthDue]:
    """The elder-month rows behind one of a region's numbers (MEASURES), optionally of one group only,
    by village then elder. Roles that read figures but not elders (none today) would get NotFound."""
    region = figures_region_for(actor, code)
    if measure not in MEASURES or not has_permission(actor.role, Permission.VIEW_ELDERS):
        raise NotFound()
    refresh_queued(region_path=region.path)
    condition = MEASURES[measure][1]
    rows = MonthDue.objects.filter(condition, month=month, region_path__startswith=region.path)
    if group:
        if group not in GROUP_BITS:
            raise NotFound()
        rows = rows.filter(cohort__in=_cohorts_with(GROUP_BITS[group]))
    return rows.select_related("elder", "elder__region").order_by("region_path", "elder_id")


# --- months: open, closed, corrections --------------------------------------------------------------


@dataclass(frozen=True)
class MonthStatus:
    month: dt.date
    state: str  # open | closed | reopened
    closes_on: dt.date
    closed_at: dt.datetime | None
    corrections: int
    reason: str = ""


def month_status(actor: Actor, code: str, month: dt.date) -> MonthStatus:
    """Whether a month is open, closed or re-opened for the region's province, and the corrections since."""
    region = figures_region_for(actor, code)
    close = close_of(region.path, month)
    state = "open" if close is None else ("closed" if close.closed else "reopened")
    return MonthStatus(
        month=month,
        state=state,
        closes_on=closes_on(month),
        closed_at=close.closed_at if close else None,
        corrections=open_corrections(region.path, month) if close is not None else 0,
        reason=close.reason if close else "",
    )


def recent_months(actor: Actor, code: str, today: dt.date, count: int = 13) -> list[MonthStatus]:
    """This month and the ones before it, newest first, with their state."""
    return [month_status(actor, code, due.add_months(today.replace(day=1), -back)) for back in range(count)]
