from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tanfang.core.roles import RegionLevel
from tanfang.core.scope import actor_of
from tanfang.reports.selectors import scope_summary


def home(request: HttpRequest) -> HttpResponse:
    summary = scope_summary(actor_of(request))
    levels = [(label, summary.region_counts[value]) for value, label in RegionLevel.choices]
    return render(request, "reports/home.html", {"summary": summary, "levels": levels})
