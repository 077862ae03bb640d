"""The supervision dashboard (统计分析) and the lists of elders behind its numbers.

Thin: each view parses the region and month, calls one read of `reports.dashboard`, and renders. A
region outside the actor's scope, or a role that does not read figures (or, for the lists, elders),
answers 404 through the error pages; a month that cannot be read or is still to come is shown on the
page (422), with the month picker to choose again.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tanfang.core.errors import ValidationFailed
from tanfang.core.paging import page_number, query_without_page
from tanfang.core.scope import actor_of
from tanfang.core.time import local_today
from tanfang.reports.dashboard import dashboard_for, default_region_code, elders_behind_page, readable_region
from tanfang.schedule.figures import parse_month


def _month(request: HttpRequest, today: dt.date) -> tuple[dt.date | None, str]:
    """The month asked for, or None and why not."""
    try:
        return parse_month(request.GET.get("month", ""), today), ""
    except ValidationFailed as error:
        return None, error.message


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    today = local_today()
    code = request.GET.get("region", "") or default_region_code(actor)
    month, error = _month(request, today)
    context = {"today": today, "error": error}
    if code is None:  # no region assigned: nothing to show
        return render(request, "reports/dashboard.html", context)
    if month is None:
        region = readable_region(actor, code)
        return render(request, "reports/dashboard.html", {**context, "region": region}, status=422)
    board = dashboard_for(actor, code, month, today)
    return render(request, "reports/dashboard.html", {**context, "region": board.region, "board": board})


@require_GET
def elders_behind(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    today = local_today()
    code = request.GET.get("region", "")
    month, error = _month(request, today)
    context = {"today": today, "error": error, "query": query_without_page(request.GET)}
    if month is None:
        region = readable_region(actor, code, elders=True)
        return render(request, "reports/elders_behind.html", {**context, "region": region}, status=422)
    listed = elders_behind_page(
        actor, code, month, request.GET.get("measure", ""), request.GET.get("group", ""), page=page_number(request.GET)
    )
    return render(request, "reports/elders_behind.html", {**context, "region": listed.region, "listed": listed})
