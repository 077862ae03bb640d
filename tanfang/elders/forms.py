"""Forms of the registry pages: they parse; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tanfang.accounts.forms import BootstrapForm
from tanfang.core.id_numbers import Sex
from tanfang.elders import inputs
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
from tanfang.elders.selectors import AGE_BANDS

_YES_NO = [("", _("未填")), ("1", _("是")), ("0", _("否"))]
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _any(label: Any, choices: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


_AGE_BAND_LABELS = {
    "60-69": _("60–69岁"),
    "70-79": _("70–79岁"),
    "80-89": _("80–89岁"),
    "90+": _("90岁以上"),
    "80+": _("80岁以上（高龄）"),
}


class ElderFilterForm(BootstrapForm):
    q = forms.CharField(label=_("查找"), required=False, max_length=50)
    region = forms.CharField(label=_("区划"), required=False, max_length=12)
    group = forms.ChoiceField(label=_("类别"), required=False, choices=_any(_("全部类别"), Group.choices))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=_any(_("全部状态"), Status.choices))
    age_band = forms.ChoiceField(
        label=_("年龄段"),
        required=False,
        choices=_any(_("全部年龄"), [(band, _AGE_BAND_LABELS[band]) for band in AGE_BANDS]),
    )


def _nullable_bool(value: str) -> bool | None:
    return None if value == "" else value == "1"


class ElderForm(BootstrapForm):
    """Sections 1, 3 and the registry's own fields; the tables come as formsets beside it."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("公民身份号码"), max_length=24)
    sex = forms.ChoiceField(label=_("性别"), required=False, choices=_any(_("按身份证号推算"), Sex.choices))
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    phone2 = forms.CharField(label=_("备用电话"), max_length=20, required=False)
    village_code = forms.CharField(label=_("现居住村（社区）区划代码"), max_length=12)
    address = forms.CharField(label=_("现居住地址"), max_length=200, required=False)
    lives_at_registration = forms.BooleanField(label=_("居住地与户籍地一致"), required=False)
    registered_region_code = forms.CharField(label=_("户籍地区划代码（人户分离时填写）"), max_length=12, required=False)
    registered_address = forms.CharField(label=_("户籍地址"), max_length=200, required=False)
    groups = forms.MultipleChoiceField(
        label=_("特殊困难类别"), required=False, choices=Group.choices, widget=forms.CheckboxSelectMultiple
    )
    group_source = forms.ChoiceField(
        label=_("类别来源"), choices=GroupSource.choices, initial=GroupSource.VILLAGE_SURVEY
    )
    disability_certificate = forms.CharField(label=_("残疾证号"), max_length=24, required=False)
    disability_grade = forms.TypedChoiceField(
        label=_("残疾等级"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("无")), (1, _("一级")), (2, _("二级")), (3, _("三级")), (4, _("四级"))],
    )
    disability_type = forms.ChoiceField(label=_("残疾类别"), required=False, choices=DisabilityType.choices)
    ability_score = forms.IntegerField(label=_("能力评估得分（0–90）"), required=False, min_value=0, max_value=90)
    ability_level = forms.ChoiceField(label=_("能力等级"), required=False, choices=AbilityLevel.choices)
    ability_assessed_on = forms.DateField(label=_("能力评估日期"), required=False, widget=_DATE)
    subsistence = forms.ChoiceField(label=_("低保/特困"), required=False, choices=Subsistence.choices)
    drinking_water_safe = forms.ChoiceField(label=_("饮水安全"), required=False, choices=_YES_NO)
    electricity_safe = forms.ChoiceField(label=_("用电安全"), required=False, choices=_YES_NO)
    housing_safe = forms.ChoiceField(label=_("住房安全"), required=False, choices=_YES_NO)
    household_income = forms.DecimalField(label=_("家庭月收入（元）"), required=False, min_value=0, decimal_places=2)
    willingness = forms.ChoiceField(label=_("探访意愿"), required=False, choices=Willingness.choices)
    willingness_on = forms.DateField(label=_("意愿登记日期"), required=False, widget=_DATE)
    willingness_recorded_by = forms.CharField(label=_("意愿登记人"), max_length=50, required=False)
    preferred_visit_method = forms.ChoiceField(label=_("希望的探访方式"), required=False, choices=VisitMethod.choices)
    risk_level = forms.ChoiceField(
        label=_("风险等级"), choices=RiskLevel.choices, initial=RiskLevel.NORMAL, required=False
    )
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    SECTIONS = (
        (_("基本信息"), ("name", "id_number", "sex", "phone", "phone2")),
        (
            _("居住地"),
            ("village_code", "address", "lives_at_registration", "registered_region_code", "registered_address"),
        ),
        (_("特殊困难类别"), ("groups", "group_source")),
        (
            _("残疾与能力评估"),
            (
                "disability_certificate",
                "disability_grade",
                "disability_type",
                "ability_score",
                "ability_level",
                "ability_assessed_on",
                "subsistence",
            ),
        ),
        (_("生活条件"), ("drinking_water_safe", "electricity_safe", "housing_safe", "household_income")),
        (
            _("探访意愿"),
            (
                "willingness",
                "willingness_on",
                "willingness_recorded_by",
                "preferred_visit_method",
                "risk_level",
                "note",
            ),
        ),
    )

    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def to_input(self, base: inputs.ElderInput | None = None) -> inputs.ElderInput:
        """The form's values over `base` (the stored record when editing). A number left as the masked
        copy the page showed keeps the stored number: the page never holds it in full."""
        data = self.cleaned_data
        target = base or inputs.ElderInput(name="", id_number="", village_code="")
        for name in (
            "name",
            "id_number",
            "sex",
            "phone",
            "phone2",
            "village_code",
            "address",
            "lives_at_registration",
            "registered_region_code",
            "registered_address",
            "disability_certificate",
            "disability_grade",
            "disability_type",
            "ability_score",
            "ability_level",
            "ability_assessed_on",
            "subsistence",
            "household_income",
            "willingness",
            "willingness_on",
            "willingness_recorded_by",
            "preferred_visit_method",
            "risk_level",
            "note",
        ):
            if base is not None and name in KEPT_WHEN_MASKED and "*" in (data[name] or ""):
                continue
            setattr(target, name, data[name])
        target.risk_level = data["risk_level"] or RiskLevel.NORMAL
        for name in ("drinking_water_safe", "electricity_safe", "housing_safe"):
            setattr(target, name, _nullable_bool(data[name]))
        source = data["group_source"]
        kept = [g for g in (target.groups or []) if g.group in data["groups"]]
        have = {g.group for g in kept}
        target.groups = kept + [inputs.GroupInput(group=g, source=source) for g in data["groups"] if g not in have]
        return target


