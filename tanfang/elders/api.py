"""Registry endpoints: list and search, register, read, change, reveal, status."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Annotated, Any, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.params import functions as params
from pydantic import ConfigDict

from tanfang.accounts.models import User
from tanfang.core.api_params import (
    TOWNSHIP_OR_VILLAGE_CODE,
    Day,
    Documented,
    Example,
    NotBlank,
    OneOf,
    PageNumber,
    PageSize,
    RecordId,
    may_leave_out,
    money,
    today,
)
from tanfang.core.errors import FieldError, ValidationFailed
from tanfang.core.id_numbers import Sex as SexChoice
from tanfang.core.id_numbers import make_citizen_id
from tanfang.core.paging import page_of
from tanfang.core.roles import Permission
from tanfang.core.time import local_today
from tanfang.elders import inputs
from tanfang.elders.disclosure import birth_shown, shows_birth_dates
from tanfang.elders.import_presets import Source
from tanfang.elders.importing import MAX_FILE_BYTES, commit_import, get_batch_for, preview_import
from tanfang.elders.inputs import ElderInput
from tanfang.elders.models import (
    AbilityLevel,
    BenefitKind,
    DisabilityType,
    Elder,
    Group,
    GroupSource,
    HelpingUnit,
    ImportBatch,
    RiskLevel,
    Subsistence,
    VisitMethod,
    Willingness,
)
from tanfang.elders.models import Status as ElderStatus
from tanfang.elders.personal_data import REVEALABLE, may_reveal, reveal
from tanfang.elders.selectors import ElderFilters, filter_elders, get_elder_for, looks_like_number
from tanfang.elders.services import (
    DuplicateElder,
    change_status,
    input_from_elder,
    register_elder,
    update_elder,
)
from tanfang.regions.scoping import require_permission

router = Router(tags=["elders"])


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


# The canonical forms of what elders.inputs checks, for the document: the checks themselves stay there,
# where they also accept spaces, brackets, full-width digits and say precisely what is wrong.
PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{7,8})?$"
PHONE_TEXT = "11位手机号、带区号的固定电话（可带分机号）或7–8位本地号码"
_PROVINCE = "(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])"
_BIRTH_DATE = r"(18[89]\d|19\d\d|20\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
_ID_NUMBER = rf"{_PROVINCE}\d{{4}}{_BIRTH_DATE}\d{{3}}[\dX]"
ID_NUMBER_PATTERN = rf"^{_ID_NUMBER}$"
ID_NUMBER_TEXT = "18位公民身份号码：校验码正确，年满60周岁"
CERTIFICATE_PATTERN = rf"^({_ID_NUMBER}[1-7][1-4])?$"
REGION_CODE_OR_BLANK = r"^(\d{6}(\d{6})?)?$"

Phone = Annotated[str, Field(max_length=20, description=PHONE_TEXT), Documented(pattern=PHONE_PATTERN)]
Sex = Annotated[str, OneOf(SexChoice, blank=True)]
# Checked by elders.inputs (with its own messages), stated here.
DisabilityGrade = Annotated[int, Documented(minimum=1, maximum=4), Field(description="残疾等级：一级至四级")]
AbilityScore = Annotated[int, Documented(minimum=0, maximum=90), Field(description="能力评估得分（GB 42195-2023）")]
Income = Annotated[Decimal, Field(max_digits=10, decimal_places=2), money(8)]
MonthlyAmount = Annotated[Decimal, Field(max_digits=9, decimal_places=2), money(7)]
NOT_AFTER_TODAY = "不能晚于今天"


class GroupIn(Schema):
    group: Annotated[str, OneOf(Group)] = Field(
        ...,
        description="living_alone 独居 / empty_nest 空巢 / left_behind 留守 / disabled 失能 / "
        "severely_handicapped 重残 / special_family 计划生育特殊家庭",
    )
    source: Annotated[str, OneOf(GroupSource)] = GroupSource.VILLAGE_SURVEY
    since: Day | None = None


class ContactIn(Schema):
    name: NotBlank = Field(..., max_length=50)
    relation: str = Field("", max_length=20)
    phone: Phone = ""


class SupporterIn(Schema):
    name: NotBlank = Field(..., max_length=50)
    relation: NotBlank = Field(..., max_length=20)
    phone: Phone = ""
    lives_in: str = Field("", max_length=100)


class MemberIn(Schema):
    name: NotBlank = Field(..., max_length=50)
    relation_to_head: NotBlank = Field(..., max_length=20)
    sex: Sex = ""
    id_number: Annotated[str, Documented(pattern=rf"^({_ID_NUMBER})?$")] = Field(
        "", max_length=20, description="填写时须为有效的18位公民身份号码"
    )
    health: str = Field("", max_length=50)
    subsistence: Annotated[str, OneOf(Subsistence)] = Subsistence.NONE


class BenefitIn(Schema):
    kind: Annotated[str, OneOf(BenefitKind)]
    monthly_amount: MonthlyAmount = Field(..., description="每月金额（元）")


class AssistanceIn(Schema):
    unit_type: Annotated[str, OneOf(HelpingUnit)]
    unit_name: str = Field("", max_length=100)
    responsible_person: str = Field("", max_length=50)
    measures: str = Field("", max_length=300)


# The examples of the document: a woman born in 1950 in 武陟县, living in its 建设社区.
EXAMPLE_ID_NUMBER = make_citizen_id("410823", dt.date(1950, 3, 15), 22)
EXAMPLE_VILLAGE = "410823001001"


def _registered_region_rule(schema: dict[str, Any]) -> None:
    """State what elders.inputs requires of someone not living where registered: the registered region.

    (That a sex or birth date given agrees with the ID number is said in their descriptions: as JSON
    Schema it takes rules that leave schemathesis's coverage phase generating next to nothing.)
    """
    schema["if"] = {"properties": {"lives_at_registration": {"const": False}}, "required": ["lives_at_registration"]}
    schema["then"] = {
        "required": ["registered_region_code"],
        "properties": {"registered_region_code": {"minLength": 6}},
    }


class _ElderFields(Schema):
    sex: Sex = Field(
        "", description="M 男 / F 女；填写时须与公民身份号码一致（第17位奇数为男）", examples=[SexChoice.FEMALE]
    )
    birth_date: Day | None = Field(None, description="填写时须与公民身份号码一致", examples=["1950-03-15"])
    phone: Phone = ""
    phone2: Phone = ""
    address: str = Field("", max_length=200)
    lives_at_registration: bool = True
    registered_region_code: Annotated[str, Documented(pattern=REGION_CODE_OR_BLANK)] = Field(
        "", max_length=12, description="户籍地区划代码；人户分离（lives_at_registration 为假）时必填"
    )
    registered_address: str = Field("", max_length=200)
    disability_certificate: Annotated[str, Documented(pattern=CERTIFICATE_PATTERN)] = Field(
        "", max_length=24, description="20位残疾证号：公民身份号码加残疾类别和等级各1位"
    )
    disability_grade: DisabilityGrade | None = None
    disability_type: Annotated[str, OneOf(DisabilityType)] = DisabilityType.NONE
    ability_score: AbilityScore | None = None
    ability_level: Annotated[str, OneOf(AbilityLevel)] = AbilityLevel.NONE
    ability_assessed_on: Day | None = Field(None, description=NOT_AFTER_TODAY)
    subsistence: Annotated[str, OneOf(Subsistence)] = Subsistence.NONE
    drinking_water_safe: bool | None = None
    electricity_safe: bool | None = None
    housing_safe: bool | None = None
    household_income: Income | None = Field(None, description="家庭月收入（元）")
    willingness: Annotated[str, OneOf(Willingness)] = Willingness.UNKNOWN
    willingness_on: Day | None = Field(None, description=NOT_AFTER_TODAY)
    willingness_recorded_by: str = Field("", max_length=50)
    preferred_visit_method: Annotated[str, OneOf(VisitMethod)] = VisitMethod.NONE
    risk_level: Annotated[str, OneOf(RiskLevel)] = Field(RiskLevel.NORMAL, description="normal 一般 / high 高风险")
    note: str = Field("", max_length=2000)
    groups: list[GroupIn] | None = None
    contacts: list[ContactIn] | None = None
    supporters: list[SupporterIn] | None = None
    household: list[MemberIn] | None = None
    benefits: list[BenefitIn] | None = None
    assistance: list[AssistanceIn] | None = None


class ElderIn(_ElderFields):
    model_config = ConfigDict(json_schema_extra=_registered_region_rule)

    name: NotBlank = Field(..., max_length=50, examples=["张桂兰"])
    id_number: Annotated[str, Documented(pattern=ID_NUMBER_PATTERN)] = Field(
        ..., max_length=24, description=ID_NUMBER_TEXT, examples=[EXAMPLE_ID_NUMBER]
    )
    village_code: Annotated[str, Documented(pattern=TOWNSHIP_OR_VILLAGE_CODE)] = Field(
        ..., max_length=12, description="现居住村（社区）的12位区划代码", examples=[EXAMPLE_VILLAGE]
    )
    registered_on: Day | None = Field(None, description=NOT_AFTER_TODAY)


class ElderPatch(Schema):
    """Only the fields sent change; lists sent replace the whole list."""

    name: NotBlank = may_leave_out(max_length=50)
    id_number: Annotated[str, Documented(pattern=ID_NUMBER_PATTERN)] = may_leave_out(
        max_length=24, description=ID_NUMBER_TEXT
    )
    village_code: Annotated[str, Documented(pattern=TOWNSHIP_OR_VILLAGE_CODE)] = may_leave_out(
        max_length=12, description="现居住村（社区）的12位区划代码"
    )
    phone: Phone | None = None
    phone2: Phone | None = None
    address: str = may_leave_out(max_length=200)
    lives_at_registration: bool = may_leave_out()
    registered_region_code: Annotated[str, Documented(pattern=REGION_CODE_OR_BLANK)] | None = Field(None, max_length=12)
    registered_address: str = may_leave_out(max_length=200)
    disability_certificate: Annotated[str, Documented(pattern=CERTIFICATE_PATTERN)] | None = Field(None, max_length=24)
    disability_grade: DisabilityGrade | None = None
    disability_type: Annotated[str, OneOf(DisabilityType)] = may_leave_out()
    ability_score: AbilityScore | None = None
    ability_level: Annotated[str, OneOf(AbilityLevel)] = may_leave_out()
    ability_assessed_on: Day | None = Field(None, description=NOT_AFTER_TODAY)
    subsistence: Annotated[str, OneOf(Subsistence)] = may_leave_out()
    drinking_water_safe: bool | None = None
    electricity_safe: bool | None = None
    housing_safe: bool | None = None
    household_income: Income | None = None
    willingness: Annotated[str, OneOf(Willingness)] = may_leave_out()
    willingness_on: Day | None = Field(None, description=NOT_AFTER_TODAY)
    willingness_recorded_by: str = may_leave_out(max_length=50)
    preferred_visit_method: Annotated[str, OneOf(VisitMethod)] = may_leave_out()
    risk_level: Annotated[str, OneOf(RiskLevel)] = may_leave_out()
    note: str = may_leave_out(max_length=2000)
    groups: list[GroupIn] | None = None
    contacts: list[ContactIn] | None = None
    supporters: list[SupporterIn] | None = None
    household: list[MemberIn] | None = None
    benefits: list[BenefitIn] | None = None
    assistance: list[AssistanceIn] | None = None


class GroupOut(Schema):
    group: str
    label: str
    source: str
    source_label: str
    since: dt.date | None


class ElderSummaryOut(Schema):
    id: int
    name: str
    sex: str
    birth_date: dt.date | None = Field(
        ..., description="出生日期；不能查看完整个人信息的角色为 null，只给出生年份（birth_year）"
    )
    birth_year: int
    age: int = Field(..., description="周岁；不能查看完整个人信息的角色得到的是按出生年份计算的年龄（今年减出生年份）")
    old_old: bool = Field(..., description="高龄（80岁及以上），由 age 推算")
    id_number: str = Field(..., description="脱敏显示")
    phone: str = Field(..., description="脱敏显示")
    village_code: str
    village: str
    address: str
    status: str
    status_label: str
    groups: list[GroupOut]


class ContactOut(Schema):
    name: str
    relation: str
    phone: str


class SupporterOut(Schema):
    name: str
    relation: str
    phone: str
    lives_in: str


class MemberOut(Schema):
    name: str
    sex: str
    id_number: str
    relation_to_head: str
    health: str
    subsistence: str


class BenefitOut(Schema):
    kind: str
    label: str
    monthly_amount: Decimal


class AssistanceOut(Schema):
    unit_type: str
    label: str
    unit_name: str
    responsible_person: str
    measures: str


class ElderOut(ElderSummaryOut):
    phone2: str
    lives_at_registration: bool
    registered_region_code: str | None
    registered_address: str
    disability_certificate: str
    disability_grade: int | None
    disability_type: str
    ability_score: int | None
    ability_level: str
    ability_assessed_on: dt.date | None
    subsistence: str
    drinking_water_safe: bool | None
    electricity_safe: bool | None
    housing_safe: bool | None
    household_income: Decimal | None
    willingness: str
    willingness_on: dt.date | None
    willingness_recorded_by: str
    preferred_visit_method: str
    risk_level: str
    status_since: dt.date | None
    note: str
    registered_on: dt.date
    contacts: list[ContactOut]
    supporters: list[SupporterOut]
    household: list[MemberOut]
    benefits: list[BenefitOut]
    assistance: list[AssistanceOut]


def _groups(elder: Elder) -> list[GroupOut]:
    return [
        GroupOut(
            group=g.group,
            label=g.get_group_display(),
            source=g.source,
            source_label=g.get_source_display(),
            since=g.since,
        )
        for g in elder.groups.all()
        if g.until is None
    ]


def summary_of(elder: Elder, today: dt.date, *, whole_birth: bool) -> dict[str, Any]:
    """The list's fields; the birth as elders.disclosure says the role may see it."""
    birth = birth_shown(elder.birth_date, today, whole=whole_birth)
    return {
        "id": elder.pk,
        "name": elder.name,
        "sex": elder.sex,
        "birth_date": birth.date,
        "birth_year": birth.year,
        "age": birth.age,
        "old_old": birth.old_old,
        "id_number": elder.id_number_masked,
        "phone": elder.phone_masked,
        "village_code": elder.region_id,
        "village": elder.region.name,
        "address": elder.address,
        "status": elder.status,
        "status_label": str(ElderStatus(elder.status).label),
        "groups": _groups(elder),
    }


def elder_out(elder: Elder, actor: User) -> ElderOut:
    today = local_today()
    return ElderOut(
        **summary_of(elder, today, whole_birth=may_reveal(actor, elder)),
        phone2=elder.phone2_masked,
        lives_at_registration=elder.lives_at_registration,
        registered_region_code=elder.registered_region_id,
        registered_address=elder.registered_address,
        disability_certificate=elder.disability_certificate_masked,
        disability_grade=elder.disability_grade,
        disability_type=elder.disability_type,
        ability_score=elder.ability_score,
        ability_level=elder.ability_level,
        ability_assessed_on=elder.ability_assessed_on,
        subsistence=elder.subsistence,
        drinking_water_safe=elder.drinking_water_safe,
        electricity_safe=elder.electricity_safe,
        housing_safe=elder.housing_safe,
        household_income=elder.household_income,
        willingness=elder.willingness,
        willingness_on=elder.willingness_on,
        willingness_recorded_by=elder.willingness_recorded_by,
        preferred_visit_method=elder.preferred_visit_method,
        risk_level=elder.risk_level,
        status_since=elder.status_since,
        note=elder.note,
        registered_on=elder.registered_on,
        contacts=[ContactOut(name=c.name, relation=c.relation, phone=c.phone_masked) for c in elder.contacts.all()],
        supporters=[
            SupporterOut(name=s.name, relation=s.relation, phone=s.phone_masked, lives_in=s.lives_in)
            for s in elder.supporters.all()
        ],
        household=[
            MemberOut(
                name=m.name,
                sex=m.sex,
                id_number=m.id_number_masked,
                relation_to_head=m.relation_to_head,
                health=m.health,
                subsistence=m.subsistence,
            )
            for m in elder.household.all()
        ],
        benefits=[
            BenefitOut(kind=b.kind, label=b.get_kind_display(), monthly_amount=b.monthly_amount)
            for b in elder.benefits.all()
        ],
        assistance=[
            AssistanceOut(
                unit_type=a.unit_type,
                label=a.get_unit_type_display(),
                unit_name=a.unit_name,
                responsible_person=a.responsible_person,
                measures=a.measures,
            )
            for a in elder.assistance.all()
        ],
    )


class ElderQuery(Schema):
    region: str = Field("", description="区划代码：只看该区划及以下")
    group: str = Field("", description="特殊困难类别")
    status: str = ""
    age_band: str = Field("", description="60-69 / 70-79 / 80-89 / 90+ / 80+（按 age 的算法）")
    q: str = Field(
        "",
        max_length=50,
        description="姓名（从第一个字起）。完整的身份证号、电话号码不能放在网址中：请用 POST /api/v1/elders/search",
    )
    page: PageNumber = 1
    page_size: PageSize = 50


class ElderSearchIn(Schema):
    region: str = Field("", max_length=12, description="区划代码：只看该区划及以下")
    group: str = Field("", max_length=32, description="特殊困难类别")
    status: str = Field("", max_length=16)
    age_band: str = Field("", max_length=8, description="60-69 / 70-79 / 80-89 / 90+ / 80+（按 age 的算法）")
    q: str = Field("", max_length=50, description="姓名、完整的公民身份号码或电话号码")
    page: PageNumber = 1
    page_size: PageSize = 50


class ElderPageOut(Schema):
    page: int
    page_size: int
    has_next: bool
    items: list[ElderSummaryOut]


@router.get(
    "", response=ElderPageOut, summary="老年人名单（按辖区、类别、状态、年龄段筛选，或按姓名/身份证号/电话查找）"
)
def list_elders(request: HttpRequest, query: Query[ElderQuery]) -> ElderPageOut:
    if looks_like_number(query.q):
        raise ValidationFailed(
            errors=[FieldError("q", _("完整的身份证号、电话号码不能放在网址中：请用 POST /api/v1/elders/search 查找"))]
        )
    return _elder_page(request, query)


@router.post("/search", response=ElderPageOut, summary="查找老年人（可按完整的身份证号或电话号码，号码不出现在网址中）")
def search_elders(request: HttpRequest, payload: ElderSearchIn) -> ElderPageOut:
    return _elder_page(request, payload)


def _elder_page(request: HttpRequest, query: ElderQuery | ElderSearchIn) -> ElderPageOut:
    actor = _user(request)
    require_permission(actor, Permission.VIEW_ELDERS)  # a role without the registry is refused, not shown nothing
    filters = ElderFilters(
        region=query.region, group=query.group, status=query.status, age_band=query.age_band, q=query.q
    )
    elders = filter_elders(actor, filters).select_related("region").prefetch_related("groups")
    page = page_of(elders, page=query.page, page_size=query.page_size)
    today, whole = local_today(), shows_birth_dates(actor)
    return ElderPageOut(
        page=page.page,
        page_size=page.page_size,
        has_next=page.has_next,
        items=[ElderSummaryOut(**summary_of(e, today, whole_birth=whole)) for e in page.items],
    )


class DuplicateOut(Schema):
    code: str
    message: str
    existing_id: int | None


@router.post("", response={201: ElderOut, 409: DuplicateOut}, summary="登记老年人")
def create_elder(request: HttpRequest, payload: ElderIn) -> Status[Any]:
    data = inputs.apply_changes(ElderInput(name="", id_number="", village_code=""), payload.dict())
    try:
        elder = register_elder(actor=_user(request), data=data)
    except DuplicateElder as error:
        return Status(409, DuplicateOut(code=error.code, message=error.message, existing_id=error.elder_id))
    return Status(201, elder_out(_fresh(request, elder.pk), _user(request)))


def _fresh(request: HttpRequest, elder_id: RecordId) -> Elder:
    return get_elder_for(_user(request), elder_id)


@router.get("/{int:elder_id}", response=ElderOut, summary="老年人详情（个人信息脱敏）")
def get_elder(request: HttpRequest, elder_id: RecordId) -> ElderOut:
    return elder_out(_fresh(request, elder_id), _user(request))


@router.patch(
    "/{int:elder_id}", response={200: ElderOut, 409: DuplicateOut}, summary="修改老年人信息（只改提交的字段）"
)
def patch_elder(request: HttpRequest, elder_id: RecordId, payload: ElderPatch) -> Status[Any]:
    actor = _user(request)
    elder = _fresh(request, elder_id)
    sent = payload.dict(exclude_unset=True)
    data = inputs.apply_changes(input_from_elder(elder), sent)
    try:
        update_elder(actor=actor, elder=elder, data=data)
    except DuplicateElder as error:
        return Status(409, DuplicateOut(code=error.code, message=error.message, existing_id=error.elder_id))
    return Status(200, elder_out(_fresh(request, elder_id), actor))


class RevealIn(Schema):
    field: Annotated[str, OneOf(REVEALABLE)] = Field(
        ..., description="id_number / phone / phone2 / disability_certificate / contact_phone"
    )
    reason: Annotated[str, Documented(pattern=r"\S[\s\S]*\S")] = Field(
        ..., max_length=200, description="查看理由（至少2个字），记入审计日志"
    )


class RevealOut(Schema):
    field: str
    value: str


@router.post("/{int:elder_id}/reveal", response=RevealOut, summary="查看完整个人信息（需说明理由，记入审计）")
def reveal_field(request: HttpRequest, elder_id: RecordId, payload: RevealIn) -> RevealOut:
    elder = _fresh(request, elder_id)
    return RevealOut(
        field=payload.field, value=reveal(actor=_user(request), elder=elder, field=payload.field, reason=payload.reason)
    )


class StatusIn(Schema):
    status: Annotated[str, OneOf(ElderStatus)] = Field(
        ..., description="active / away / hospitalised / moved_out / deceased"
    )
    since: Annotated[Day, Example(today)] = Field(..., description="不早于登记日期，不晚于今天")
    note: str = Field("", max_length=200)


@router.post("/{int:elder_id}/status", response=ElderOut, summary="变更状态（外出、住院、迁出、已故、恢复在册）")
def set_status(request: HttpRequest, elder_id: RecordId, payload: StatusIn) -> ElderOut:
    elder = _fresh(request, elder_id)
    change_status(actor=_user(request), elder=elder, status=payload.status, since=payload.since, note=payload.note)
    return elder_out(_fresh(request, elder_id), _user(request))


def can_reveal(user: User, elder: Elder) -> bool:
    return may_reveal(user, elder)


class ImportErrorOut(Schema):
    line: int
    column: str
    message: str


class ImportBatchOut(Schema):
    id: int
    file_name: str
    source: str
    state: str
    state_label: str
    row_count: int
    error_count: int
    errors: list[ImportErrorOut]
    summary: dict[str, int]
    created_at: dt.datetime
    committed_at: dt.datetime | None
    file_deleted_at: dt.datetime | None = Field(
        None, description="上传的文件删除的时间：确认导入时，或上传若干天后；删除后不能再确认导入"
    )

    @staticmethod
    def of(batch: ImportBatch) -> ImportBatchOut:
        return ImportBatchOut(
            id=batch.pk,
            file_name=batch.file_name,
            source=batch.source,
            state=batch.state,
            state_label=str(ImportBatch.State(batch.state).label),
            row_count=batch.row_count,
            error_count=batch.error_count,
            errors=[ImportErrorOut(**e) for e in batch.errors],
            summary={k: int(v) for k, v in batch.summary.items()},
            created_at=batch.created_at,
            committed_at=batch.committed_at,
            file_deleted_at=batch.file_deleted_at,
        )


# Another woman of 建设社区; the column names every source's preset knows.
_ROSTER_ID_NUMBER = make_citizen_id("410823", dt.date(1948, 7, 2), 24)
EXAMPLE_ROSTER = f"姓名,身份证号码,现居住地区划代码\n李秀英,{_ROSTER_ID_NUMBER},{EXAMPLE_VILLAGE}\n"
_IMPORT_DOCUMENT = {  # what the upload must be, beyond what the parameters say
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "properties": {
                        "file": {
                            "description": "CSV（UTF-8 或 GBK）或 Excel (.xlsx) 文件，文件名须带扩展名",
                            "examples": [EXAMPLE_ROSTER],
                        }
                    }
                },
                "encoding": {
                    "file": {
                        "contentType": "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        "headers": {
                            "Content-Disposition": {
                                "schema": {"type": "string"},
                                "example": 'form-data; name="file"; filename="roster.csv"',
                            }
                        },
                    }
                },
            }
        }
    }
}


