"""Visit endpoints. For now: a visitor's service hours."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django.http import HttpRequest
from ninja import Query, Router, Schema

from tanfang.accounts.models import User
from tanfang.core.api_params import Day, RecordId
from tanfang.visitors.models import HOURS_KINDS
from tanfang.visitors.selectors import get_visitor_for
from tanfang.visits.selectors import service_hours

router = Router(tags=["visits"])


class HoursQuery(Schema):
    since: Day | None = None
    until: Day | None = None


class HoursOut(Schema):
    visitor_id: int
    counted: bool
    hours: Decimal


@router.get(
    "/visitors/{int:visitor_id}/hours", response=HoursOut, summary="探访人员的服务时长（志愿者、学生计入服务时长）"
)
def visitor_hours(request: HttpRequest, visitor_id: RecordId, query: Query[HoursQuery]) -> HoursOut:
    visitor = get_visitor_for(cast(User, request.user), visitor_id)
    return HoursOut(
        visitor_id=visitor.pk,
        counted=visitor.kind in HOURS_KINDS,
        hours=service_hours(visitor, since=query.since, until=query.until),
    )
