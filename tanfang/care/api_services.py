"""Care-service and provider endpoints; added to the API beside `care.api`.

- `GET /providers`, `GET /providers/{id}`: the registry as the caller sees it (contacts' phones masked).
- `GET /care-services` (filters: elder, since, until), `GET /care-services/{id}`: scoped.
- `POST /care-services`: record one (section 6 of the form); a `client_id` sent again stores nothing
  twice (200 with the first one).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, cast

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tanfang.accounts.models import User
from tanfang.care.care_services import (
    SEAL_MAX_BYTES,
    SIGNATURE_MAX_BYTES,
    CareServiceFilters,
    CareServiceInput,
    care_service_list,
    decode_image,
    get_care_service_for,
    may_see_care_services,
    record_care_service,
)
from tanfang.care.models import CareService, Provider, ProviderCategory, Satisfaction, ServiceKind
from tanfang.care.providers import (
    ProviderFilters,
    contract_state,
    contract_state_label,
    get_provider_for,
    kind_labels,
    may_see_providers,
    provider_list,
)
from tanfang.core.api_params import Day, Example, OneOf, PageNumber, PageSize, RecordId, RecordRef, today
from tanfang.core.errors import FieldError, PermissionDenied, ValidationFailed
from tanfang.core.paging import page_of

router = Router(tags=["care services"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


# --- providers ---------------------------------------------------------------------------------


class ContractOut(Schema):
    id: int
    number: str
    buyer: str
    starts_on: dt.date
    ends_on: dt.date
    kinds: list[str]
    amount: str | None = Field(None, description="金额（元），未公开时为空")
    state: str = Field(..., description="active 在期 / expired 已到期 / upcoming 未开始")
    state_label: str


class ProviderOut(Schema):
    id: int
    name: str
    category: str
    category_label: str
    kinds: list[str]
    kind_labels: list[str]
    region_code: str
    region_name: str
    contact_name: str
    contact_phone: str = Field(..., description="联系电话（脱敏）")
    address: str
    active: bool
    contracts: list[ContractOut]


def provider_out(provider: Provider) -> ProviderOut:
    contracts = sorted(provider.contracts.all(), key=lambda c: (c.ends_on, c.pk), reverse=True)
    return ProviderOut(
        id=provider.pk,
        name=provider.name,
        category=provider.category,
        category_label=str(ProviderCategory(provider.category).label),
        kinds=list(provider.kinds),
        kind_labels=kind_labels(provider.kinds),
        region_code=provider.region.code,
        region_name=provider.region.name,
        contact_name=provider.contact_name,
        contact_phone=provider.contact_phone_masked,
        address=provider.address,
        active=provider.active,
        contracts=[
            ContractOut(
                id=c.pk,
                number=c.number,
                buyer=c.buyer,
                starts_on=c.starts_on,
                ends_on=c.ends_on,
                kinds=list(c.kinds),
                amount=str(c.amount) if c.amount is not None else None,
                state=contract_state(c),
                state_label=contract_state_label(contract_state(c)),
            )
            for c in contracts
        ],
    )


class ProviderQuery(Schema):
    category: Annotated[str, OneOf(ProviderCategory, blank=True)] = Field("", description="机构类别")
    kind: Annotated[str, OneOf(ServiceKind, blank=True)] = Field("", description="提供的服务类别")
    q: str = Field("", max_length=50, description="机构名称（包含）")
    page: PageNumber = 1
    page_size: PageSize = 50


class ProviderPageOut(Schema):
    items: list[ProviderOut]
    page: int
    page_size: int
    has_next: bool


@router.get("/providers", response=ProviderPageOut, summary="服务机构（本辖区及为本辖区服务的上级机构）")
def list_providers(request: HttpRequest, query: Query[ProviderQuery]) -> ProviderPageOut:
    actor = _user(request)
    if not may_see_providers(actor):
        raise PermissionDenied()
    rows = provider_list(actor, ProviderFilters(category=query.category, kind=query.kind, q=query.q))
    page = page_of(rows.prefetch_related("contracts"), page=query.page, page_size=query.page_size)
    return ProviderPageOut(
        items=[provider_out(p) for p in page.items], page=page.page, page_size=page.page_size, has_next=page.has_next
    )


@router.get("/providers/{int:provider_id}", response=ProviderOut, summary="一家服务机构及其购买服务合同")
def get_provider(request: HttpRequest, provider_id: RecordId) -> ProviderOut:
    return provider_out(get_provider_for(_user(request), provider_id))


# --- care services -----------------------------------------------------------------------------


class CareServiceOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    number: int = Field(..., description="第几次关爱服务（按老人自动编号）")
    served_on: dt.date
    content: str
    server_name: str
    signed: bool = Field(..., description="有服务人员签名")
    sealed: bool = Field(..., description="有印章图片")
    satisfaction: str
    satisfaction_label: str
    remarks: str
    follow_up_id: int | None
    provider_id: int | None
    provider_name: str
    client_id: uuid.UUID | None
    recorded_at: dt.datetime
    print_url: str


def care_service_out(service: CareService) -> CareServiceOut:
    return CareServiceOut(
        id=service.pk,
        elder_id=service.elder_id,
        elder_name=service.elder.name,
        number=service.number,
        served_on=service.served_on,
        content=service.content,
        server_name=service.server_name,
        signed=bool(service.server_signature),
        sealed=bool(service.seal),
        satisfaction=service.satisfaction,
        satisfaction_label=str(Satisfaction(service.satisfaction).label),
        remarks=service.remarks,
        follow_up_id=service.follow_up_id,
        provider_id=service.provider_id,
        provider_name=service.provider.name if service.provider else "",
        client_id=service.client_id,
        recorded_at=service.recorded_at.astimezone(dt.UTC),
        print_url=f"/care/care-services/{service.pk}/print.pdf",
    )


class CareServiceQuery(Schema):
    elder: RecordRef | None = Field(None, description="只看这位老人的")
    since: Day | None = Field(None, description="服务日期不早于（含）")
    until: Day | None = Field(None, description="服务日期不晚于（含）")
    page: PageNumber = 1
    page_size: PageSize = 50


class CareServicePageOut(Schema):
    items: list[CareServiceOut]
    page: int
    page_size: int
    has_next: bool


@router.get("/care-services", response=CareServicePageOut, summary="关爱服务记录（按服务日期，最新在前）")
def list_care_services(request: HttpRequest, query: Query[CareServiceQuery]) -> CareServicePageOut:
    actor = _user(request)
    if not may_see_care_services(actor):
        raise PermissionDenied()
    rows = care_service_list(actor, CareServiceFilters(elder_id=query.elder, since=query.since, until=query.until))
    page = page_of(rows, page=query.page, page_size=query.page_size)
    return CareServicePageOut(
        items=[care_service_out(s) for s in page.items],
        page=page.page,
        page_size=page.page_size,
        has_next=page.has_next,
    )


@router.get("/care-services/{int:care_service_id}", response=CareServiceOut, summary="一次关爱服务")
def get_care_service(request: HttpRequest, care_service_id: RecordId) -> CareServiceOut:
    return care_service_out(get_care_service_for(_user(request), care_service_id))


_LEVELS = " / ".join(f"{code} {label}" for code, label in Satisfaction.choices)


class CareServiceIn(Schema):
    elder_id: RecordRef = Field(..., description="被服务老人的编号")
    follow_up_id: RecordRef | None = Field(None, description="这次服务办结的跟进事项（须为该老人未办结的事项）")
    provider_id: RecordRef | None = Field(None, description="服务机构；不填时取跟进事项负责的机构")
    served_on: Annotated[Day, Example(today)] = Field(..., description="服务日期，不晚于今天")
    content: str = Field(..., max_length=2000, description="关爱服务情况（做了什么）")
    server_name: str = Field(..., max_length=50, description="服务人员姓名")
    server_signature: str | None = Field(
        None, description="服务人员签名：PNG/JPEG 的 data URL 或 base64（不超过512KB）"
    )
    seal: str | None = Field(None, description="印章图片（PNG/JPEG，base64，不超过2MB）；签名与印章至少一项")
    satisfaction: Annotated[str, OneOf(Satisfaction)] = Field(..., description=f"老年人满意度：{_LEVELS}")
    remarks: str = Field("", max_length=300, description="备注")
    client_id: uuid.UUID | None = Field(None, description="客户端生成的记录编号；重复提交同一编号只保存一次")


def care_service_input(payload: CareServiceIn) -> CareServiceInput:
    """The body as the service's input, both images decoded; each undecodable one is named (and reported
    by the service once the elder is known to be within reach)."""
    errors: list[FieldError] = []
    images: dict[str, bytes | None] = {"server_signature": None, "seal": None}
    for name, value, limit in (
        ("server_signature", payload.server_signature, SIGNATURE_MAX_BYTES),
        ("seal", payload.seal, SEAL_MAX_BYTES),
    ):
        if value:
            try:
                images[name] = decode_image(value, field=name, limit=limit)
            except ValidationFailed as error:
                errors.extend(error.errors)
    return CareServiceInput(
        served_on=payload.served_on,
        content=payload.content,
        server_name=payload.server_name,
        satisfaction=payload.satisfaction,
        remarks=payload.remarks,
        follow_up_id=payload.follow_up_id,
        provider_id=payload.provider_id,
        server_signature=images["server_signature"],
        seal=images["seal"],
        client_id=payload.client_id,
        unreadable=errors,
    )


@router.post(
    "/care-services",
    response={200: CareServiceOut, 201: CareServiceOut},
    summary="记录一次关爱服务（可同时办结跟进事项；重复提交同一 client_id 只保存一次，返回 200）",
)
def create_care_service(request: HttpRequest, payload: CareServiceIn) -> Status[CareServiceOut]:
    actor = _user(request)
    service, created = record_care_service(actor=actor, elder_id=payload.elder_id, data=care_service_input(payload))
    return Status(201 if created else 200, care_service_out(get_care_service_for(actor, service.pk)))
