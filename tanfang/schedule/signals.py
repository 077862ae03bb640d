"""Keep the schedule current as data changes one row at a time.

A visit or a status change queues its elder for a due-state refresh in the same transaction (see
`services.refresh_queued`); a policy change makes every process reload its policy book. Bulk loads
(imports, demo data, benchmarks) bypass signals and recompute explicitly.
"""

from __future__ import annotations

from typing import Any

from tanfang.core.generations import bump
from tanfang.schedule.services import POLICIES, queue_due_refresh


def queue_elder(sender: Any, instance: Any, **kwargs: Any) -> None:
    queue_due_refresh([instance.elder_id])


def policies_changed(sender: Any, **kwargs: Any) -> None:
    bump(POLICIES)
