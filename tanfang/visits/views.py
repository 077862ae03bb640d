"""Visit pages. For now: a visitor's service hours (volunteers and students get certificates of them)."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tanfang.accounts.models import User
from tanfang.core.time import local_today
from tanfang.visitors.models import HOURS_KINDS
from tanfang.visitors.selectors import get_visitor_for
from tanfang.visits.selectors import service_hours


def hours_panel(request: HttpRequest, visitor_id: int) -> HttpResponse:
    visitor = get_visitor_for(cast(User, request.user), visitor_id)
    today = local_today()
    year_start = dt.date(today.year, 1, 1)
    return render(
        request,
        "visits/hours.html",
        {
            "visitor": visitor,
            "counted": visitor.kind in HOURS_KINDS,
            "this_year": service_hours(visitor, since=year_start),
            "total": service_hours(visitor),
        },
    )
