"""Headers that keep what a page shows private: a Content-Security-Policy and Cache-Control.

Content-Security-Policy, on every response: scripts and styles come only from our own static
files, never from the page itself, so text that slips into a page unescaped still cannot run.
Templates therefore hold no inline <script>, no on…= handlers and no style attributes (a test
scans them); behaviour lives in static files (tanfang/site.js for what every page shares). Images
may also be data: and blob: URLs: signatures are drawn on a canvas and shown back as data URLs.
The API's Swagger page (django-ninja) passes its settings as JSON data and starts from a static
file, so the same policy serves it.

Cache-Control: every response that is not a static file is `no-store, private` unless its view
said otherwise: pages, exports and printed forms carry personal data, and a shared computer's
browser cache or a proxy on the way must not keep them. Static files keep whitenoise's caching.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# Chrome shows a PDF inside a page of its own making, with inline styles and an <embed> that the
# policy above would blank (crbug.com/271452). A PDF runs none of our script; it only must not be framed.
PDF_POLICY = "frame-ancestors 'none'"
NO_STORE = "no-store, private"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = urlsplit(settings.STATIC_URL or "/static/").path

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        is_pdf = response.get("Content-Type", "").startswith("application/pdf")
        response.headers.setdefault("Content-Security-Policy", PDF_POLICY if is_pdf else CONTENT_SECURITY_POLICY)
        if "Cache-Control" not in response.headers and not request.path_info.startswith(self.static_prefix):
            response.headers["Cache-Control"] = NO_STORE
        return response
