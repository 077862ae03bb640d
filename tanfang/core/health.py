"""Health of the database and the background processes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from tanfang.core.models import Heartbeat
from tanfang.core.time import now

STALE_AFTER = dt.timedelta(minutes=5)


def beat(name: str) -> None:
    """Record that a background process is alive. Not audited: it changes no user data."""
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": now()})


def health_report() -> tuple[bool, dict[str, Any]]:
    """Return (database ok, details) for /healthz; stale workers are reported, not fatal."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 — any database failure means unhealthy
        return False, {"database": "unavailable"}
    moment = now()
    workers = {
        h.name: {"seen_at": h.seen_at.isoformat(), "stale": moment - h.seen_at > STALE_AFTER}
        for h in Heartbeat.objects.all()
    }
    return True, {"database": "ok", "background": workers}
