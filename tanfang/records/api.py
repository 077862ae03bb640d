"""Visit record endpoints: record a visit, read one, an elder's history, templates, review."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, cast

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict
from pydantic import ValidationError as PydanticError

from tanfang.accounts.models import User
from tanfang.core import images
from tanfang.core.api_errors import field_errors
from tanfang.core.api_params import (
    NOT_BLANK,
    REGION_CODE_PATTERN,
    Documented,
    Example,
    Moment,
    OneOf,
    PageNumber,
    PageSize,
    RecordId,
    RecordRef,
    this_moment,
)
from tanfang.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from tanfang.core.paging import page_of
from tanfang.elders.api import ElderPatch
from tanfang.elders.models import Elder
from tanfang.records import printing
from tanfang.records.formdefs import describe
from tanfang.records.models import ReviewState, VisitRecord
from tanfang.records.selectors import (
    active_templates,
    elder_for_visits,
    elder_to_record,
    elders_for_visits,
    get_record_for_review,
    get_visit_for,
    visits_of_elder,
)
from tanfang.records.services import (
    MAX_BATCH,
    Checkin,
    RecordInput,
    review_record,
    submit_record,
    submit_records,
    template_for,
)
from tanfang.records.verification import flag_message
from tanfang.regions.scoping import get_region_for
from tanfang.visits.models import Method, Outcome, Visit

router = Router(tags=["visit records"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


class CheckinIn(Schema):
    at: Moment | None = Field(None, description="打开记录页（签到）的时间（须带时区）")
    latitude: Annotated[float, Documented(minimum=-90, maximum=90)] | None = Field(
        None, description="纬度；须与经度同时提供"
    )
    longitude: Annotated[float, Documented(minimum=-180, maximum=180)] | None = Field(
        None, description="经度；须与纬度同时提供"
    )
    accuracy_m: int | None = Field(None, ge=0, le=2**31 - 1)


class SignaturesIn(Schema):
    visitor: str | None = Field(None, description="探访人员签名：PNG/JPEG 的 data URL 或 base64")
    elder: str | None = Field(None, description="被探访人签名")
    entry: str | None = Field(None, description="信息录入人签名（他人代录时）")


# A phone call that found nothing changed, with every answer the Henan 2023 form requires.
_EXAMPLE_ANSWERS = {
    **dict.fromkeys(
        ("household_members", "speech", "mobility", "illness", "mental", "economy", "family_support", "daily_care"),
        "same",
    ),
    **dict.fromkeys(("housing", "electricity", "water_gas"), "safe"),
}


class RecordIn(Schema):
    client_id: uuid.UUID = Field(
        ...,
        description="客户端生成的记录编号；重复提交同一编号只保存一次",
        examples=["7d3c1b2a-0000-4000-8000-000000000001"],
    )
    method: Annotated[str, OneOf(Method)] = Field(
        ...,
        description="home 上门探访 / phone 电话问候 / video 互联网音（视）频探访 / other 其他",
        examples=[Method.PHONE],
    )
    outcome: Annotated[str, OneOf(Outcome)] = Field(
        Outcome.VISITED, description="visited 已探访；未探访：nobody_home / refused / in_hospital / moved"
    )
    occurred_at: Annotated[Moment, Example(this_moment)] = Field(
        ..., description="探访时间（须带时区），不晚于现在，不早于老人的登记日期"
    )
    template: str | None = Field(None, description="表单模板编码；不填则用老人所在地区的模板")
    template_version: int | None = None
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="按事项编码：选项编码，或 {option, count, text}；已探访时须答全模板的必答事项",
        examples=[_EXAMPLE_ANSWERS],
    )
    note: str = Field("", max_length=300, description="说明；未探访时写明原因")
    minutes: Annotated[int, Documented(minimum=0, maximum=24 * 60)] | None = Field(None, description="用时（分钟）")
    visitor_id: RecordRef | None = Field(None, description="代录时：实际探访的人员")
    checkin: CheckinIn | None = None
    signatures: SignaturesIn | None = None
    elder_unsigned_reason: str = Field("", max_length=100)
    entered_by_name: str = Field("", max_length=50)
    photos: list[str] = Field(default_factory=list, description="照片（base64），每张不超过 8MB，最多 6 张")
    registry_confirmed: bool = Field(False, description="已与老人核对基本信息（第一至四部分）")
    corrections: ElderPatch | None = Field(None, description="核对时更正的基本信息，写入台账并注明来源")
    set_home_location: bool = Field(False, description="把签到位置记为老人住址位置")


class AnswerOut(Schema):
    section: str
    item: str
    label: str
    answer: dict[str, Any] | None
    text: str
    finding: bool


class FlagOut(Schema):
    code: str
    message: str


class VisitOut(Schema):
    id: int
    elder_id: int
    elder_name: str
    visitor_id: int | None
    visitor_name: str
    method: str
    method_label: str
    outcome: str
    outcome_label: str
    counts: bool
    occurred_at: dt.datetime
    day: dt.date
    minutes: int | None
    note: str
    number: int | None = Field(None, description="第几次探访（按老人自动编号）")
    template: str | None
    template_version: int | None
    answers: list[AnswerOut]
    findings: list[str]
    registry_confirmed: bool
    corrections: list[str]
    checkin_at: dt.datetime | None
    has_position: bool
    signed_by_visitor: bool
    signed_by_elder: bool
    elder_unsigned_reason: str
    entered_by_name: str
    photo_count: int
    flags: list[FlagOut]
    review_state: str
    review_note: str
    form_pdf: str


def visit_out(visit: Visit, photo_count: int | None = None) -> VisitOut:
    record: VisitRecord | None = getattr(visit, "record", None)
    answers: list[AnswerOut] = []
    if record is not None:
        for section in record.template.form.sections:
            for item in section.items:
                given = record.answers.get(item.code)
                answers.append(
                    AnswerOut(
                        section=section.code,
                        item=item.code,
                        label=item.title(),
                        answer=given,
                        text=describe(item, given),
                        finding=item.code in record.findings,
                    )
                )
    return VisitOut(
        id=visit.pk,
        elder_id=visit.elder_id,
        elder_name=visit.elder.name,
        visitor_id=visit.visitor_id,
        visitor_name=visit.visitor.name if visit.visitor else "",
        method=visit.method,
        method_label=str(Method(visit.method).label),
        outcome=visit.outcome,
        outcome_label=str(Outcome(visit.outcome).label),
        counts=visit.counts,
        occurred_at=visit.occurred_at.astimezone(dt.UTC),  # as read back, whatever offset was sent
        day=visit.day,
        minutes=visit.minutes,
        note=visit.note,
        number=record.number if record else None,
        template=record.template.code if record else None,
        template_version=record.template.version if record else None,
        answers=answers,
        findings=list(record.findings) if record else [],
        registry_confirmed=record.registry_confirmed if record else False,
        corrections=list(record.corrections) if record else [],
        checkin_at=record.checkin_at.astimezone(dt.UTC) if record and record.checkin_at else None,
        has_position=bool(record and record.checkin_latitude is not None),
        signed_by_visitor=bool(record and record.visitor_signature),
        signed_by_elder=bool(record and record.elder_signature),
        elder_unsigned_reason=record.elder_unsigned_reason if record else "",
        entered_by_name=record.entered_by_name if record else "",
        photo_count=visit.photos.count() if photo_count is None else photo_count,
        flags=[FlagOut(code=f["code"], message=flag_message(f)) for f in (record.flags if record else [])],
        review_state=record.review_state if record else "",
        review_note=record.review_note if record else "",
        form_pdf=f"/api/v1/visits/{visit.pk}/form.pdf",
    )


def _decode(value: str | None, name: str, limit: int, errors: list[FieldError]) -> bytes | None:
    if not value:
        return None
    try:
        return images.decode_base64(value, limit=limit)
    except images.BadImage as error:
        errors.append(FieldError(name, str(error)))
        return None


def record_input(payload: RecordIn) -> RecordInput:
    """The API's body as the service's input; undecodable images are named field by field."""
    errors: list[FieldError] = []
    signatures = payload.signatures or SignaturesIn(visitor=None, elder=None, entry=None)
    visitor_sig = _decode(signatures.visitor, "visitor_signature", images.MAX_SIGNATURE_BYTES, errors)
    elder_sig = _decode(signatures.elder, "elder_signature", images.MAX_SIGNATURE_BYTES, errors)
    entry_sig = _decode(signatures.entry, "entry_signature", images.MAX_SIGNATURE_BYTES, errors)
    photos = []
    for index, raw in enumerate(payload.photos[: images.MAX_PHOTOS + 1], start=1):
        try:
            photos.append(images.decode_base64(raw, limit=images.MAX_PHOTO_BYTES))
        except images.BadImage as error:
            errors.append(FieldError(f"photos.{index}", _("第%(n)s张照片：%(reason)s") % {"n": index, "reason": error}))
    if errors:
        raise ValidationFailed(errors=errors)
    checkin = payload.checkin
    return RecordInput(
        client_id=payload.client_id,
        method=payload.method,
        outcome=payload.outcome,
        occurred_at=payload.occurred_at,
        template_code=payload.template or "",
        template_version=payload.template_version,
        answers=payload.answers,
        note=payload.note,
        minutes=payload.minutes,
        visitor_id=payload.visitor_id,
        checkin=Checkin(
            at=checkin.at, latitude=checkin.latitude, longitude=checkin.longitude, accuracy_m=checkin.accuracy_m
        )
        if checkin
        else None,
        visitor_signature=visitor_sig,
        elder_signature=elder_sig,
        entry_signature=entry_sig,
        elder_unsigned_reason=payload.elder_unsigned_reason,
        entered_by_name=payload.entered_by_name,
        photos=photos,
        registry_confirmed=payload.registry_confirmed,
        corrections=payload.corrections.dict(exclude_unset=True) if payload.corrections else {},
        set_home_location=payload.set_home_location,
    )


@router.post(
    "/elders/{int:elder_id}/visits",
    response={200: VisitOut, 201: VisitOut},
    summary="记录一次探访或未遇（重复提交同一 client_id 只保存一次，返回 200）",
)
def create_visit(request: HttpRequest, elder_id: RecordId, payload: RecordIn) -> Status[VisitOut]:
    actor = _user(request)
    elder = elder_to_record(actor, elder_id)
    data = record_input(payload)
    visit, created = submit_record(actor=actor, elder=elder, data=data)
    if created:  # everything the answer shows is in hand: no second read at the month-end peak
        return Status(201, visit_out(visit, photo_count=len(data.photos)))
    return Status(200, visit_out(get_visit_for(actor, visit.pk)))


class BatchRecordIn(RecordIn):
    elder_id: RecordRef = Field(..., description="被探访老人的编号")


class BatchIn(Schema):
    records: list[dict[str, Any]] = Field(
        ..., min_length=1, max_length=MAX_BATCH, description=f"每条与单条提交相同，另加 elder_id；最多 {MAX_BATCH} 条"
    )


class ErrorOut(Schema):
    field: str
    message: str


class BatchResultOut(Schema):
    index: int = Field(..., description="在提交列表中的位置（从 0 开始）")
    client_id: str | None
    elder_id: int | None
    status: str = Field(..., description="created 已保存 / duplicate 此前已保存 / refused 未保存（见 code、message）")
    code: str
    message: str
    errors: list[ErrorOut]
    visit_id: int | None
    number: int | None
    flags: list[str]


class BatchOut(Schema):
    created: int
    duplicates: int
    refused: int
    results: list[BatchResultOut]


def _refused(index: int, raw: dict[str, Any], error: DomainError) -> BatchResultOut:
    client_id, elder_id = raw.get("client_id"), raw.get("elder_id")
    return BatchResultOut(
        index=index,
        client_id=str(client_id) if client_id is not None else None,
        elder_id=elder_id if isinstance(elder_id, int) else None,
        status="refused",
        code=str(error.code),
        message=error.message,
        errors=[ErrorOut(field=e.field, message=e.message) for e in getattr(error, "errors", [])],
        visit_id=None,
        number=None,
        flags=[],
    )


@router.post(
    "/visits/batch",
    response=BatchOut,
    summary="批量提交手机上离线保存的探访记录（逐条保存或拒绝；重复的 client_id 只保存一次）",
)
def create_visits(request: HttpRequest, payload: BatchIn) -> BatchOut:
    actor = _user(request)
    parsed: list[tuple[int, BatchRecordIn]] = []
    answers: dict[int, BatchResultOut] = {}
    for index, raw in enumerate(payload.records):
        try:
            parsed.append((index, BatchRecordIn.model_validate(raw)))
        except PydanticError as error:
            failed = ValidationFailed(errors=field_errors(error.errors()))
            answers[index] = _refused(index, raw, failed)
    elders = elders_for_visits(actor, [item.elder_id for _index, item in parsed])
    items: list[tuple[Elder, RecordInput]] = []
    positions: list[int] = []
    for index, item in parsed:
        try:
            elder = elders.get(item.elder_id)
            if elder is None:
                raise NotFound()
            items.append((elder, record_input(item)))
            positions.append(index)
        except DomainError as error:
            answers[index] = _refused(index, payload.records[index], error)
    for index, result in zip(positions, submit_records(actor=actor, items=items), strict=True):
        if result.error is not None:
            answers[index] = _refused(index, payload.records[index], result.error)
            continue
        visit = result.visit
        assert visit is not None
        record: VisitRecord | None = getattr(visit, "record", None)
        answers[index] = BatchResultOut(
            index=index,
            client_id=str(result.client_id),
            elder_id=visit.elder_id,
            status="created" if result.created else "duplicate",
            code="",
            message="",
            errors=[],
            visit_id=visit.pk,
            number=record.number if record else None,
            flags=[f["code"] for f in record.flags] if record else [],
        )
    results = [answers[index] for index in range(len(payload.records))]
    return BatchOut(
        created=sum(r.status == "created" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        refused=sum(r.status == "refused" for r in results),
        results=results,
    )


@router.get("/visits/{int:visit_id}", response=VisitOut, summary="一次探访的完整记录")
def get_visit(request: HttpRequest, visit_id: RecordId) -> VisitOut:
    return visit_out(get_visit_for(_user(request), visit_id))


class VisitPageQuery(Schema):
    page: PageNumber = 1
    page_size: PageSize = 20


class VisitPageOut(Schema):
    items: list[VisitOut]
    page: int
    page_size: int
    has_next: bool


@router.get("/elders/{int:elder_id}/visits", response=VisitPageOut, summary="老人的探访记录（分页，最新在前）")
def list_elder_visits(request: HttpRequest, elder_id: RecordId, query: Query[VisitPageQuery]) -> VisitPageOut:
    elder = elder_for_visits(_user(request), elder_id)
    page = page_of(visits_of_elder(elder).prefetch_related("photos"), page=query.page, page_size=query.page_size)
    return VisitPageOut(
        items=[visit_out(v) for v in page.items], page=page.page, page_size=page.page_size, has_next=page.has_next
    )


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@router.get("/visits/{int:visit_id}/form.pdf", summary="打印探访关爱服务记录表（A4，一式两份；身份证号、电话脱敏）")
def visit_form_pdf(request: HttpRequest, visit_id: RecordId) -> HttpResponse:
    visit = get_visit_for(_user(request), visit_id)
    return _pdf(printing.print_visits(actor=_user(request), visits=[visit]), f"visit-{visit.pk}.pdf")


class PrintIn(Schema):
    reason: Annotated[str, Documented(pattern=r"\S[\s\S]*\S")] = Field(
        ..., max_length=200, description="打印完整号码的理由（至少2个字），记入审计日志"
    )


@router.post(
    "/visits/{int:visit_id}/form.pdf",
    summary="打印探访关爱服务记录表，含完整号码（需说明理由，按一次查看记入审计；仅可查看完整信息的角色）",
)
def print_full_visit_form(request: HttpRequest, visit_id: RecordId, payload: PrintIn) -> HttpResponse:
    visit = get_visit_for(_user(request), visit_id)
    content = printing.print_visits(actor=_user(request), visits=[visit], reason=payload.reason)
    return _pdf(content, f"visit-{visit.pk}.pdf")


def _review_rules(schema: dict[str, Any]) -> None:
    """State in the document what records.services.review_record requires of each outcome."""
    written = {"note": {"pattern": NOT_BLANK}}
    schema["allOf"] = [
        {
            "if": {"properties": {"outcome": {"const": ReviewState.CORRECTED}}},
            "then": {"required": ["method", "note"], "properties": {"method": {"enum": Method.values}, **written}},
        },
        {
            "if": {"properties": {"outcome": {"const": ReviewState.REJECTED}}},
            "then": {"required": ["note"], "properties": written},
        },
    ]


class ReviewIn(Schema):
    # A decision on a flagged visit: corrected needs the actual method and a reason, rejected a reason.
    model_config = ConfigDict(json_schema_extra=_review_rules)

    outcome: Annotated[str, OneOf([ReviewState.CONFIRMED, ReviewState.CORRECTED, ReviewState.REJECTED])] = Field(
        ..., description="confirmed 核实无误 / corrected 已更正 / rejected 不予认可"
    )
    note: str = Field("", max_length=300, description="更正或不予认可时必填：理由")
    method: Annotated[str, OneOf(Method, blank=True)] = Field("", description="更正时必填：实际的探访方式")


@router.post("/visits/{int:visit_id}/review", response=VisitOut, summary="审核有核查提示的探访（记入审计）")
def review_visit(request: HttpRequest, visit_id: RecordId, payload: ReviewIn) -> VisitOut:
    actor = _user(request)
    record = get_record_for_review(actor, visit_id)
    review_record(actor=actor, record=record, outcome=payload.outcome, note=payload.note, method=payload.method)
    return visit_out(get_visit_for(actor, visit_id))


class TemplateOut(Schema):
    code: str
    version: int
    name: str
    region_code: str | None
    definition: dict[str, Any]


class TemplateQuery(Schema):
    region: Annotated[str, Documented(pattern=REGION_CODE_PATTERN)] | None = Field(
        None, description="只返回该区划在用的模板"
    )


@router.get("/form-templates", response=list[TemplateOut], summary="探访表单模板（数据定义，按版本）")
def list_form_templates(request: HttpRequest, query: Query[TemplateQuery]) -> list[TemplateOut]:
    rows = [template_for(get_region_for(_user(request), query.region).path)] if query.region else active_templates()
    return [
        TemplateOut(code=t.code, version=t.version, name=t.name, region_code=t.region_id, definition=dict(t.definition))
        for t in rows
    ]
