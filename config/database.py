"""The database connection settings, from DATABASE_URL and a few numbers (see config/settings.py).

PostgreSQL gets a statement timeout on every connection: a query that runs away (a bad plan,
a missing index, a page asked for a whole province) is cancelled after it, instead of holding
a web process and its locks until someone notices. Work that is long on purpose raises it for
itself: `SET LOCAL statement_timeout = …` inside its transaction, or a process started with
TANFANG_DB_STATEMENT_TIMEOUT_MS=0 (no limit), as `tanfang migrate` on a big database needs.
"""

from __future__ import annotations

from typing import Any

import dj_database_url

POSTGRESQL = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000


def database_settings(
    url: str, *, conn_max_age: int, statement_timeout_ms: int | None, server_side_binding: bool
) -> dict[str, Any]:
    """Return Django's DATABASES["default"] for the URL.

    statement_timeout_ms: 0 means no limit; None sends no setting at all, leaving the server's
    (for a connection pooler such as PgBouncer, which refuses start-up options: set it on the
    role instead, `ALTER ROLE tanfang SET statement_timeout = '30s'`).
    """
    database: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True))
    if database["ENGINE"] == POSTGRESQL:
        options: dict[str, Any] = dict(database.get("OPTIONS", {}))
        # Server-side parameters let PostgreSQL keep plans of the statements a process repeats.
        options["server_side_binding"] = server_side_binding
        if statement_timeout_ms is not None:
            given = str(options.get("options", "")).strip()
            options["options"] = f"{given} -c statement_timeout={statement_timeout_ms}".strip()
        database["OPTIONS"] = options
    if database["ENGINE"] == SQLITE:
        database["CONN_MAX_AGE"] = 0
        database["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    return database


def statement_timeout_from(value: str | None) -> int | None:
    """Read TANFANG_DB_STATEMENT_TIMEOUT_MS: unset means the default, empty means none sent."""
    if value is None:
        return DEFAULT_STATEMENT_TIMEOUT_MS
    if not value.strip():
        return None
    milliseconds = int(value)
    if milliseconds < 0:
        raise ValueError("TANFANG_DB_STATEMENT_TIMEOUT_MS 不能为负数 (must not be negative)")
    return milliseconds
