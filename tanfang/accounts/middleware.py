"""Deny by default: every page needs a log-in unless it is on the public list."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from tanfang.accounts.two_factor import needs_enrolment

# The only paths anyone may reach without logging in. The API authenticates itself
# (deny by default too) and answers 401 in JSON rather than redirecting.
PUBLIC_PREFIXES = ("/healthz", "/accounts/login/", "/i18n/setlang/", "/static/")
API_PREFIX = "/api/"
TOUCHED_KEY = "_touched"
TOUCH_EVERY_SECONDS = 60


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
        change_url, logout_url = reverse("accounts:password_change"), reverse("accounts:logout")
        if getattr(user, "must_change_password", False) and path not in (change_url, logout_url):
            return redirect(change_url)
        enrol_url = reverse("accounts:enrol")
        if path not in (enrol_url, logout_url) and needs_enrolment(user):
            return redirect(enrol_url)
        return self.get_response(request)


class SessionKeepAliveMiddleware:
    """Push an active session's expiry forward at most once a minute, not on every request.

    Idle sessions still end after SESSION_COOKIE_AGE (within a minute of it), and a busy visitor
    does not cost a session write per request at the month-end peak. Sits just inside
    SessionMiddleware, which saves the session when this marks it changed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not session.modified and not session.is_empty():
            moment = int(time.time())
            if moment - int(session.get(TOUCHED_KEY, 0)) >= TOUCH_EVERY_SECONDS:
                session[TOUCHED_KEY] = moment
        return response
