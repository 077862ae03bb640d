"""Benchmark: the registry on PostgreSQL with a million elders.

Usage (creates and drops its own database):
    .venv/bin/python bench/registry.py [--elders 1000000] [--import-rows 100000]

Prints p95 of the elder list page with filters, of exact search by ID number, and the time
and peak memory of importing a generated roster (validate + commit).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import p95


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--database", default="tanfang_bench_registry")
    parser.add_argument("--import-county", default="410883", help="county code of the imported ID numbers")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use a database kept by an earlier run")
    args = parser.parse_args()

    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    if not args.reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
            conn.execute(f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("TANFANG_DB_STATEMENT_TIMEOUT_MS", "0")  # seeding and scans run long on purpose
    os.environ.setdefault("TANFANG_STATIC_MANIFEST", "0")  # pages render without collectstatic

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tanfang.accounts.models import User
    from tanfang.core.crypto import field_cipher
    from tanfang.devtools.demo import seed_demo
    from tanfang.elders.importing import commit_import, preview_import
    from tanfang.elders.models import ID_NUMBER_CONTEXT, Elder
    from tanfang.elders.tests.files import roster_csv

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if not args.reuse:
        seed_demo(elders=args.elders)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"setup: {Elder.objects.count():,} elders ready in {time.perf_counter() - started:.0f} s")

    officer = User.objects.get(username="wuzhi")
    client = Client()
    client.force_login(officer)
    rng = random.Random(1)
    villages = list(Elder.objects.values_list("region_id", flat=True).distinct()[:50])
    queries = [
        {},
        {"group": "disabled"},
        {"status": "away"},
        {"age_band": "80+"},
        {"q": "王"},
        {"q": "秦秀英"},
        {"q": "欧阳"},
        {"region": "410823001000", "group": "living_alone"},
    ]
    samples: list[float] = []
    for i in range(120):
        params = dict(queries[i % len(queries)])
        if i % 5 == 4:
            params["region"] = rng.choice(villages)
        if i % 7 == 6:
            params["page"] = str(rng.randint(2, 20))
        t0 = time.perf_counter()
        response = client.get("/elders/", params)
        samples.append(time.perf_counter() - t0)
        assert response.status_code == 200
    print(f"elder list page with filters: p95 {p95(samples):.0f} ms over {len(samples)} requests")

    cipher = field_cipher()
    tokens = list(Elder.objects.order_by("?").values_list("id_number_cipher", flat=True)[:100])
    numbers = [cipher.decrypt(bytes(t), context=ID_NUMBER_CONTEXT) for t in tokens]
    samples = []
    for number in numbers:
        t0 = time.perf_counter()
        response = client.get("/api/v1/elders", {"q": number})
        samples.append(time.perf_counter() - t0)
        assert len(response.json()["items"]) == 1
    print(f"exact search by ID number (API): p95 {p95(samples):.1f} ms over {len(samples)} searches")

    # A new roster for a neighbouring county's worth of people, in the demo county's villages.
    from tanfang.core.id_numbers import make_citizen_id

    rows = []
    day = dt.date(1930, 1, 1)
    for i in range(args.import_rows):
        birth = day + dt.timedelta(days=i // 400)
        number = make_citizen_id(args.import_county, birth, (i % 400) * 2 + 1)  # none of these are seeded
        rows.append((f"导入{i}", number, rng.choice(villages), "独居"))
    content = roster_csv(rows)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    batch = preview_import(actor=officer, content=content, file_name="roster.csv", source="civil_affairs")
    t1 = time.perf_counter()
    assert batch.state == "previewed", batch.errors[:3]
    result = commit_import(actor=officer, batch=batch)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"import {args.import_rows:,} rows ({len(content) / 1e6:.1f} MB CSV): validate {t1 - t0:.1f} s + "
        f"commit {t2 - t1:.1f} s = {t2 - t0:.1f} s; created {result.created:,}; "
        f"peak RSS {peak / 1024:.0f} MB (was {before / 1024:.0f} MB before the import)"
    )

    if not args.keep:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}"')


if __name__ == "__main__":
    main()
