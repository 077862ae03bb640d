"""Account pages: log-in, log-out, password change, and user management. Thin: parse, call, show."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tanfang.accounts.api import client_ip, user_of
from tanfang.accounts.errors import AccountLocked, InvalidCredentials
from tanfang.accounts.forms import LoginForm, PasswordChangeForm, PasswordResetForm, UserFilterForm, UserForm
from tanfang.accounts.selectors import can_manage, get_user_for, roles_grantable_by, users_visible_to
from tanfang.accounts.services import (
    UserInput,
    change_password,
    create_user,
    log_in,
    log_out,
    reset_password,
    unlock_user,
    update_user,
)
from tanfang.accounts.user_filters import filter_users
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.paging import page_number, page_of, query_without_page
from tanfang.core.time import now


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = log_in(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip_address=client_ip(request),
            )
        except (InvalidCredentials, AccountLocked) as error:
            form.add_error(None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url or "home")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


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
            "can_create": bool(roles_grantable_by(actor)),
            "query": query_without_page(request.GET),
        },
    )


@require_http_methods(["GET", "POST"])
def user_create_view(request: HttpRequest) -> HttpResponse:
    actor = user_of(request)
    roles = roles_grantable_by(actor)
    if not roles:
        raise PermissionDenied()
    form = UserForm(request.POST or None, roles=roles)
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
        "phone": user.phone,
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
            messages.success(request, _("已重置密码，该用户下次登录时须修改密码"))
    return redirect("users:detail", user_id=user.pk)
