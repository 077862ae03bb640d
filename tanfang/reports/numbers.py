"""How figures are written for people: one rule for every page and export."""

from __future__ import annotations

import math


def percent_value(rate: float | None) -> float | None:
    """A rate in percent to one decimal, rounded half up, except that it never reads 100.0 unless
    everyone was visited (0.9996 → 99.9) nor 0.0 when someone was (0.0004 → 0.1)."""
    if rate is None:
        return None
    value = math.floor(rate * 1000 + 0.5 + 1e-9) / 10
    if value >= 100 and rate < 1:
        return 99.9
    if value <= 0 and rate > 0:
        return 0.1
    return value


def percent(rate: float | None) -> str:
    """A rate as '66.7%' (see percent_value); None → '—'."""
    value = percent_value(rate)
    return "—" if value is None else f"{value:.1f}%"
