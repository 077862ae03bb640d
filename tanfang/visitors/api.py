"""Visitor and pairing endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, cast

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tanfang.accounts.models import User
from tanfang.core.api_params import (
    TOWNSHIP_OR_VILLAGE_CODE,
    Documented,
    NotBlank,
    OneOf,
    PageNumber,
    PageSize,
    RecordId,
    RecordRef,
)
from tanfang.core.paging import page_of
from tanfang.core.roles import Permission
from tanfang.elders.selectors import get_elder_for
from tanfang.regions.scoping import require_permission
from tanfang.visitors.models import Pairing, Visitor, VisitorKind
from tanfang.visitors.selectors import get_visitor_for, visitors_visible_to
from tanfang.visitors.services import VisitorInput, create_visitor, pair

router = Router(tags=["visitors"])

# The canonical form of what visitors.services checks (it also takes spaces and says what is wrong).
PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})?$"


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


class VisitorOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    organisation: str
    phone: str
    region_code: str
    region: str
    served: list[str]
    capacity: int
    load: int
    active: bool

    @staticmethod
    def of(visitor: Visitor) -> VisitorOut:
        return VisitorOut(
            id=visitor.pk,
            name=visitor.name,
            kind=visitor.kind,
            kind_label=visitor.get_kind_display(),
            organisation=visitor.organisation,
            phone=visitor.phone_masked,
            region_code=visitor.region_id,
            region=visitor.region.name,
            served=[r.code for r in visitor.served.all()],
            capacity=visitor.capacity,
            load=getattr(visitor, "load", 0),
            active=visitor.active,
        )


class VisitorQuery(Schema):
    q: str = Field("", max_length=50, description="姓名")
    kind: str = ""
    active: bool | None = None
    page: PageNumber = 1
    page_size: PageSize = 50


class VisitorPageOut(Schema):
    page: int
    page_size: int
    has_next: bool
    items: list[VisitorOut]


@router.get("/visitors", response=VisitorPageOut, summary="探访关爱服务人员（含当前结对人数）")
def list_visitors(request: HttpRequest, query: Query[VisitorQuery]) -> VisitorPageOut:
    require_permission(_user(request), Permission.VIEW_ELDERS)
    visitors = visitors_visible_to(_user(request)).select_related("region").prefetch_related("served")
    if query.q:
        visitors = visitors.filter(name__startswith=query.q.strip())
    if query.kind:
        visitors = visitors.filter(kind=query.kind)
    if query.active is not None:
        visitors = visitors.filter(active=query.active)
    page = page_of(visitors.order_by("region_path", "id"), page=query.page, page_size=query.page_size)
    return VisitorPageOut(
        page=page.page, page_size=page.page_size, has_next=page.has_next, items=[VisitorOut.of(v) for v in page.items]
    )


@router.get("/visitors/{int:visitor_id}", response=VisitorOut, summary="探访关爱服务人员详情")
def get_visitor(request: HttpRequest, visitor_id: RecordId) -> VisitorOut:
    return VisitorOut.of(get_visitor_for(_user(request), visitor_id))


class VisitorIn(Schema):
    name: NotBlank = Field(..., max_length=50, examples=["李华"])
    kind: Annotated[str, OneOf(VisitorKind)] = Field(..., examples=[VisitorKind.VOLUNTEER])
    region_code: Annotated[str, Documented(pattern=TOWNSHIP_OR_VILLAGE_CODE)] = Field(
        ..., max_length=12, description="所在乡镇（街道）或村（社区）的12位代码", examples=["410823001001"]
    )
    served_codes: list[Annotated[str, Documented(pattern=TOWNSHIP_OR_VILLAGE_CODE)]] = Field(
        default_factory=list, description="服务的乡镇或村代码，默认即所在区划"
    )
    organisation: str = Field("", max_length=100)
    phone: Annotated[str, Documented(pattern=PHONE_PATTERN)] = Field(
        "", max_length=20, description="11位手机号或带区号的固定电话"
    )
    capacity: int = Field(20, ge=1, le=500)


@router.post("/visitors", response={201: VisitorOut}, summary="新增探访关爱服务人员")
def create_visitor_endpoint(request: HttpRequest, payload: VisitorIn) -> Status[VisitorOut]:
    visitor = create_visitor(actor=_user(request), data=VisitorInput(**payload.dict()))
    return Status(201, VisitorOut.of(get_visitor_for(_user(request), visitor.pk)))


class PairingIn(Schema):
    elder_id: RecordRef
    visitor_id: RecordRef
    role: Annotated[str, OneOf(Pairing.Role)] = Field(
        Pairing.Role.PRIMARY, description="primary 主要探访人 / backup 备用探访人"
    )


class PairingOut(Schema):
    id: int
    elder_id: int
    visitor_id: int
    role: str
    started_on: dt.date
    ended_on: dt.date | None

    @staticmethod
    def of(pairing: Pairing) -> PairingOut:
        return PairingOut(
            id=pairing.pk,
            elder_id=pairing.elder_id,
            visitor_id=pairing.visitor_id,
            role=pairing.role,
            started_on=pairing.started_on,
            ended_on=pairing.ended_on,
        )


@router.post(
    "/pairings", response={201: PairingOut}, summary="结对：为老人指定主要或备用探访人（更换主要探访人时原结对结束）"
)
def create_pairing(request: HttpRequest, payload: PairingIn) -> Status[PairingOut]:
    actor = _user(request)
    elder = get_elder_for(actor, payload.elder_id)
    visitor = get_visitor_for(actor, payload.visitor_id)
    return Status(201, PairingOut.of(pair(actor=actor, elder=elder, visitor=visitor, role=payload.role)))
