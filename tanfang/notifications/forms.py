"""The form of the preferences page: channels, the WeCom group, quiet hours."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tanfang.core.errors import ValidationFailed
from tanfang.notifications.models import Preference
from tanfang.notifications.preferences import PreferenceInput


class PreferenceForm(forms.Form):
    inbox = forms.BooleanField(label=_("站内消息（页面右上角“消息”）"), required=False)
    sms = forms.BooleanField(label=_("短信"), required=False)
    wecom = forms.BooleanField(label=_("企业微信群（群内成员都能看到）"), required=False)
    wecom_robot = forms.ChoiceField(label=_("企业微信群"), required=False)
    quiet_start = forms.TimeField(
        label=_("免打扰开始（北京时间）"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("免打扰结束"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("可跨越午夜，如 22:00 至 07:00。紧急事件和告警不受免打扰限制，也总会发短信。"),
    )

    def __init__(self, *args: Any, robots: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if robots:
            robot_field = self.fields["wecom_robot"]
            assert isinstance(robot_field, forms.ChoiceField)
            robot_field.choices = [("", _("请选择")), *((name, name) for name in robots)]
        else:  # no robot configured: WeCom is not offered
            del self.fields["wecom"]
            del self.fields["wecom_robot"]
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            field.widget.attrs.setdefault("class", css)

    @staticmethod
    def initial_of(preference: Preference) -> dict[str, object]:
        return {
            "inbox": preference.inbox,
            "sms": preference.sms,
            "wecom": preference.wecom,
            "wecom_robot": preference.wecom_robot,
            "quiet_start": preference.quiet_start,
            "quiet_end": preference.quiet_end,
        }

    def to_input(self) -> PreferenceInput:
        data = self.cleaned_data
        return PreferenceInput(
            inbox=data["inbox"],
            sms=data["sms"],
            wecom=data.get("wecom", False),
            wecom_robot=data.get("wecom_robot", ""),
            quiet_start=data["quiet_start"],
            quiet_end=data["quiet_end"],
        )

    def add_service_errors(self, error: ValidationFailed) -> None:
        for item in error.errors:
            self.add_error(item.field if item.field in self.fields else None, item.message)
