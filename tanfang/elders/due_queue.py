"""The due-refresh queue: THE one way a change tells the schedule that what an elder owes may differ.

Every change to an input of `schedule/due.py` calls `queue_due_refresh` in the transaction that makes
the change, whether it comes from a page, the API or an import:

- a visit stored, reviewed or rejected (`records.services`);
- an elder registered, imported, merged, corrected, or a change of status, risk level, groups,
  willingness, registration date or village (`elders.services`, `elders.importing`);
- a pairing opened, ended or handed over (`visitors.services`);
- a region's policy changed or a weather event declared (`schedule.services`: the region's subtree).

No model signal does this: a write that does not call it leaves the schedule stale, and the tests of
each kind of change (`tanfang/tests/test_due_inputs.py`) fail. The queue is drained by the schedule
(`schedule.services.refresh_queued`, `drain_due_queue`): readers drain their own part before they read,
a periodic job drains the rest every few seconds.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import connection

from tanfang.core.time import now
from tanfang.elders.models import DueRefresh, RegionDueRefresh

# Fields of the elder whose change alters what the elder owes (due.ElderFacts and the policy that applies).
DUE_INPUTS = frozenset({"status", "status_since", "risk_level", "groups", "willingness", "registered_on", "region_id"})


def alters_due(changes: Iterable[str]) -> bool:
    """Whether a change of these elder fields (audit-style names) can change what the elder owes."""
    return not DUE_INPUTS.isdisjoint(changes)


class NotInTransaction(RuntimeError):
    """Queued outside a transaction: the queue entry could commit without the change, or the other way round."""


def queue_due_refresh(*, elder_ids: Iterable[int] = (), region_path: str | None = None) -> None:
    """Mark these elders' due states (or every elder under `region_path`) stale, in the caller's transaction.

    One statement per call. Queued again before a drain finished, an entry gets a new token and stays
    queued, so the change made meanwhile is not lost. Raises NotInTransaction outside a transaction.
    """
    if not connection.in_atomic_block:
        raise NotInTransaction("queue_due_refresh must run inside the transaction of the change")
    ids = sorted(set(elder_ids))
    token, moment = secrets.randbits(62), now()
    if ids:
        table = connection.ops.quote_name(DueRefresh._meta.db_table)
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            marks = ", ".join(["%s"] * len(chunk))  # placeholders only: the ids are parameters
            sql = (
                f"INSERT INTO {table} (elder_id, region_path, token, queued_at) "  # noqa: S608 - placeholders only
                f"SELECT id, region_path, %s, %s FROM elders_elder WHERE id IN ({marks}) "
                "ON CONFLICT (elder_id) DO UPDATE SET token = excluded.token, queued_at = excluded.queued_at, "
                "region_path = excluded.region_path"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [token, moment, *chunk])
    if region_path is not None:
        RegionDueRefresh.objects.bulk_create(
            [RegionDueRefresh(region_path=region_path, token=token, queued_at=moment)],
            update_conflicts=True,
            unique_fields=["region_path"],
            update_fields=["token", "queued_at"],
        )
