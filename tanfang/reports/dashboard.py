"""The supervision dashboard (统计分析) and the lists of elders behind its numbers, as view-models.

Every number comes from `schedule.figures` (the month's facts, or the snapshot of a closed month);
this module only arranges them for the page: the month's state, the ranked sub-regions with the
红黑榜, the chart data handed to `reports/dashboard.js`, and a link from each number that has a
measure (`figures.MEASURES`) to the elders behind it. The reads check the actor's scope and role
themselves (NotFound outside either), so the views only parse, call and render.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tanfang.core.errors import NotFound
from tanfang.core.paging import Page, page_of
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor
from tanfang.elders.models import Group
from tanfang.regions.models import Region
from tanfang.regions.paths import codes_of
from tanfang.regions.scoping import regions_visible_to, top_regions_for
from tanfang.reports.numbers import percent_value
from tanfang.schedule import figures
from tanfang.schedule.closing import closes_on
from tanfang.schedule.models import MonthDue
from tanfang.visits.models import Method

LISTED = 5  # the 红榜 and the 黑榜 each name this many sub-regions

# The per-elder counts a row of the elders list shows beside its visit, with their labels.
ROW_COUNTS = ("attempts", "flagged", "rejected", "fu_opened", "fu_overdue", "services", "incidents")


def default_region_code(actor: Actor) -> str | None:
    """The region a dashboard opens on: the actor's first top region (None without one). NotFound for a
    role that does not read figures, as for any region."""
    if not has_permission(actor.role, Permission.VIEW_FIGURES):
        raise NotFound()
    top = top_regions_for(actor).first()
    return top.code if top is not None else None


def readable_region(actor: Actor, code: str, *, elders: bool = False) -> Region:
    """The region whose figures (and, with `elders`, whose elders behind them) the actor may read; NotFound
    else. For a page that cannot show the figures (a month it could not read) but must refuse the same."""
    region = figures.figures_region_for(actor, code)
    if elders and not has_permission(actor.role, Permission.VIEW_ELDERS):
        raise NotFound()
    return region


def dashboard_url(code: str, month: dt.date) -> str:
    return reverse("reports:dashboard") + "?" + urlencode({"region": code, "month": f"{month:%Y-%m}"})


def elders_url(code: str, month: dt.date, measure: str, group: str = "") -> str:
    params = {"region": code, "month": f"{month:%Y-%m}", "measure": measure}
    if group:
        params["group"] = group
    return reverse("reports:elders") + "?" + urlencode(params)


@dataclass(frozen=True)
class Number:
    """One number on the page; `url` leads to the elders behind it (a number without a measure, or a
    zero, has none)."""

    key: str
    label: str
    value: int | float | None  # None: nothing to count (no satisfaction given), shown as —
    url: str = ""


@dataclass(frozen=True)
class SubRegion:
    region: Region
    rank: int | None
    rate: float | None  # percent, one decimal
    change: float | None  # percentage points from the month before
    to_visit: Number
    visited: Number
    not_visited: Number
    url: str  # the same dashboard for this region

    @property
    def change_size(self) -> float | None:
        return abs(self.change) if self.change is not None else None

    @property
    def numbers(self) -> list[Number]:
        return [self.to_visit, self.visited, self.not_visited]


@dataclass(frozen=True)
class TrendRow:
    month: dt.date
    to_visit: int
    visited: int
    rate: float | None  # percent, one decimal


@dataclass(frozen=True)
class Dashboard:
    region: Region
    month: dt.date
    this_month: dt.date
    tops: Sequence[Region]  # the actor's top regions, to switch between when it has several
    breadcrumbs: Sequence[Region]  # the visible regions above this one, province first
    figures: figures.Figures
    closes_on: dt.date
    has_data: bool
    rate: float | None  # percent, one decimal
    headline: Sequence[Number]  # 应探访, 已探访, 未探访, 不愿接受探访 (counted apart)
    methods: Sequence[Number]
    disabled: Sequence[Number]  # 失能 coverage
    disabled_rate: float | None
    sections: Sequence[tuple[str, Sequence[Number]]]  # follow-ups, review, care, the rest: titled cards
    sub_regions: Sequence[SubRegion]
    best: Sequence[SubRegion]  # 红榜
    worst: Sequence[SubRegion]  # 黑榜, worst first
    trend: Sequence[TrendRow]  # oldest first
    data: dict[str, Any] = field(default_factory=dict)  # the charts' data, for json_script


def _percent(rate: float | None) -> float | None:
    """A rate in percent to one decimal (figures_tags.percent_value: 100% only when everyone was visited)."""
    return percent_value(rate)


class _Numbers:
    """Numbers of one region and month, each linked to its elders when it has a measure."""

    def __init__(self, code: str, month: dt.date, group: str = "") -> None:
        self.code, self.month, self.group = code, month, group

    def __call__(self, key: str, label: str, value: int, measure: str | None = None) -> Number:
        url = elders_url(self.code, self.month, measure, self.group) if measure and value else ""
        return Number(key=key, label=label, value=value, url=url)


def _sub_region(ranked: figures.Ranked, month: dt.date) -> SubRegion:
    f = ranked.figures
    number = _Numbers(f.region.code, month)
    return SubRegion(
        region=f.region,
        rank=ranked.rank,
        rate=_percent(f.rate),
        change=round(ranked.change * 100, 1) if ranked.change is not None else None,
        to_visit=number("to_visit", _("应探访"), f.to_visit, "to_visit"),
        visited=number("visited", _("已探访"), f.visited, "visited"),
        not_visited=number("not_visited", _("未探访"), f.not_visited, "not_visited"),
        url=dashboard_url(f.region.code, month),
    )


def red_and_black(rows: Sequence[SubRegion]) -> tuple[list[SubRegion], list[SubRegion]]:
    """The best five and the worst five of the ranked sub-regions; with fewer than ten, none is on both."""
    ranked = [r for r in rows if r.rank is not None]
    best = ranked[:LISTED]
    worst = ranked[max(len(best), len(ranked) - LISTED) :]
    return best, worst[::-1]


def dashboard_for(
    actor: Actor, code: str, month: dt.date, today: dt.date, current: figures.Figures | None = None
) -> Dashboard:
    """A region's month for the dashboard: its figures, trend and ranked sub-regions. NotFound outside the
    actor's scope or for a role that does not read figures. `current`: the region's figures of the month,
    when the caller has just read them (the home page's board)."""
    if current is None or current.region.code != code or current.month != month:
        current = figures.region_figures(actor, code, month)
    region = current.region
    subs = [_sub_region(r, month) for r in figures.sub_regions(actor, code, month)]
    best, worst = red_and_black(subs)
    points = figures.trend(actor, code, month)
    number = _Numbers(region.code, month)
    disabled_number = _Numbers(region.code, month, Group.DISABLED)
    disabled = current.disabled
    disabled_to_visit, disabled_visited = disabled.get("to_visit", 0), disabled.get("visited", 0)
    satisfaction = round(current.satisfaction, 1) if current.satisfaction is not None else None
    board = Dashboard(
        region=region,
        month=month,
        this_month=today.replace(day=1),
        tops=list(top_regions_for(actor)),
        breadcrumbs=list(regions_visible_to(actor).filter(code__in=codes_of(region.path)[:-1]).order_by("level")),
        figures=current,
        closes_on=closes_on(month),
        has_data=any(current.cells.values()),
        rate=_percent(current.rate),
        headline=[
            number("to_visit", _("应探访"), current.to_visit, "to_visit"),
            number("visited", _("已探访"), current.visited, "visited"),
            number("not_visited", _("未探访"), current.not_visited, "not_visited"),
            number("declined", _("不愿接受探访"), current.declined, "declined"),
        ],
        methods=[
            number("visited_home", str(Method.HOME.label), current.visited_home, "home"),
            number("visited_video", str(Method.VIDEO.label), current.visited_video, "video"),
            number("visited_phone", str(Method.PHONE.label), current.visited_phone, "phone"),
            number("visited_other", str(Method.OTHER.label), current.visited_other),
        ],
        disabled=[
            disabled_number("to_visit", _("应探访"), disabled_to_visit, "to_visit"),
            disabled_number("visited", _("已探访"), disabled_visited, "visited"),
            disabled_number("not_visited", _("未探访"), disabled_to_visit - disabled_visited, "not_visited"),
            disabled_number("visited_home", _("其中上门探访"), disabled.get("visited_home", 0), "home"),
        ],
        disabled_rate=_percent(current.group_rate(Group.DISABLED)),
        sections=[
            (
                _("跟进事项"),
                [
                    number("fu_opened", _("新发起跟进"), current.fu_opened, "fu_opened"),
                    number("fu_done", _("已办结"), current.fu_done),
                    number("fu_overdue", _("跟进逾期"), current.fu_overdue, "fu_overdue"),
                ],
            ),
            (
                _("探访核查"),
                [
                    number("flagged", _("有核查提示"), current.flagged, "flagged"),
                    number("pending", _("待审核"), current.pending),
                    number("confirmed", _("审核认可"), current.confirmed),
                    number("rejected", _("审核不予认可"), current.rejected, "rejected"),
                ],
            ),
            (
                _("关爱服务"),
                [
                    number("services", _("服务次数"), current.services, "services"),
                    Number("satisfaction", _("平均满意度（1–5）"), satisfaction),
                ],
            ),
            (
                _("其他指标"),
                [
                    number("incidents", _("紧急事件"), current.incidents, "incidents"),
                    number("attempts", _("未遇"), current.attempts, "attempts"),
                    number("visitors_active", _("有探访记录的探访人员"), current.visitors_active),
                ],
            ),
        ],
        sub_regions=subs,
        best=best,
        worst=worst,
        trend=[TrendRow(p.month, p.to_visit, p.visited, _percent(p.rate)) for p in points],
    )
    return replace(board, data=_chart_data(board))


def _chart_data(board: Dashboard) -> dict[str, Any]:
    """What dashboard.js draws: plain numbers and the words for them, in the page's language."""
    return {
        "locale": "ZH" if (get_language() or "zh-hans").startswith("zh") else "EN",
        "labels": {
            "rate": _("探访率（%）"),
            "toVisit": _("应探访"),
            "visited": _("已探访"),
            "count": _("人数"),
        },
        "trend": {
            "months": [f"{p.month:%Y-%m}" for p in board.trend],
            "toVisit": [p.to_visit for p in board.trend],
            "visited": [p.visited for p in board.trend],
            "rates": [p.rate for p in board.trend],
        },
        "subRegions": {
            "names": [s.region.name for s in board.sub_regions if s.rate is not None],
            "rates": [s.rate for s in board.sub_regions if s.rate is not None],
        },
        "disabled": {"names": [n.label for n in board.disabled], "values": [n.value for n in board.disabled]},
        "methods": {"names": [n.label for n in board.methods], "values": [n.value for n in board.methods]},
    }


# --- the elders behind a number ------------------------------------------------------------------


@dataclass(frozen=True)
class ElderRow:
    row: MonthDue
    method: str  # the label of the counted contact's method, "" without one
    counts: Sequence[tuple[str, int]]  # the row's other non-zero counts, labelled


@dataclass(frozen=True)
class EldersBehind:
    region: Region
    month: dt.date
    measure: str
    measure_label: str
    group: str
    group_label: str
    page: Page[MonthDue]
    rows: Sequence[ElderRow]
    closed: bool  # the dashboard shows the month's snapshot; this list the rows as they are now
    back_url: str


def _count_labels() -> dict[str, str]:
    return {
        "attempts": _("未遇"),
        "flagged": _("有核查提示"),
        "rejected": _("审核不予认可"),
        "fu_opened": _("新发起跟进"),
        "fu_overdue": _("跟进逾期"),
        "services": _("关爱服务"),
        "incidents": _("紧急事件"),
    }


def elders_behind_page(
    actor: Actor, code: str, month: dt.date, measure: str, group: str = "", page: int = 1
) -> EldersBehind:
    """One page of the elders behind a number of the dashboard. NotFound outside the scope, for a role
    that does not read elders, and for an unknown measure or group."""
    rows: QuerySet[MonthDue] = figures.elders_behind(actor, code, month, measure, group)
    status = figures.month_status(actor, code, month)
    shown = page_of(rows, page=page)
    region = figures.figures_region_for(actor, code)
    methods = dict(Method.choices)
    labels = _count_labels()
    return EldersBehind(
        region=region,
        month=month,
        measure=measure,
        measure_label=str(figures.MEASURES[measure][0]),
        group=group,
        group_label=str(Group(group).label) if group else "",
        page=shown,
        rows=[
            ElderRow(
                row=row,
                method=str(methods.get(row.method, "")) if row.method else "",
                counts=[(labels[name], getattr(row, name)) for name in ROW_COUNTS if getattr(row, name)],
            )
            for row in shown.items
        ],
        closed=status.state == "closed",
        back_url=dashboard_url(code, month),
    )
