"""Account pages: log-in, log-out, password change, and user management. Thin: parse, call, show."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tanfang.accounts.api import user_of
from tanfang.accounts.errors import InvalidCredentials, LoginThrottled, SecondFactorRefused
from tanfang.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    SecondStepForm,
    UserFilterForm,
    UserForm,
)
from tanfang.accounts.selectors import (
    can_manage,
    get_user_for,
    may_open_accounts,
    pending_user,
    roles_grantable_by,
    users_visible_to,
)
from tanfang.accounts.services import (
    UserInput,
    change_password,
    check_password_step,
    check_second_step,
    complete_log_in,
    create_user,
    log_out,
    reset_password,
    reset_two_factor,
    unlock_user,
    update_user,
)
from tanfang.accounts.two_factor import (
    confirm_enrolment,
    is_enrolled,
    needs_enrolment,
    pending_uri,
    qr_svg,
    recovery_codes_left,
    renew_recovery_codes,
    required_for,
    secret_of_uri,
    start_enrolment,
)
from tanfang.accounts.user_filters import filter_users
from tanfang.core.client_ip import client_ip
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.paging import page_number, page_of, query_without_page
from tanfang.core.roles import Permission, has_permission
from tanfang.core.time import now

# The user who passed the password step and owes a code, and when: the code must follow soon.
_PENDING_USER, _PENDING_SINCE, _PENDING_NEXT = "_2fa_user", "_2fa_since", "_2fa_next"
SECOND_STEP_SECONDS = 300


def _safe_next(request: HttpRequest, url: str) -> str:
    return url if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}) else ""


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            checked = check_password_step(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"], ip_address=ip
            )
        except (InvalidCredentials, LoginThrottled) as error:
            form.add_error(None, error.message)
        else:
            if checked.second_factor:
                request.session.cycle_key()
                request.session[_PENDING_USER] = checked.user.pk
                request.session[_PENDING_SINCE] = int(now().timestamp())
                request.session[_PENDING_NEXT] = next_url
                return redirect("accounts:second_step")
            user = complete_log_in(user=checked.user, ip_address=ip)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url or "home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
def second_step_view(request: HttpRequest) -> HttpResponse:
    """The code that follows the password, for users with an authenticator."""
    if request.user.is_authenticated:
        return redirect("home")
    user = pending_user(request.session.get(_PENDING_USER))
    since = int(request.session.get(_PENDING_SINCE, 0))
    if user is None or now().timestamp() - since > SECOND_STEP_SECONDS:
        request.session.pop(_PENDING_USER, None)
        messages.error(request, _("验证超时，请重新登录"))
        return redirect("accounts:login")
    form = SecondStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            used = check_second_step(user=user, code=form.cleaned_data["code"], ip_address=ip)
        except (InvalidCredentials, LoginThrottled, SecondFactorRefused) as error:
            form.add_error("code", error.message)
        else:
            next_url = _safe_next(request, request.session.get(_PENDING_NEXT, ""))
            for key in (_PENDING_USER, _PENDING_SINCE, _PENDING_NEXT):
                request.session.pop(key, None)
            complete_log_in(user=user, ip_address=ip, second_factor=used)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if used == "recovery":
                messages.warning(
                    request,
                    _("您使用了一个恢复码登录，还剩 %(n)s 个。如手机丢失，请联系安全管理员重置两步验证。")
                    % {"n": recovery_codes_left(user)},
                )
            return redirect(next_url or "home")
    return render(request, "accounts/second_step.html", {"form": form})


def security_view(request: HttpRequest) -> HttpResponse:
    """The user's own account security: password, authenticator, recovery codes."""
    user = user_of(request)
    return render(
        request,
        "accounts/security.html",
        {
            "enrolled": is_enrolled(user),
            "required": required_for(user),
            "codes_left": recovery_codes_left(user),
        },
    )


