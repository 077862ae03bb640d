"""Benchmark: how fast the demo generator fills PostgreSQL with elders, and region import speed.

Usage (creates and drops its own database):
    .venv/bin/python bench/seed_elders.py --elders 1000000 [--database tanfang_bench]
Prints rows per second for `seed_demo --elders N` and seconds for `import_regions --province 41`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--database", default="tanfang_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    admin = f"postgresql://postgres@{args.host}:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = f"postgres://postgres@{args.host}:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("TANFANG_DB_STATEMENT_TIMEOUT_MS", "0")  # seeding and scans run long on purpose

    import django

    django.setup()
    from django.core.management import call_command

    from tanfang.devtools.demo import seed_demo
    from tanfang.regions.services import import_regions_from_package

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    summary = import_regions_from_package(actor=None, province="41")
    region_seconds = time.perf_counter() - started
    print(f"import_regions --province 41: {summary.created} regions in {region_seconds:.1f} s")

    result = seed_demo(elders=args.elders)
    rate = result.elders_created / result.elder_seconds
    from tanfang.devtools.demo_elders import ELDER_CHILD_MODELS

    child_rows = sum(model._default_manager.count() for model in ELDER_CHILD_MODELS)
    total = result.elders_created + child_rows
    print(
        f"seed_demo --elders {args.elders}: {result.elders_created:,} elders in {result.elder_seconds:.1f} s "
        f"= {rate:,.0f} elders/s; with their {child_rows:,} rows of groups, contacts, household, "
        f"supporters, benefits, assistance and status history: {total / result.elder_seconds:,.0f} rows/s"
    )

    if not args.keep:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}"')


if __name__ == "__main__":
    main()
