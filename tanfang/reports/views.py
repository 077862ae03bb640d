"""Home: what to do today, by role.

- Visitors land on their work list.
- Officers and village workers see the exception board of their region first (reports.today): the
  month's rate and days left, villages below target, elders not visited, overdue follow-ups, open
  incidents and visits waiting for review. County and above then see the dashboard's figures.
- Everyone else (the administrators) sees their scope.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tanfang.alerts.selectors import open_count
from tanfang.core.roles import Permission, RegionLevel, has_permission, reads_incidents, works_from_worklist
from tanfang.core.scope import actor_of
from tanfang.core.time import local_today
from tanfang.regions.scoping import top_regions_for
from tanfang.reports.dashboard import dashboard_for
from tanfang.reports.selectors import scope_summary
from tanfang.reports.today import board, target_rate


def home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if works_from_worklist(actor.role):
        return redirect("schedule:worklist")  # visitors: their work list is their day
    tops = list(top_regions_for(actor))
    top = tops[0] if tops else None
    if top is not None and has_permission(actor.role, Permission.VIEW_FIGURES):
        today = local_today()
        exceptions = board(actor, top, today)
        if top.level <= RegionLevel.COUNTY:  # county and above: the dashboard, the exceptions first
            dashboard = dashboard_for(actor, top.code, today.replace(day=1), today, current=exceptions.figures)
            context = {"today": today, "error": "", "region": dashboard.region, "board": dashboard}
            return render(request, "reports/dashboard.html", {**context, "exceptions": exceptions, "my_regions": tops})
        return render(
            request,
            "reports/home_board.html",
            {"exceptions": exceptions, "target": target_rate(), "my_regions": tops, "others": tops[1:]},
        )
    summary = scope_summary(actor)
    levels = [(label, summary.region_counts[value]) for value, label in RegionLevel.choices]
    open_incidents = open_count(actor) if reads_incidents(actor.role) else None
    return render(
        request, "reports/home.html", {"summary": summary, "levels": levels, "open_incidents": open_incidents}
    )
