"""Signals that a visit may not have happened as recorded. They inform a reviewer; they never block.

Each rule looks at facts gathered when the record arrives:

- far_from_home: a home visit checked in more than `far_m` metres from the elder's home.
- no_position: a home visit while the phone reported no position.
- short_visit: a home visit submitted less than `min_minutes` after check-in.
- odd_hour: a visit at night (before `day_starts` or from `day_ends` o'clock, Asia/Shanghai).
- photo_reused: a photo whose perceptual hash matches one sent for another elder.
- too_far_apart: the same visitor "home visiting" another elder so far away, so close in time, that
  getting there would need more than `speed_kmh` (only when more than `apart_km` apart).

Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tanfang.core.time import LOCAL_TZ


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float


def distance_m(a: Position, b: Position) -> float:
    """Great-circle distance in metres (haversine, mean earth radius)."""
    radius = 6_371_008.8
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    d_phi = phi2 - phi1
    d_lambda = math.radians(b.longitude - a.longitude)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * radius * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Rules:
    far_m: int = 500
    min_minutes: int = 5
    day_starts: int = 7
    day_ends: int = 21
    speed_kmh: int = 60
    apart_km: float = 2.0
    window_minutes: int = 120


@dataclass(frozen=True)
class VisitFacts:
    home_visit: bool
    occurred_at: dt.datetime
    submitted_at: dt.datetime
    checkin_at: dt.datetime | None = None
    position: Position | None = None
    home: Position | None = None


@dataclass(frozen=True)
class OtherVisit:
    """Another home visit by the same visitor to another elder, near in time."""

    visit_id: int
    occurred_at: dt.datetime
    place: Position | None  # where it was checked in, else that elder's home


@dataclass(frozen=True)
class Flag:
    code: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.detail}


def check(
    facts: VisitFacts,
    *,
    others: list[OtherVisit] = (),  # type: ignore[assignment]
    reused_photo_visits: list[int] = (),  # type: ignore[assignment]
    rules: Rules | None = None,
) -> list[Flag]:
    rules = rules or Rules()
    flags: list[Flag] = []
    if facts.home_visit:
        if facts.position is None:
            flags.append(Flag("no_position"))
        elif facts.home is not None:
            metres = distance_m(facts.position, facts.home)
            if metres > rules.far_m:
                flags.append(Flag("far_from_home", {"metres": round(metres)}))
        if facts.checkin_at is not None:
            minutes = (facts.submitted_at - facts.checkin_at).total_seconds() / 60
            if 0 <= minutes < rules.min_minutes:
                flags.append(Flag("short_visit", {"minutes": round(minutes, 1)}))
    hour = facts.occurred_at.astimezone(LOCAL_TZ).hour
    if hour < rules.day_starts or hour >= rules.day_ends:
        flags.append(Flag("odd_hour", {"time": facts.occurred_at.astimezone(LOCAL_TZ).strftime("%H:%M")}))
    if reused_photo_visits:
        flags.append(Flag("photo_reused", {"visits": sorted(set(reused_photo_visits))}))
    here = facts.position or facts.home
    if facts.home_visit and here is not None:
        for other in others:
            if other.place is None:
                continue
            km = distance_m(here, other.place) / 1000
            hours = abs((facts.occurred_at - other.occurred_at).total_seconds()) / 3600
            if km > rules.apart_km and (hours == 0 or km / hours > rules.speed_kmh):
                flags.append(
                    Flag(
                        "too_far_apart",
                        {"visit": other.visit_id, "km": round(km, 1), "minutes": round(hours * 60)},
                    )
                )
                break
    return flags


def flag_message(flag: dict[str, Any]) -> str:
    """A stored flag as a reviewer reads it."""
    code = flag.get("code")
    if code == "far_from_home":
        return _("签到位置距老人住址%(metres)s米") % flag
    if code == "no_position":
        return _("上门探访但手机未报告位置")
    if code == "short_visit":
        return _("签到到提交仅%(minutes)s分钟") % flag
    if code == "odd_hour":
        return _("探访时间为%(time)s（夜间）") % flag
    if code == "photo_reused":
        return _("照片与其他老人的探访记录相同（记录 %(ids)s）") % {
            "ids": "、".join(str(v) for v in flag.get("visits", []))
        }
    if code == "too_far_apart":
        return _("同一探访人员%(minutes)s分钟内在相距%(km)s公里的另一老人家中（记录 %(visit)s）") % flag
    return str(code)