@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator: a QR code, then a code from the app to confirm; the recovery codes are shown once."""
    user = user_of(request)
    if is_enrolled(user):
        return redirect("accounts:security")
    form = SecondStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = confirm_enrolment(user=user, code=form.cleaned_data["code"], ip_address=client_ip(request))
        except ValidationFailed as error:
            form.add_service_errors(error)
        else:
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "first": True})
    uri = pending_uri(user) if request.method == "POST" else None
    uri = uri or start_enrolment(user=user)
    return render(
        request,
        "accounts/enrol.html",
        {"form": form, "qr": qr_svg(uri), "secret": secret_of_uri(uri), "forced": needs_enrolment(user)},
    )


@require_POST
def renew_codes_view(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    try:
        codes = renew_recovery_codes(user=user, ip_address=client_ip(request))
    except ValidationFailed as error:
        messages.error(request, error.message)
        return redirect("accounts:security")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "first": False})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        log_out(actor=user_of(request), ip_address=client_ip(request))
    logout(request)
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change_password(
                actor=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationFailed as error:
            form.add_service_errors(error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改"))
            return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form, "forced": user.must_change_password})


def user_list_view(request: HttpRequest) -> HttpResponse:
    actor = user_of(request)
    users = users_visible_to(actor)
    filters = UserFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    users = filter_users(users, text=data.get("q", ""), role=data.get("role", ""), region=data.get("region", ""))
    page = page_of(users.prefetch_related("region_assignments__region"), page=page_number(request.GET))
    return render(
        request,
        "accounts/user_list.html",
        {
            "page": page,
            "filters": filters,
            "can_create": may_open_accounts(actor),
            "query": query_without_page(request.GET),
        },
    )


@require_http_methods(["GET", "POST"])
def user_create_view(request: HttpRequest) -> HttpResponse:
    actor = user_of(request)
    if not may_open_accounts(actor):
        raise PermissionDenied()
    form = UserForm(request.POST or None, roles=roles_grantable_by(actor))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = create_user(
                actor=actor,
                username=data["username"],
                password=data["password"],
                data=UserInput(
                    display_name=data["display_name"],
                    role=data["role"],
                    region_codes=form.region_code_list(),
                    phone=data["phone"],
                    organisation=data["organisation"],
                ),
            )
        except ValidationFailed as error:
            form.add_service_errors(error)
        except NotFound:
            form.add_error("region_codes", _("区划代码不存在或不在您的辖区内"))
        except PermissionDenied as error:
            form.add_error("role", error.message)
        else:
            messages.success(request, _("已创建用户 %(name)s") % {"name": user})
            return redirect("users:detail", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "editing": None})


def user_detail_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = user_of(request)
    user = get_user_for(actor, user_id)
    regions = [a.region for a in user.region_assignments.select_related("region").order_by("region_id")]
    return render(
        request,
        "accounts/user_detail.html",
        {
            "subject": user,
            "regions": regions,
            "can_edit": can_manage(actor, user),
            "can_reset_two_factor": has_permission(actor.role, Permission.RESET_TWO_FACTOR) and can_manage(actor, user),
            "can_unlock": has_permission(actor.role, Permission.UNLOCK_USERS) and can_manage(actor, user),
            "has_two_factor": is_enrolled(user),
            "locked": bool(user.locked_until and user.locked_until > now()),
            "reset_form": PasswordResetForm(),
        },
    )


@require_http_methods(["GET", "POST"])
def user_edit_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = user_of(request)
    user = get_user_for(actor, user_id)
    if not can_manage(actor, user):
        raise PermissionDenied(_("您没有权限修改该用户"))
    initial = {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "region_codes": " ".join(user.region_assignments.order_by("region_id").values_list("region_id", flat=True)),
        "phone": "",
        "organisation": user.organisation,
        "is_active": user.is_active,
    }
    form = UserForm(request.POST or None, initial=initial, roles=roles_grantable_by(actor), editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update_user(
                actor=actor,
                user=user,
                data=UserInput(
                    display_name=data["display_name"],
                    role=data["role"],
                    region_codes=form.region_code_list(),
                    phone=data["phone"],
                    organisation=data["organisation"],
                    is_active=data["is_active"],
                ),
            )
        except ValidationFailed as error:
            form.add_service_errors(error)
        except NotFound:
            form.add_error("region_codes", _("区划代码不存在或不在您的辖区内"))
        except PermissionDenied as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已保存"))
            return redirect("users:detail", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form, "editing": user})


@require_POST
def user_unlock_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = user_of(request)
    user = get_user_for(actor, user_id)
    unlock_user(actor=actor, user=user)
    messages.success(request, _("已解除锁定"))
    return redirect("users:detail", user_id=user.pk)


@require_POST
def user_reset_two_factor_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = user_of(request)
    user = get_user_for(actor, user_id)
    reset_two_factor(actor=actor, user=user)
    messages.success(request, _("已重置两步验证，该用户下次登录时须重新绑定验证器"))
    return redirect("users:detail", user_id=user.pk)


@require_POST
def user_reset_password_view(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = user_of(request)
    user = get_user_for(actor, user_id)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            reset_password(actor=actor, user=user, new_password=form.cleaned_data["new_password"])
        except ValidationFailed as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已重置密码：该用户的登录会话和接口令牌已失效，下次登录时须修改密码"))
    return redirect("users:detail", user_id=user.pk)
