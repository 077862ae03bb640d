"""Fast inserts of many rows: COPY on PostgreSQL, batched INSERTs elsewhere.

`bulk_create` spends most of its time building SQL for wide rows; COPY skips that. Ids are
taken from the table's sequence first, so rows that point at the new ones can follow in the
same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` ids from the model's id sequence (PostgreSQL)."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """COPY rows (values in the order of `columns`) into the model's table (PostgreSQL)."""
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor
        with raw.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _value(field: models.Field[Any, Any], instance: models.Model) -> object:
    value = field.pre_save(instance, add=True)  # fills auto_now / auto_now_add
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False)
    return value


def insert_instances(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """Insert unsaved instances and give each its id, like bulk_create but much faster on PostgreSQL."""
    if not instances:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(instances, batch_size=1000)
        return
    for instance, pk in zip(instances, reserve_ids(model, len(instances)), strict=True):
        instance.pk = pk
    fields = list(model._meta.concrete_fields)
    copy_rows(model, [f.column for f in fields], ([_value(f, i) for f in fields] for i in instances))
    for instance in instances:
        instance._state.adding = False


DENSE_FROM = 200  # below this many ids an IN list is cheap enough


def among(field: str, ids: Sequence[int]) -> models.Q:
    """A filter on `field` matching at least these ids: an IN list for a few, and for many ids that lie
    close together (a slice of a region's elders in id order) the range from the least to the greatest.

    An IN list of thousands of ids costs more to build and parse than the rows it finds; the range reads
    the same index in one sweep. It may also match ids in between that were not asked for: callers keep
    only the rows of the ids they asked for.
    """
    if len(ids) >= DENSE_FROM:
        low, high = min(ids), max(ids)
        if high - low < 4 * len(ids):
            return models.Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return models.Q(**{f"{field}__in": ids})
