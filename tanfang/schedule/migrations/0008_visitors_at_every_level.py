"""Visitors active are kept per region at every level (a count of rows), not per village only (a distinct
count over the subtree): the village rows stored so far are added to the regions above them."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import migrations


def _above(path: str) -> list[str]:
    """'410000/410800/410823/' → ['410000/', '410000/410800/']: the regions above (regions.paths, frozen here)."""
    prefixes = [path[: i + 1] for i, char in enumerate(path) if char == "/"]
    return prefixes[:-1]


def spread_up(apps: Any, schema_editor: Any) -> None:
    VisitorMonth = apps.get_model("schedule", "VisitorMonth")
    added: Counter[tuple[int, Any, str]] = Counter()
    for visitor_id, month, path, rows in VisitorMonth.objects.filter(rows__gt=0).values_list(
        "visitor_id", "month", "region_path", "rows"
    ):
        for up in _above(path):
            added[(visitor_id, month, up)] += rows
    VisitorMonth.objects.bulk_create(
        [VisitorMonth(visitor_id=v, month=m, region_path=p, rows=n) for (v, m, p), n in sorted(added.items())],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("schedule", "0007_elder_due_keeps_deadlines_only")]

    # Backwards, the rows above are left: the old distinct count over a subtree finds the same visitors.
    operations = [migrations.RunPython(spread_up, migrations.RunPython.noop)]
