"""Per-process caches of rarely changed data that never serve a stale copy.

Each kind of data has a row in `core_generation` (model `Generation`) holding a random token. Every change replaces the
token (the service that changes the data calls `bump` in its transaction, so a rollback undoes it too). A
cache compares the token with the one it was built under, one primary-key read, and rebuilds when
they differ. A missing row (a new or flushed database) gets a fresh token, so it never matches
anything built before. Tokens are random rather than counters, so a rolled-back change can never
make an old copy look current.

Writes that bypass those services (bulk updates, raw SQL, data migrations) must call `bump` themselves.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import connection

T = TypeVar("T")


def _new_token() -> int:
    return secrets.randbits(62)


def current(name: str) -> int:
    """The token of this kind of data now, creating it when there is none."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM core_generation WHERE name = %s", [name])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                "INSERT INTO core_generation (name, token) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                [name, _new_token()],
            )
            cursor.execute("SELECT token FROM core_generation WHERE name = %s", [name])
            row = cursor.fetchone()
    return int(row[0])


def bump(name: str) -> None:
    """Mark this kind of data changed: every process rebuilds what it keeps of it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_generation (name, token) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET token = excluded.token",
            [name, _new_token()],
        )


class Cached(Generic[T]):
    """A value built from the database, kept in this process while its data's token is unchanged."""

    def __init__(self, name: str, build: Callable[[], T]) -> None:
        self.name = name
        self._build = build
        self._lock = threading.Lock()
        self._kept: tuple[str, int, T] | None = None

    def get(self) -> T:
        token = current(self.name)
        database = str(connection.settings_dict.get("NAME"))
        kept = self._kept
        if kept is not None and kept[0] == database and kept[1] == token:
            return kept[2]
        value = self._build()
        with self._lock:
            self._kept = (database, token, value)
        return value

    def clear(self) -> None:
        self._kept = None
