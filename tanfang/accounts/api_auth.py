"""How API callers prove who they are: a bearer token, or the browser's session (with CSRF)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from ninja.security import HttpBearer, SessionAuth

from tanfang.accounts.services import user_for_token
from tanfang.accounts.two_factor import needs_enrolment
from tanfang.core.api_errors import not_authenticated_response


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The log-in session, refused while the user still has to change an initial password or enrol a second factor."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or getattr(user, "must_change_password", False) or needs_enrolment(user):
            return None
        return user


API_AUTH = [TokenAuth(), ActiveSessionAuth()]


def docs_access(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Show the API's description to a logged-in person or a token holder, and to no one else.

    A caller whose bearer token is not valid gets the API's 401 in JSON; anyone else without a
    session (a browser) is sent to log in, as for every page.
    """
    token_auth = TokenAuth()

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated or token_auth(request) is not None:
            return view(request, *args, **kwargs)
        if request.headers.get("Authorization", "").lower().startswith("bearer "):
            return not_authenticated_response()
        return redirect_to_login(request.get_full_path())

    return wrapper
