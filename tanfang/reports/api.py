"""Supervision figures over the API: a region's month and its direct sub-regions, and months' state.

Every number comes from schedule.figures, the same facts the dashboard and the exports read; a
closed month answers from its snapshot, with the corrections since (补录) counted apart.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from tanfang.core.errors import NotFound
from tanfang.core.scope import actor_of
from tanfang.core.time import local_today
from tanfang.reports.dashboard import default_region_code
from tanfang.schedule.figures import Figures, figures_region_for, month_status, parse_month, region_figures, sub_regions

router = Router(tags=["reports"])

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class FiguresQuery(Schema):
    region: str = Field("", description="区划代码，默认为本人辖区", pattern=r"^(\d{6}(\d{6})?)?$")
    month: str = Field("", description="YYYY-MM，默认本月", pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$")


def _month(text: str) -> dt.date:
    return parse_month(text, local_today())


def _code(request: HttpRequest, code: str) -> str:
    found = code or default_region_code(actor_of(request))
    if not found:
        raise NotFound()
    return found


class RateOut(Schema):
    code: str
    name: str
    to_visit: int = Field(..., description="应探访人数")
    visited: int = Field(..., description="已探访人数")
    rate: float | None = Field(..., description="月探访率（0–1），无应探访时为 null")
    declined: int = Field(..., description="不愿接受探访（不计入应探访，除非本地政策计入）")


class RankedRateOut(RateOut):
    rank: int | None = Field(..., description="按探访率排名，1 为最好；无应探访时为 null")
    change: float | None = Field(..., description="探访率较上月的变化（0–1）")


class VisitRateOut(RateOut):
    month: str
    closed: bool = Field(..., description="该月已月结：数据来自月结快照")
    corrections: int = Field(..., description="月结后补录的记录数（未计入快照）")
    sub_regions: list[RankedRateOut]


def _rate(f: Figures) -> dict[str, Any]:
    return {
        "code": f.region.code,
        "name": f.region.name,
        "to_visit": f.to_visit,
        "visited": f.visited,
        "rate": round(f.rate, 4) if f.rate is not None else None,
        "declined": f.declined,
    }


@router.get("/reports/visit-rate", response=VisitRateOut, summary="某区划某月的探访率，及各直属下级区划的探访率和排名")
def visit_rate(request: HttpRequest, query: Query[FiguresQuery]) -> VisitRateOut:
    actor, month = actor_of(request), _month(query.month)
    code = _code(request, query.region)
    figures = region_figures(actor, code, month)
    ranked = sub_regions(actor, code, month)
    return VisitRateOut(
        **_rate(figures),
        month=f"{month:%Y-%m}",
        closed=figures.closed,
        corrections=figures.corrections,
        sub_regions=[
            RankedRateOut(**_rate(r.figures), rank=r.rank, change=round(r.change, 4) if r.change is not None else None)
            for r in ranked
        ],
    )


class IndicatorsOut(Schema):
    code: str
    name: str
    month: str
    closed: bool
    corrections: int
    indicators: dict[str, Any] = Field(
        ...,
        description=(
            "to_visit 应探访, visited 已探访, rate 探访率, not_visited 未探访, visited_home/visited_phone/"
            "visited_video/visited_other 按方式, declined 不愿接受探访, contacts 计入的联系次数, attempts 未遇, "
            "flagged 有核查提示, pending 待审核, confirmed 审核认可, rejected 不予认可, fu_opened/fu_done/"
            "fu_overdue 跟进事项新发起/办结/逾期, services 关爱服务, satisfaction 平均满意度（1–5）, "
            "incidents 紧急事件, visitors_active 活跃探访人员, groups 各类别应探访/已探访, "
            "disabled_home 失能老人上门探访, "
            "high_risk 高风险老人"
        ),
    )
    sub_regions: list[dict[str, Any]]


@router.get("/reports/indicators", response=IndicatorsOut, summary="某区划某月的全部指标，及各直属下级区划的指标")
def indicators(request: HttpRequest, query: Query[FiguresQuery]) -> IndicatorsOut:
    actor, month = actor_of(request), _month(query.month)
    code = _code(request, query.region)
    figures = region_figures(actor, code, month)
    return IndicatorsOut(
        code=figures.region.code,
        name=figures.region.name,
        month=f"{month:%Y-%m}",
        closed=figures.closed,
        corrections=figures.corrections,
        indicators=figures.as_dict(),
        sub_regions=[
            {"code": r.figures.region.code, "name": r.figures.region.name, "rank": r.rank, **r.figures.as_dict()}
            for r in sub_regions(actor, code, month)
        ],
    )


class MonthStatusOut(Schema):
    month: str
    region: str
    state: str = Field(..., description="open 进行中 / closed 已月结 / reopened 已重新打开")
    closes_on: dt.date = Field(..., description="月结日：该日之后自动月结")
    closed_at: dt.datetime | None
    corrections: int = Field(..., description="月结后补录、尚未计入快照的记录数")


@router.get(
    "/reports/months/{month}/status", response=MonthStatusOut, summary="某月的月结状态：进行中、已月结、补录条数"
)
def month_state(
    request: HttpRequest,
    month: Annotated[str, Path(pattern=MONTH_PATTERN, description="YYYY-MM")],
    region: Annotated[str, Query(pattern=r"^(\d{6}(\d{6})?)?$", description="区划代码，默认为本人辖区")] = "",
) -> MonthStatusOut:
    first = _month(month)
    code = _code(request, region)
    figures_region_for(actor_of(request), code)
    status = month_status(actor_of(request), code, first)
    return MonthStatusOut(
        month=f"{first:%Y-%m}",
        region=code,
        state=status.state,
        closes_on=status.closes_on,
        closed_at=status.closed_at,
        corrections=status.corrections,
    )
