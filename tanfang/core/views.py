"""Views of the core: the health check (public)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from tanfang.core.health import health_report


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    ok, details = health_report()
    return JsonResponse({"status": "ok" if ok else "unavailable", **details}, status=200 if ok else 503)
