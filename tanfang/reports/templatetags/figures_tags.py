"""Template filters for figures: a rate as a percentage that never rounds up to 100%."""

from __future__ import annotations

import math

from django import template

from tanfang.reports.numbers import percent

register = template.Library()


@register.filter(name="percent")
def percent_filter(rate: float | None) -> str:
    """A rate as '66.7%' (reports.numbers.percent); None → '—'."""
    return percent(rate)


@register.filter
def bar_width(rate: float | None) -> str:
    """A progress bar's width for a rate: '0' … '100', rounded down."""
    return "0" if rate is None else str(max(0, min(100, math.floor(rate * 100 + 1e-9))))
