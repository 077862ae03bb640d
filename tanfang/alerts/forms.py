"""Forms of the incident pages: what a person types, turned into the services' inputs."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from tanfang.accounts.forms import BootstrapForm
from tanfang.alerts.duty import ShiftInput
from tanfang.alerts.models import CallAttempt, Incident
from tanfang.alerts.services import CallInput
from tanfang.core.time import LOCAL_TZ


class CallForm(BootstrapForm):
    # "120", "110", "119", "elder", "other", or "contact:<id>": one select for whom was called.
    target = forms.CharField(label=_("拨打对象"), max_length=20)
    outcome = forms.ChoiceField(label=_("结果"), choices=CallAttempt.Outcome.choices, widget=forms.RadioSelect)
    number = forms.CharField(label=_("其他号码"), max_length=20, required=False)
    note = forms.CharField(label=_("备注"), max_length=500, required=False)

    def to_input(self) -> CallInput:
        data = self.cleaned_data
        target, _sep, contact = data["target"].partition(":")
        return CallInput(
            target=target,
            outcome=data["outcome"],
            contact_id=int(contact) if contact.isdigit() else None,
            number=data["number"],
            note=data["note"],
        )


class CloseForm(BootstrapForm):
    disposition = forms.ChoiceField(
        label=_("处置结果"), choices=[("", _("请选择处置结果")), *Incident.Disposition.choices], required=False
    )
    account = forms.CharField(label=_("处置经过"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class ShiftForm(BootstrapForm):
    user = forms.TypedChoiceField(label=_("值班人员"), coerce=int, choices=())
    starts_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args: object, candidates: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = candidates  # type: ignore[attr-defined]

    @staticmethod
    def _aware(moment: dt.datetime | None) -> dt.datetime | None:
        if moment is None:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)

    def to_input(self) -> ShiftInput:
        data = self.cleaned_data
        return ShiftInput(
            user_id=data["user"],
            starts_at=self._aware(data["starts_at"]),
            ends_at=self._aware(data["ends_at"]),
            note=data["note"],
        )
