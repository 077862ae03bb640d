"""Tests marked `postgresql` (a real worker process opens the test database) run on PostgreSQL only.

On SQLite the test database is in memory, out of any other process's reach: those tests are
deselected there (reported as deselected, not skipped), and .ci/run's PostgreSQL step runs them.
"""

from __future__ import annotations

import pytest
from django.conf import settings


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    needs_postgresql = [item for item in items if item.get_closest_marker("postgresql")]
    if needs_postgresql:
        config.hook.pytest_deselected(items=needs_postgresql)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]
