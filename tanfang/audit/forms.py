from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tanfang.audit.actions import Action
from tanfang.audit.exports import ExportFormat


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("操作人（用户名）"), required=False, max_length=150)
    subject = forms.CharField(label=_("对象"), required=False, max_length=200)
    action = forms.ChoiceField(label=_("操作"), required=False, choices=[("", _("全部操作")), *Action.choices])
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class AuditExportForm(forms.Form):
    """The export: a range of days and a format, with the list's filters carried along."""

    date_from = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(label=_("格式"), choices=ExportFormat.choices, initial=ExportFormat.CSV, required=False)
    user = forms.CharField(required=False, max_length=150, widget=forms.HiddenInput)
    subject = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    action = forms.ChoiceField(required=False, choices=[("", ""), *Action.choices], widget=forms.HiddenInput)

    def clean_format(self) -> str:
        return str(self.cleaned_data.get("format") or ExportFormat.CSV)
