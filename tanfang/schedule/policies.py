"""The visit policy that applies where an elder lives, and the surges around a day.

`PolicyBook` holds every region's policy, inherited down the tree and only ever tightened
(`due.tighten`); `current_policies()` keeps one per process until a policy changes (the change bumps
POLICIES, see core.generations). `SurgeBook` holds the festival and weather windows around a day.
"""

from __future__ import annotations

import datetime as dt

from tanfang.core.generations import Cached
from tanfang.regions.paths import path_prefixes
from tanfang.schedule import due
from tanfang.schedule.festivals import festivals_for
from tanfang.schedule.models import RegionFestival, RegionPolicy, WeatherEvent


def _policy_of(row: RegionPolicy) -> due.Policy:
    methods = {
        due.HOME: row.count_home,
        due.PHONE: row.count_phone,
        due.VIDEO: row.count_video,
        due.OTHER: row.count_other,
    }
    return due.Policy(
        monthly_contacts=row.monthly_contacts,
        counted_methods=frozenset(m for m, on in methods.items() if on),
        disabled_home_visit_months=row.disabled_home_visit_months,
        high_risk_interval_days=row.high_risk_interval_days,
        when_away=due.WhenAway.PAUSED if row.pause_when_away else due.WhenAway.REMOTE_COUNTS,
        count_declined=row.count_declined,
    )


class PolicyBook:
    """Policies by region path, inherited down the tree and only ever tightened; cached per batch."""

    def __init__(self) -> None:
        self._rows = {row.region_path: row for row in RegionPolicy.objects.all()}
        self._cache: dict[str, due.Policy] = {}

    def policy(self, path: str) -> due.Policy:
        if path not in self._cache:
            policy = due.Policy()
            for prefix in path_prefixes(path):
                row = self._rows.get(prefix)
                if row is not None:
                    policy = due.tighten(policy, _policy_of(row))
            self._cache[path] = policy
        return self._cache[path]

    def festival_settings(self, path: str) -> tuple[int, int, frozenset[str]]:
        """Days before and after a festival, and the groups to contact (the nearest region that sets them)."""
        before, after, groups = 7, 0, frozenset[str]()
        for prefix in path_prefixes(path):
            row = self._rows.get(prefix)
            if row is not None:
                before, after = row.festival_window_before, row.festival_window_after
                groups = frozenset(g for g in row.festival_groups.split(",") if g)
        return before, after, groups


POLICIES = "policies"
_current_policies = Cached(POLICIES, PolicyBook)


def current_policies() -> PolicyBook:
    """The policy book as it is now, kept in this process until a policy changes (see core.generations)."""
    return _current_policies.get()


class SurgeBook:
    """Festival and weather surges around a day, by region path; cached per batch."""

    def __init__(self, today: dt.date, policies: PolicyBook) -> None:
        self.today = today
        self.policies = policies
        horizon = today - dt.timedelta(days=due.SURGE_OVERDUE_DAYS + 40)
        self._festivals = list(RegionFestival.objects.filter(active=True))
        self._weather = list(
            WeatherEvent.objects.filter(ends_on__gte=horizon, starts_on__lte=today + dt.timedelta(days=1))
        )
        self._cache: dict[str, list[due.Surge]] = {}

    def surges(self, path: str) -> list[due.Surge]:
        if path in self._cache:
            return self._cache[path]
        before, after, groups = self.policies.festival_settings(path)
        found: list[due.Surge] = []
        for year in {self.today.year - 1, self.today.year, self.today.year + 1}:
            for festival in festivals_for(year, path, self._festivals):
                start = festival.day - dt.timedelta(days=before)
                end = festival.day + dt.timedelta(days=after)
                if start <= self.today <= end + dt.timedelta(days=due.SURGE_OVERDUE_DAYS):
                    found.append(
                        due.Surge(
                            f"festival:{festival.code}:{festival.day.year}",
                            "festival",
                            festival.name,
                            start,
                            end,
                            groups,
                        )
                    )
        prefixes = set(path_prefixes(path))
        for event in self._weather:
            if event.region_path in prefixes:
                found.append(
                    due.Surge(
                        f"weather:{event.pk}",
                        "weather",
                        event.get_kind_display(),
                        event.starts_on,
                        event.ends_on,
                        frozenset(g for g in event.groups.split(",") if g),
                    )
                )
        self._cache[path] = found
        return found
