"""What a caller hands the registry: typed input, checked by `check_elder_input`.

Pages, the API and imports all build an `ElderInput`; the rules live here once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tanfang.core.errors import FieldError
from tanfang.core.id_numbers import CitizenId, IdNumberError, age_on, parse_citizen_id
from tanfang.elders.models import (
    AbilityLevel,
    BenefitKind,
    DisabilityType,
    Group,
    GroupSource,
    HelpingUnit,
    RiskLevel,
    Status,
    Subsistence,
    VisitMethod,
    Willingness,
)

MINIMUM_AGE = 60
OLD_OLD_AGE = 80  # 高龄
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{7,8})$")
_PHONE_NOISE = re.compile(r"[\s()（）]")
_CERTIFICATE = re.compile(r"^\d{17}[\dX]\d{2}$|^\d{17}[\dX][1-7][1-4]$")


@dataclass(frozen=True)
class GroupInput:
    group: str
    source: str = GroupSource.VILLAGE_SURVEY
    since: dt.date | None = None


@dataclass(frozen=True)
class ContactInput:
    name: str
    relation: str = ""
    phone: str = ""


@dataclass(frozen=True)
class SupporterInput:
    name: str
    relation: str
    phone: str = ""
    lives_in: str = ""


@dataclass(frozen=True)
class MemberInput:
    name: str
    relation_to_head: str
    sex: str = ""
    id_number: str = ""
    health: str = ""
    subsistence: str = ""


@dataclass(frozen=True)
class BenefitInput:
    kind: str
    monthly_amount: Decimal | None = None


@dataclass(frozen=True)
class AssistanceInput:
    unit_type: str
    unit_name: str = ""
    responsible_person: str = ""
    measures: str = ""


@dataclass
class ElderInput:
    """Everything the registry keeps about one elder. `None` lists mean "leave as they are"."""

    name: str
    id_number: str
    village_code: str
    sex: str = ""  # checked against the ID number when given
    birth_date: dt.date | None = None  # likewise
    phone: str = ""
    phone2: str = ""
    address: str = ""
    lives_at_registration: bool = True
    registered_region_code: str = ""
    registered_address: str = ""
    disability_certificate: str = ""
    disability_grade: int | None = None
    disability_type: str = ""
    ability_score: int | None = None
    ability_level: str = ""
    ability_assessed_on: dt.date | None = None
    subsistence: str = ""
    drinking_water_safe: bool | None = None
    electricity_safe: bool | None = None
    housing_safe: bool | None = None
    household_income: Decimal | None = None
    willingness: str = ""
    willingness_on: dt.date | None = None
    willingness_recorded_by: str = ""
    preferred_visit_method: str = ""
    risk_level: str = "normal"
    note: str = ""
    registered_on: dt.date | None = None
    groups: list[GroupInput] | None = None
    contacts: list[ContactInput] | None = None
    supporters: list[SupporterInput] | None = None
    household: list[MemberInput] | None = None
    benefits: list[BenefitInput] | None = None
    assistance: list[AssistanceInput] | None = None
    citizen_id: CitizenId | None = field(default=None, repr=False)  # set by the check


def normalize_phone(raw: str) -> str:
    return _PHONE_NOISE.sub("", raw or "").replace("－", "-")


def phone_error(phone: str) -> str | None:
    if phone and not _PHONE.match(phone):
        return _("电话号码格式不正确：应为11位手机号或带区号的固定电话")
    return None


def _choice(value: str, choices: type, label: object, errors: list[FieldError], name: str) -> None:
    if value and value not in choices.values:  # type: ignore[attr-defined]
        errors.append(FieldError(name, _("%(label)s“%(value)s”不是有效的选项") % {"label": label, "value": value}))


def check_elder_input(data: ElderInput, *, today: dt.date) -> list[FieldError]:
    """Check every rule that needs no database; fill `data.citizen_id`. Returns the errors."""
    errors: list[FieldError] = []
    data.name = (data.name or "").strip()
    if not data.name:
        errors.append(FieldError("name", _("请填写姓名")))
    elif len(data.name) > 50:
        errors.append(FieldError("name", _("姓名不能超过50个字")))
    try:
        citizen = parse_citizen_id(data.id_number or "", today=today)
    except IdNumberError as error:
        errors.append(FieldError("id_number", error.message))
    else:
        data.citizen_id = citizen
        data.id_number = citizen.number
        if data.sex and data.sex != citizen.sex:
            errors.append(
                FieldError("sex", _("性别与公民身份号码不符：号码显示为%(sex)s") % {"sex": citizen.sex.label})
            )
        if data.birth_date and data.birth_date != citizen.birth_date:
            errors.append(
                FieldError(
                    "birth_date",
                    _("出生日期与公民身份号码不符：号码显示为 %(date)s") % {"date": citizen.birth_date.isoformat()},
                )
            )
        if age_on(citizen.birth_date, today) < MINIMUM_AGE:
            errors.append(
                FieldError(
                    "id_number",
                    _("未满%(age)d周岁（出生于 %(date)s），不属于探访关爱对象")
                    % {"age": MINIMUM_AGE, "date": citizen.birth_date.isoformat()},
                )
            )
    if not data.village_code:
        errors.append(FieldError("village_code", _("请选择现居住的村（社区）")))
    for name in ("phone", "phone2"):
        value = normalize_phone(getattr(data, name))
        setattr(data, name, value)
        message = phone_error(value)
        if message:
            errors.append(FieldError(name, message))
    if not data.lives_at_registration and not data.registered_region_code:
        errors.append(FieldError("registered_region_code", _("人户分离时请填写户籍地区划")))
    certificate = (data.disability_certificate or "").strip().upper()
    data.disability_certificate = certificate
    if certificate and not _CERTIFICATE.match(certificate):
        errors.append(FieldError("disability_certificate", _("残疾证号应为20位：公民身份号码加残疾类别和等级各1位")))
    if certificate and data.citizen_id and certificate[:18] != data.citizen_id.number:
        errors.append(FieldError("disability_certificate", _("残疾证号的前18位应与公民身份号码一致")))
    if data.disability_grade is not None and not 1 <= data.disability_grade <= 4:
        errors.append(FieldError("disability_grade", _("残疾等级应为一级至四级")))
    if data.ability_score is not None and not 0 <= data.ability_score <= 90:
        errors.append(FieldError("ability_score", _("能力评估得分应在0到90分之间（GB 42195-2023）")))
    dates: list[tuple[dt.date | None, str, object]] = [
        (data.ability_assessed_on, "ability_assessed_on", gettext_lazy("能力评估日期")),
        (data.willingness_on, "willingness_on", gettext_lazy("意愿登记日期")),
        (data.registered_on, "registered_on", gettext_lazy("登记日期")),
    ]
    for day, date_name, label in dates:
        if day and day > today:
            errors.append(FieldError(date_name, _("%(label)s不能晚于今天") % {"label": label}))
    if data.household_income is not None and data.household_income < 0:
        errors.append(FieldError("household_income", _("家庭月收入不能为负数")))
    _choice(data.disability_type, DisabilityType, gettext_lazy("残疾类别"), errors, "disability_type")
    _choice(data.ability_level, AbilityLevel, gettext_lazy("能力等级"), errors, "ability_level")
    _choice(data.subsistence, Subsistence, gettext_lazy("低保/特困"), errors, "subsistence")
    _choice(data.willingness, Willingness, gettext_lazy("探访意愿"), errors, "willingness")
    _choice(data.risk_level, RiskLevel, gettext_lazy("风险等级"), errors, "risk_level")
    _choice(data.preferred_visit_method, VisitMethod, gettext_lazy("探访方式"), errors, "preferred_visit_method")
    _check_lists(data, errors)
    return errors


def _check_lists(data: ElderInput, errors: list[FieldError]) -> None:
    seen: set[tuple[str, str]] = set()
    for item in data.groups or []:
        _choice(item.group, Group, gettext_lazy("特殊困难类别"), errors, "groups")
        _choice(item.source, GroupSource, gettext_lazy("类别来源"), errors, "groups")
        if (item.group, item.source) in seen:
            errors.append(FieldError("groups", _("特殊困难类别重复")))
        seen.add((item.group, item.source))
    for index, contact in enumerate(data.contacts or [], start=1):
        if not contact.name.strip():
            errors.append(FieldError("contacts", _("第%(n)d位紧急联系人缺少姓名") % {"n": index}))
        message = phone_error(normalize_phone(contact.phone))
        if message:
            errors.append(FieldError("contacts", _("第%(n)d位紧急联系人：") % {"n": index} + message))
    for supporter in data.supporters or []:
        if not supporter.name.strip() or not supporter.relation.strip():
            errors.append(FieldError("supporters", _("赡养人/扶养人须填写姓名和关系")))
        message = phone_error(normalize_phone(supporter.phone))
        if message:
            errors.append(FieldError("supporters", message))
    for member in data.household or []:
        if not member.name.strip() or not member.relation_to_head.strip():
            errors.append(FieldError("household", _("家庭成员须填写姓名和与户主关系")))
        if member.id_number:
            try:
                parse_citizen_id(member.id_number)
            except IdNumberError as error:
                errors.append(FieldError("household", f"{member.name}：{error.message}"))
        _choice(member.subsistence, Subsistence, gettext_lazy("低保/特困"), errors, "household")
    for benefit in data.benefits or []:
        _choice(benefit.kind, BenefitKind, gettext_lazy("补贴类别"), errors, "benefits")
        if benefit.monthly_amount is None:
            errors.append(
                FieldError("benefits", _("请填写%(kind)s的每月金额") % {"kind": _label(BenefitKind, benefit.kind)})
            )
        elif benefit.monthly_amount < 0:
            errors.append(FieldError("benefits", _("补贴金额不能为负数")))
    for help_item in data.assistance or []:
        _choice(help_item.unit_type, HelpingUnit, gettext_lazy("帮扶单位类型"), errors, "assistance")


def _label(choices: type, value: str) -> str:
    return str(dict(choices.choices).get(value, value))  # type: ignore[attr-defined]


def is_old_old(birth_date: dt.date, today: dt.date) -> bool:
    """高龄: 80 or older, derived from age and never stored."""
    return age_on(birth_date, today) >= OLD_OLD_AGE


ENDING_STATUSES = frozenset({Status.MOVED_OUT, Status.DECEASED})


_LIST_INPUTS: dict[str, type] = {
    "groups": GroupInput,
    "contacts": ContactInput,
    "supporters": SupporterInput,
    "household": MemberInput,
    "benefits": BenefitInput,
    "assistance": AssistanceInput,
}


def apply_changes(target: ElderInput, values: dict[str, Any]) -> ElderInput:
    """Set the given fields on an input; a list given (as dicts or inputs) replaces the whole list."""
    for name, value in values.items():
        if name in _LIST_INPUTS and value is not None:
            kind = _LIST_INPUTS[name]
            value = [item if isinstance(item, kind) else kind(**item) for item in value]
        setattr(target, name, value)
    return target
