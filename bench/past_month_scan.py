"""The baseline the month facts replaced: a past month's figures computed by scanning every elder's
visits with due.py (what `schedule.selectors._past_month` did before issue 15). Kept here, outside the
application, only so that bench/figures.py can print how much faster the facts are.
"""

from __future__ import annotations

import datetime as dt

from tanfang.core.scope import Actor
from tanfang.elders.models import Elder
from tanfang.schedule import due
from tanfang.schedule.months import load_activity
from tanfang.schedule.policies import PolicyBook
from tanfang.schedule.selectors import schedule_region_for
from tanfang.schedule.services import LOOKBACK_DAYS, load_facts


def past_month_by_scanning(actor: Actor, code: str, year: int, month: int) -> tuple[int, int]:
    """(to be visited, visited) of a region's past month, from the visits, elder by elder."""
    region = schedule_region_for(actor, code)
    _first, last = due.month_bounds(year, month)
    ids = list(
        Elder.objects.filter(region_path__startswith=region.path, registered_on__lte=last, merged_into__isnull=True)
        .order_by("region_path", "id")
        .values_list("pk", flat=True)
    )
    policies = PolicyBook()
    denominator = visited = 0
    reference = last + dt.timedelta(days=1)
    for start in range(0, len(ids), 2000):
        batch = ids[start : start + 2000]
        visits = load_activity(batch, reference - dt.timedelta(days=LOOKBACK_DAYS), visits_only=True)
        for elder, facts, contacts in load_facts(batch, reference, visits).values():
            policy = policies.policy(elder.region_path)
            if due.in_denominator(facts, contacts, policy, year, month):
                denominator += 1
                visited += due.visited_in_month(facts, contacts, policy, year, month)
    return denominator, visited