# Numbers the edit page shows masked; sent back as shown, the stored number is kept.
KEPT_WHEN_MASKED = ("id_number", "phone", "phone2", "disability_certificate")


class ContactForm(BootstrapForm):
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    relation = forms.CharField(label=_("关系"), max_length=20, required=False)
    phone = forms.CharField(label=_("电话"), max_length=20, required=False)


class SupporterForm(BootstrapForm):
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    relation = forms.CharField(label=_("关系"), max_length=20, required=False)
    phone = forms.CharField(label=_("电话"), max_length=20, required=False)
    lives_in = forms.CharField(label=_("居住地"), max_length=100, required=False)


class MemberForm(BootstrapForm):
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    sex = forms.ChoiceField(label=_("性别"), required=False, choices=_any("—", Sex.choices))
    id_number = forms.CharField(label=_("公民身份号码"), max_length=24, required=False)
    relation_to_head = forms.CharField(label=_("与户主关系"), max_length=20, required=False)
    health = forms.CharField(label=_("健康状况"), max_length=50, required=False)
    subsistence = forms.ChoiceField(label=_("低保/特困"), required=False, choices=Subsistence.choices)


class BenefitForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("类别"), required=False, choices=_any("—", BenefitKind.choices))
    monthly_amount = forms.DecimalField(label=_("每月金额（元）"), required=False, min_value=0, decimal_places=2)


class AssistanceForm(BootstrapForm):
    unit_type = forms.ChoiceField(label=_("帮扶单位类型"), required=False, choices=_any("—", HelpingUnit.choices))
    unit_name = forms.CharField(label=_("帮扶单位"), max_length=100, required=False)
    responsible_person = forms.CharField(label=_("帮扶责任人"), max_length=50, required=False)
    measures = forms.CharField(label=_("帮扶措施"), max_length=300, required=False)


ContactFormSet = forms.formset_factory(ContactForm, extra=2, max_num=10)
SupporterFormSet = forms.formset_factory(SupporterForm, extra=1, max_num=10)
MemberFormSet = forms.formset_factory(MemberForm, extra=2, max_num=20)
BenefitFormSet = forms.formset_factory(BenefitForm, extra=2, max_num=10)
AssistanceFormSet = forms.formset_factory(AssistanceForm, extra=1, max_num=10)

TABLES = (
    ("contacts", _("紧急联系人"), ContactFormSet, inputs.ContactInput, "name"),
    ("household", _("家庭成员（户主在前）"), MemberFormSet, inputs.MemberInput, "name"),
    ("supporters", _("赡养人/扶养人"), SupporterFormSet, inputs.SupporterInput, "name"),
    ("benefits", _("每月领取的养老金、救助和补贴"), BenefitFormSet, inputs.BenefitInput, "kind"),
    ("assistance", _("已享受的帮扶"), AssistanceFormSet, inputs.AssistanceInput, "unit_type"),
)


def table_rows(formset: forms.BaseFormSet[Any], cls: type, key: str) -> list[tuple[int, Any]]:
    """The filled rows of a formset as (row on the page, input); blank rows are ignored."""
    rows = []
    for index, form in enumerate(formset.forms):
        data = getattr(form, "cleaned_data", None) or {}
        if data.get(key):
            rows.append((index, cls(**{k: v for k, v in data.items() if v is not None})))
    return rows


class StatusForm(BootstrapForm):
    status = forms.ChoiceField(label=_("新状态"), choices=Status.choices)
    since = forms.DateField(label=_("起始日期"), widget=_DATE)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class RevealForm(BootstrapForm):
    field = forms.ChoiceField(
        label=_("字段"),
        choices=[
            ("id_number", _("公民身份号码")),
            ("phone", _("联系电话")),
            ("phone2", _("备用电话")),
            ("disability_certificate", _("残疾证号")),
        ],
    )
    reason = forms.CharField(label=_("查看理由"), max_length=200)


class MergeForm(BootstrapForm):
    duplicate_id = forms.IntegerField(label=_("重复记录的编号"), min_value=1)
    reason = forms.CharField(label=_("合并理由"), max_length=200)
