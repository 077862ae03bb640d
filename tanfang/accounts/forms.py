"""Forms of the account pages: they parse; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tanfang.core.errors import ValidationFailed
from tanfang.core.roles import NO_ROLE_LABEL, Role

_INPUT = {"class": "form-control"}
# Built per request, so the rules are described in the language the user chose.
_password_help = lazy(password_validators_help_text_html, str)


class BootstrapForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if isinstance(field.widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"  # each box of a multiple choice is a check, not a text field
            field.widget.attrs.setdefault("class", css)

    def add_service_errors(self, error: ValidationFailed) -> None:
        """Put a service's field errors next to the fields they are about."""
        for item in error.errors:
            self.add_error(item.field if item.field in self.fields else None, item.message)


class LoginForm(BootstrapForm):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", **_INPUT}),
    )
    password = forms.CharField(
        label=_("密码"),
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", **_INPUT}),
    )


class SecondStepForm(BootstrapForm):
    code = forms.CharField(
        label=_("验证码"),
        max_length=20,
        help_text=_(
            "验证器（如微信小程序、手机自带或其他身份验证器应用）上显示的 6 位数字；手机丢失时可输入一个恢复码"
        ),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
    )


class PasswordChangeForm(BootstrapForm):
    old_password = forms.CharField(
        label=_("原密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label=_("新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_password_help(),
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class UserForm(BootstrapForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=50)
    role = forms.ChoiceField(label=_("角色"))
    region_codes = forms.CharField(
        label=_("所属区划代码"),
        help_text=_("一个或多个区划代码，用逗号或空格分隔，例如 410823 或 410823100201"),
        max_length=1000,
    )
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    organisation = forms.CharField(label=_("单位"), max_length=100, required=False)
    password = forms.CharField(
        label=_("初始密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=format_lazy("{} {}", _("用户首次登录时须修改。"), _password_help()),
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args: Any, roles: list[str], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.required = False
        role_field.choices = [(r, Role(r).label if r else NO_ROLE_LABEL) for r in roles]
        if editing:
            del self.fields["password"]
            self.fields["username"].disabled = True
            phone = self.fields["phone"]
            phone.help_text = _("不修改请留空：号码加密保存，不在页面显示")
        else:
            del self.fields["is_active"]

    def region_code_list(self) -> list[str]:
        raw = self.cleaned_data.get("region_codes", "")
        return [c for c in raw.replace("，", ",").replace(",", " ").split() if c]


class PasswordResetForm(BootstrapForm):
    new_password = forms.CharField(
        label=_("新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名或用户名"), required=False)
    role = forms.ChoiceField(label=_("角色"), required=False, choices=[("", _("全部角色")), *Role.choices])
    region = forms.CharField(label=_("区划代码"), required=False)
