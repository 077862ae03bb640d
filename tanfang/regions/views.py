"""Region tree pages: browse down from the user's own regions."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tanfang.core.scope import actor_of
from tanfang.regions.selectors import browse_regions, search_regions


def browse_view(request: HttpRequest, code: str | None = None) -> HttpResponse:
    actor = actor_of(request)
    view = browse_regions(actor, code)
    query = request.GET.get("q", "").strip()
    found = list(search_regions(actor, query)) if query else None
    return render(request, "regions/browse.html", {"view": view, "query": query, "found": found})
