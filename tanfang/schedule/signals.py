"""Keep each elder's stored due state current when a visit or a status change is saved one by one.

Bulk loads (imports, demo data, benchmarks) bypass signals and recompute explicitly.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tanfang.schedule.services import refresh_due


def refresh_after_commit(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    elder_id = instance.elder_id
    transaction.on_commit(lambda: refresh_due([elder_id]))
