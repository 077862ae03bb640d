"""Deny by default: every page needs a log-in unless it is on the public list."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# The only paths anyone may reach without logging in. The API authenticates itself
# (deny by default too) and answers 401 in JSON rather than redirecting.
PUBLIC_PREFIXES = ("/healthz", "/accounts/login/", "/i18n/setlang/", "/static/")
API_PREFIX = "/api/"


def is_public(path: str) -> bool:
    return any(path == p or path.startswith(p) for p in PUBLIC_PREFIXES)


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIX) or is_public(path):
            return self.get_response(request)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        change_url = reverse("accounts:password_change")
        if getattr(user, "must_change_password", False) and path not in (change_url, reverse("accounts:logout")):
            return redirect(change_url)
        return self.get_response(request)
