"""Schedule endpoints: the caller's work list and a region's month."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tanfang.accounts.models import User
from tanfang.core.api_params import Day, Example, OneOf, PageNumber, RegionCodeInPath, today
from tanfang.core.time import local_today
from tanfang.elders.models import Group
from tanfang.schedule import due
from tanfang.schedule.figures import parse_month
from tanfang.schedule.models import WeatherEvent
from tanfang.schedule.selectors import REASON_LABELS, month_of_region, policy_of_region, visitor_of, worklist
from tanfang.schedule.services import MAX_WEATHER_DAYS, declare_weather, save_policy

router = Router(tags=["schedule"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


class WorkItemOut(Schema):
    elder_id: int
    name: str
    village: str
    address: str
    phone: str = Field(..., description="脱敏显示；拨打请用 call_url")
    call_url: str
    contact_call_url: str
    role: str
    state: str | None = Field(..., description="overdue 逾期 / due_soon 即将到期 / due 待探访 / null 本期已完成")
    deadline: dt.date | None
    days_left: int | None
    reason: str
    reason_label: str
    label: str
    last_visit_on: dt.date | None
    last_method: str


@router.get("/worklist", response=list[WorkItemOut], summary="我的探访：结对老人按紧急程度排序（逾期在前）")
def get_worklist(request: HttpRequest) -> list[WorkItemOut]:
    visitor = visitor_of(_user(request))
    items = worklist(visitor, local_today())
    return [
        WorkItemOut(
            elder_id=i.elder.pk,
            name=i.elder.name,
            village=i.elder.region.name,
            address=i.elder.address,
            phone=i.elder.phone_masked,
            call_url=f"/worklist/call/{i.elder.pk}/",
            contact_call_url=f"/worklist/call/{i.elder.pk}/?to=contact",
            role=i.role,
            state=str(i.state) if i.state else None,
            deadline=i.deadline,
            days_left=i.days_left,
            reason=i.reason,
            reason_label=_(REASON_LABELS[due.Reason(i.reason)]) if i.reason else "",
            label=i.label,
            last_visit_on=i.last_contact_on,
            last_method=i.last_method,
        )
        for i in items
    ]


class DueQuery(Schema):
    month: str = Field("", description="YYYY-MM，默认本月", pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$")
    page: PageNumber = 1
    page_size: int = Field(100, ge=1, le=500)


class DueElderOut(Schema):
    elder_id: int
    name: str
    village_code: str
    deadline: dt.date | None
    last_visit_on: dt.date | None


class RegionDueOut(Schema):
    region: str
    month: str
    denominator: int
    visited: int
    rate: float | None
    not_visited: list[DueElderOut]
    page: int
    has_next: bool


@router.get("/regions/{code}/due", response=RegionDueOut, summary="某区划某月的应探访人数、已探访人数和未探访名单")
def region_due(request: HttpRequest, code: RegionCodeInPath, query: Query[DueQuery]) -> RegionDueOut:
    today = local_today()
    first = parse_month(query.month, today)
    year, month = first.year, first.month
    figures = month_of_region(_user(request), code, year, month, today, page=query.page, page_size=query.page_size)
    return RegionDueOut(
        region=code,
        month=f"{year:04d}-{month:02d}",
        denominator=figures.denominator,
        visited=figures.visited,
        rate=figures.rate,
        not_visited=[DueElderOut(**vars(m)) for m in figures.missed],
        page=query.page,
        has_next=figures.has_next,
    )


class PolicyIn(Schema):
    monthly_contacts: int = Field(1, ge=1, le=10)
    count_home: bool = True
    count_phone: bool = True
    count_video: bool = True
    count_other: bool = False
    disabled_home_visit_months: int = Field(3, ge=1, le=12)
    high_risk_interval_days: int = Field(7, ge=1, le=31)
    pause_when_away: bool = False
    count_declined: bool = Field(False, description="不愿接受探访的老人计入应探访人数（默认不计入，单独统计）")
    festival_window_before: int = Field(7, ge=0, le=30)
    festival_window_after: int = Field(0, ge=0, le=30)


class PolicyOut(Schema):
    region: str
    monthly_contacts: int
    counted_methods: list[str]
    disabled_home_visit_months: int
    high_risk_interval_days: int
    when_away: str
    count_declined: bool


@router.get("/regions/{code}/policy", response=PolicyOut, summary="区划的有效探访政策（含上级继承）")
def get_policy(request: HttpRequest, code: RegionCodeInPath) -> PolicyOut:
    policy = policy_of_region(_user(request), code).effective
    return PolicyOut(
        region=code,
        monthly_contacts=policy.monthly_contacts,
        counted_methods=sorted(policy.counted_methods),
        disabled_home_visit_months=policy.disabled_home_visit_months,
        high_risk_interval_days=policy.high_risk_interval_days,
        when_away=str(policy.when_away),
        count_declined=policy.count_declined,
    )


@router.put("/regions/{code}/policy", response=PolicyOut, summary="设置区划的探访政策（只能比上级更严）")
def put_policy(request: HttpRequest, code: RegionCodeInPath, payload: PolicyIn) -> PolicyOut:
    save_policy(actor=_user(request), region_code=code, values=payload.dict())
    return get_policy(request, code)


class WeatherIn(Schema):
    kind: Annotated[str, OneOf(WeatherEvent.Kind)] = Field(
        ..., description="cold_wave 寒潮 / heat_wave 高温 / rainstorm 暴雨 / snow 暴雪"
    )
    starts_on: Annotated[Day, Example(today)]
    ends_on: Annotated[Day, Example(today)] = Field(
        ..., description=f"不早于开始日期，期间不超过 {MAX_WEATHER_DAYS} 天"
    )
    groups: list[Annotated[str, OneOf(Group)]] = Field(default_factory=list, description="须联系的类别，空为全部")
    note: str = Field("", max_length=200)


class WeatherOut(Schema):
    id: int
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    groups: list[str]


@router.post(
    "/regions/{code}/weather-events", response={201: WeatherOut}, summary="发布极端天气：期间内须联系所选类别的老人"
)
def post_weather(request: HttpRequest, code: RegionCodeInPath, payload: WeatherIn) -> Status[WeatherOut]:
    event = declare_weather(
        actor=_user(request),
        region_code=code,
        kind=payload.kind,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        groups=payload.groups,
        note=payload.note,
    )
    return Status(
        201,
        WeatherOut(
            id=event.pk,
            kind=event.kind,
            starts_on=event.starts_on,
            ends_on=event.ends_on,
            groups=[g for g in event.groups.split(",") if g],
        ),
    )
