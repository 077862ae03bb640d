"""Forms of the visitor pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tanfang.accounts.forms import BootstrapForm
from tanfang.visitors.models import Pairing, VisitorKind


class VisitorForm(BootstrapForm):
    name = forms.CharField(label=_("姓名"), max_length=50)
    kind = forms.ChoiceField(label=_("类别"), choices=VisitorKind.choices)
    organisation = forms.CharField(label=_("单位"), max_length=100, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    region_code = forms.CharField(label=_("所在乡镇（街道）或村（社区）代码"), max_length=12)
    served_codes = forms.CharField(
        label=_("服务区域代码（多个用空格分隔，默认即所在区划）"), max_length=500, required=False
    )
    capacity = forms.IntegerField(label=_("最多结对人数"), min_value=1, max_value=500, initial=20)
    active = forms.BooleanField(label=_("在岗"), required=False, initial=True)

    def served_list(self) -> list[str]:
        return [c for c in self.cleaned_data["served_codes"].replace("，", " ").replace(",", " ").split() if c]


class PairForm(BootstrapForm):
    visitor_id = forms.IntegerField(label=_("探访人"), min_value=1)
    role = forms.ChoiceField(label=_("角色"), choices=Pairing.Role.choices, initial=Pairing.Role.PRIMARY)


class HandOverForm(BootstrapForm):
    to_id = forms.IntegerField(label=_("接手人编号（留空则按同村优先、负担最轻自动分配）"), min_value=1, required=False)
