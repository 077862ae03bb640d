from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tanfang.alerts.selectors import open_count
from tanfang.core.roles import RegionLevel, reads_incidents
from tanfang.core.scope import actor_of
from tanfang.reports.selectors import scope_summary


def home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    summary = scope_summary(actor)
    levels = [(label, summary.region_counts[value]) for value, label in RegionLevel.choices]
    open_incidents = open_count(actor) if reads_incidents(actor.role) else None
    return render(
        request, "reports/home.html", {"summary": summary, "levels": levels, "open_incidents": open_incidents}
    )
