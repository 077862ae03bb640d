"""What every benchmark shares: a scratch PostgreSQL database and the p95 of timings."""

from __future__ import annotations

import os
import statistics

import psycopg

SERVER = "postgresql://postgres@127.0.0.1:5432"


def p95(samples: list[float]) -> float:
    """The 95th percentile of timings in seconds, in milliseconds."""
    return statistics.quantiles(samples, n=20)[-1] * 1000


def use_scratch_database(name: str) -> None:
    """Create the database afresh and point Django at it (call before django.setup())."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    use_existing_database(name)


def drop_scratch_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def use_existing_database(name: str) -> None:
    """Point Django at a database an earlier `--keep` run left (call before django.setup())."""
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("TANFANG_DB_STATEMENT_TIMEOUT_MS", "0")  # seeding and scans run long on purpose
    os.environ.setdefault("TANFANG_STATIC_MANIFEST", "0")  # pages render without collectstatic
