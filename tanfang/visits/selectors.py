"""Reads of visits."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum

from tanfang.visitors.models import Visitor
from tanfang.visits.models import Outcome, Visit


def service_hours(visitor: Visitor, since: dt.date | None = None, until: dt.date | None = None) -> Decimal:
    """Hours a visitor served, from the minutes of their visits (attempts included: the trip was made)."""
    visits = Visit.objects.filter(visitor=visitor, outcome__in=Outcome.values, rejected=False)
    if since:
        visits = visits.filter(day__gte=since)
    if until:
        visits = visits.filter(day__lte=until)
    minutes = visits.aggregate(total=Sum("minutes"))["total"] or 0
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
