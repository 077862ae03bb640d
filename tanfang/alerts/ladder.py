"""The escalation ladder of an open incident, as pure functions.

An incident nobody has closed climbs one rung every `minutes` (TANFANG_INCIDENT_ESCALATE_MINUTES)
after it was opened: first the workers of the elder's village, then the township's duty officer (or,
with nobody on duty, the township's officers). After the last rung nothing more is due.

    step taken  | who is told              | due at
    0 → 1       | village workers          | opened_at + 1 × minutes
    1 → 2       | township duty officer    | opened_at + 2 × minutes
    2           | —                        | never
"""

from __future__ import annotations

import datetime as dt
import enum


class Rung(enum.IntEnum):
    VILLAGE = 1
    TOWNSHIP_DUTY = 2


LADDER: tuple[Rung, ...] = (Rung.VILLAGE, Rung.TOWNSHIP_DUTY)


def rung_after(step: int) -> Rung | None:
    """The rung climbed from `step` (the steps taken so far); None after the last."""
    return LADDER[step] if 0 <= step < len(LADDER) else None


def deadline(opened_at: dt.datetime, step: int, minutes: int) -> dt.datetime | None:
    """When the rung after `step` is due: `step + 1` intervals after opening; None after the last rung."""
    if rung_after(step) is None:
        return None
    return opened_at + dt.timedelta(minutes=minutes * (step + 1))
