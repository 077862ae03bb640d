"""Forms of the schedule pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tanfang.accounts.forms import BootstrapForm
from tanfang.elders.models import Group
from tanfang.schedule.models import WeatherEvent

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PolicyForm(BootstrapForm):
    monthly_contacts = forms.IntegerField(label=_("每月至少探访次数"), min_value=1, max_value=10)
    count_home = forms.BooleanField(label=_("上门探访计入"), required=False)
    count_phone = forms.BooleanField(label=_("电话问候计入"), required=False)
    count_video = forms.BooleanField(label=_("音视频探访计入"), required=False)
    count_other = forms.BooleanField(label=_("其他方式计入"), required=False)
    disabled_home_visit_months = forms.IntegerField(label=_("失能老人上门探访间隔（月）"), min_value=1, max_value=12)
    high_risk_interval_days = forms.IntegerField(label=_("高风险老人探访间隔（天）"), min_value=1, max_value=31)
    pause_when_away = forms.BooleanField(label=_("外出或住院期间暂停（否则电话、视频计入）"), required=False)
    count_declined = forms.BooleanField(label=_("不愿接受探访的老人计入应探访人数"), required=False)
    festival_window_before = forms.IntegerField(label=_("节日前几天起须联系"), min_value=0, max_value=30)
    festival_window_after = forms.IntegerField(label=_("节日后几天内须联系"), min_value=0, max_value=30)


class WeatherForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("类型"), choices=WeatherEvent.Kind.choices)
    starts_on = forms.DateField(label=_("开始日期"), widget=_DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=_DATE)
    groups = forms.MultipleChoiceField(
        label=_("须联系的类别（不选为全部）"),
        choices=Group.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