@router.post(
    "/imports",
    response={201: ImportBatchOut},
    summary="上传导入文件并检查（预览，不改动台账）",
    openapi_extra=_IMPORT_DOCUMENT,
)
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    source: Annotated[str, OneOf(Source), params.Form(Source.CIVIL_AFFAIRS)] = Source.CIVIL_AFFAIRS,
    mapping: Form[str] = "",
) -> Status[ImportBatchOut]:
    """`source`: civil_affairs / health_commission / disabled_federation / custom.

    `mapping` (custom only): a JSON object {file header: field key}.
    """
    custom: dict[str, str] | None = None
    if mapping:
        try:
            loaded = json.loads(mapping)
        except ValueError:
            loaded = None
        if not isinstance(loaded, dict):
            raise ValidationFailed(errors=[FieldError("mapping", _("列对应关系应为 JSON 对象"))])
        custom = {str(k): str(v) for k, v in loaded.items()}
    if file.size and file.size > MAX_FILE_BYTES:
        raise ValidationFailed(
            errors=[FieldError("file", _("文件超过 %(n)d MB，请拆分后再导入") % {"n": MAX_FILE_BYTES // (1024 * 1024)})]
        )
    batch = preview_import(
        actor=_user(request), content=file.read(), file_name=file.name or "", source=source, custom_mapping=custom
    )
    return Status(201, ImportBatchOut.of(batch))


@router.get("/imports/{int:batch_id}", response=ImportBatchOut, summary="导入批次")
def get_import(request: HttpRequest, batch_id: RecordId) -> ImportBatchOut:
    return ImportBatchOut.of(_import_batch(request, batch_id))


def _import_batch(request: HttpRequest, batch_id: RecordId) -> ImportBatch:
    return get_batch_for(_user(request), batch_id)


@router.post("/imports/{int:batch_id}/commit", response=ImportBatchOut, summary="确认导入（全部成功或全部不导入）")
def commit_import_endpoint(request: HttpRequest, batch_id: RecordId) -> ImportBatchOut:
    batch = _import_batch(request, batch_id)
    commit_import(actor=_user(request), batch=batch)
    return ImportBatchOut.of(_import_batch(request, batch_id))
