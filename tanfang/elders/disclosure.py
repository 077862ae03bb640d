"""What of an elder's birth a role is shown: the whole date, or the year alone.

Everything shown to a role that may not reveal personal numbers (REVEAL_PERSONAL_DATA), taken
together, must leave at least 10,000 possible ID numbers (ARCHITECTURE rule 6). The mask shows the
county (`core.id_numbers.mask_id_number`) and the sex is shown, so the birth date is what is left to
hide: such a role sees the birth year only, and an age and a 高龄 badge computed from the year
alone (this year minus the birth year), which say nothing more. 365 days × 500 sequences of the
right parity = 182,500 numbers remain. An exact age beside the year would tell on which side of
today the birthday falls; a badge computed from the exact date would do the same around an 80th
birthday.

Roles that may reveal (they may ask for the whole number anyway) keep the date, the exact age and
the badge computed from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tanfang.core.id_numbers import age_on
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor
from tanfang.elders.inputs import OLD_OLD_AGE


def shows_birth_dates(actor: Actor) -> bool:
    """Whether the actor's role is shown whole birth dates (of the elders it may see at all)."""
    return actor.is_active and has_permission(actor.role, Permission.REVEAL_PERSONAL_DATA)


@dataclass(frozen=True)
class BirthShown:
    """What a page, an export or the API shows of a birth date."""

    year: int
    date: dt.date | None  # None: the year alone is shown
    age: int  # full years on the day when the date is shown; else this year minus the birth year
    old_old: bool  # 高龄, from the same age

    @property
    def by_year(self) -> bool:
        return self.date is None


def birth_shown(birth_date: dt.date, today: dt.date, *, whole: bool) -> BirthShown:
    """The birth as shown: the whole date and the exact age, or (`whole=False`) the year alone."""
    if whole:
        age = age_on(birth_date, today)
        return BirthShown(year=birth_date.year, date=birth_date, age=age, old_old=age >= OLD_OLD_AGE)
    age = today.year - birth_date.year
    return BirthShown(year=birth_date.year, date=None, age=age, old_old=age >= OLD_OLD_AGE)


def birth_span(low: int, high: int, today: dt.date, *, whole: bool) -> tuple[dt.date, dt.date]:
    """The birth dates of those aged `low` to `high` as the role is shown ages (see `birth_shown`).

    By year: born from 1 January of (this year − high) to 31 December of (this year − low), so that
    an age band never tells on which side of today a birthday falls.
    """
    if not whole:
        return dt.date(today.year - high, 1, 1), dt.date(today.year - low, 12, 31)
    # Age >= low  ⇔  born on or before today minus `low` years; age <= high ⇔ born after today minus high+1 years.
    latest = _years_before(today, low)
    earliest = _years_before(today, high + 1) + dt.timedelta(days=1)
    return earliest, latest


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)
