from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tanfang.audit.actions import Action


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("操作人（用户名）"), required=False, max_length=150)
    subject = forms.CharField(label=_("对象"), required=False, max_length=200)
    action = forms.ChoiceField(label=_("操作"), required=False, choices=[("", _("全部操作")), *Action.choices])
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
