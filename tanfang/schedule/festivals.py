"""Traditional festivals for any year, computed from the Chinese lunisolar calendar.

春节, 元宵, 端午, 中秋 and 重阳 fall on fixed days of lunar months; 清明 is a solar term (the
sun at 15° ecliptic longitude), so it moves between 4 and 6 April. The conversion is done by
`lunar_python`, which computes new moons and solar terms astronomically for Beijing time.
Regions add their own festivals on fixed solar dates (e.g. 敬老月 activities on 1 October).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.utils.translation import gettext as _
from lunar_python import Lunar, Solar  # type: ignore[import-untyped]

from tanfang.schedule.models import RegionFestival

# The modern calendar's rules (Beijing time, 120°E) hold from 1929; lunar_python follows them
# for any year, but before 1900 and far ahead nobody can check the answers against an almanac.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2199


class YearOutOfRange(ValueError):
    def __init__(self, year: int) -> None:
        self.message = _("年份应在 %(low)d 到 %(high)d 之间，实际为 %(year)d") % {
            "low": EARLIEST_YEAR,
            "high": LATEST_YEAR,
            "year": year,
        }
        super().__init__(self.message)


@dataclass(frozen=True, order=True)
class Festival:
    day: dt.date
    code: str
    name: str


# (code, Chinese name, lunar month, lunar day)
_LUNAR_FESTIVALS = (
    ("spring", "春节", 1, 1),
    ("lantern", "元宵节", 1, 15),
    ("dragon_boat", "端午节", 5, 5),
    ("mid_autumn", "中秋节", 8, 15),
    ("double_ninth", "重阳节", 9, 9),
)


def _solar(lunar_year: int, month: int, day: int) -> dt.date:
    solar = Lunar.fromYmd(lunar_year, month, day).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def qingming(year: int) -> dt.date:
    """清明: the day of the solar term in April of that year."""
    term = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"]
    return dt.date(term.getYear(), term.getMonth(), term.getDay())


def traditional_festivals(year: int) -> list[Festival]:
    return list(_traditional_festivals(year))


@functools.lru_cache(maxsize=512)
def _traditional_festivals(year: int) -> tuple[Festival, ...]:
    """The six traditional festivals falling in the Gregorian `year`, in date order.

    A lunar festival is taken from the lunar year that puts it inside `year`; every one of them
    falls between late January and November, so that is the lunar year of the same number.
    """
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise YearOutOfRange(year)
    festivals = [Festival(_solar(year, month, day), code, name) for code, name, month, day in _LUNAR_FESTIVALS]
    festivals.append(Festival(qingming(year), "qingming", "清明节"))
    return tuple(sorted(festivals))


def festivals_for(
    year: int, region_path: str | None = None, region_festivals: list[RegionFestival] | None = None
) -> list[Festival]:
    """The traditional festivals plus the solar ones added by the region at `region_path` or above it.

    A festival on 29 February is kept only in leap years. `region_festivals`, when given, are all
    the active rows (loaded once by a caller handling many regions).
    """
    festivals = traditional_festivals(year)
    if region_path:
        prefixes = {region_path[: i + 1] for i, char in enumerate(region_path) if char == "/"}
        rows = (
            region_festivals
            if region_festivals is not None
            else list(RegionFestival.objects.filter(region_path__in=prefixes, active=True))
        )
        for extra in sorted((r for r in rows if r.region_path in prefixes), key=lambda r: (r.month, r.day)):
            try:
                day = dt.date(year, extra.month, extra.day)
            except ValueError:
                continue
            festivals.append(Festival(day, f"region:{extra.pk}", extra.name))
    return sorted(festivals)
