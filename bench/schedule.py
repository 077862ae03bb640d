"""Benchmark: the visit schedule on PostgreSQL.

Usage (creates and drops its own database):
    .venv/bin/python bench/schedule.py [--elders 1000000] [--visits-per-elder 12]

Seeds the demo county with elders, one visitor per 40 elders, a year of visits, then prints the
full recomputation time, a visitor's work list p95 and the not-visited list of the county p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--visits-per-elder", type=int, default=12)
    parser.add_argument("--database", default="tanfang_bench_schedule")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("TANFANG_STATIC_MANIFEST", "0")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tanfang.accounts.models import User
    from tanfang.core.bulk import copy_rows, reserve_ids
    from tanfang.core.roles import Role
    from tanfang.core.time import LOCAL_TZ, local_today
    from tanfang.devtools.demo import seed_demo
    from tanfang.devtools.factories import make_user
    from tanfang.elders.models import Elder
    from tanfang.regions.models import Region
    from tanfang.schedule.services import run_recompute, start_recompute
    from tanfang.visitors.models import Pairing, Visitor
    from tanfang.visits.models import Visit

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    seed_demo(elders=args.elders)
    print(f"seeded {args.elders:,} elders in {time.perf_counter() - t0:.0f} s")

    today = local_today()
    rng = random.Random(4)
    t0 = time.perf_counter()
    elders = list(
        Elder.objects.order_by("region_path", "id").values_list("pk", "region_id", "region_path", "registered_on")
    )
    villages = {r.code: r for r in Region.objects.filter(code__in={e[1] for e in elders})}
    visitors: list[int] = []
    pairing_rows = []
    visit_count = 0
    per_visitor = 40
    visitor_ids = reserve_ids(Visitor, len(elders) // per_visitor + len(villages) + 1)
    visitor_rows = []
    current: tuple[str, int, int] | None = None  # village, visitor id, load
    for pk, village, path, registered in elders:
        if current is None or current[0] != village or current[2] >= per_visitor:
            vid = visitor_ids[len(visitors)]
            visitors.append(vid)
            visitor_rows.append(
                (
                    vid,
                    f"网格员{vid}",
                    "grid_worker",
                    "",
                    "",
                    per_visitor + 5,
                    True,
                    None,
                    village,
                    villages[village].path,
                    dt.datetime.now(dt.UTC),
                )
            )
            current = (village, vid, 0)
        pairing_rows.append((pk, current[1], "primary", registered, None, "", village, path))
        current = (current[0], current[1], current[2] + 1)
    copy_rows(
        Visitor,
        [
            "id",
            "name",
            "kind",
            "organisation",
            "phone",
            "capacity",
            "active",
            "user_id",
            "region_id",
            "region_path",
            "created_at",
        ],
        visitor_rows,
    )
    copy_rows(
        Pairing,
        ["elder_id", "visitor_id", "role", "started_on", "ended_on", "end_reason", "region_id", "region_path"],
        pairing_rows,
    )

    def visit_rows() -> Iterator[tuple[object, ...]]:
        nonlocal visit_count
        moment_base = dt.datetime.now(dt.UTC)
        for (pk, village, path, registered), pairing in zip(elders, pairing_rows, strict=True):
            for back in range(args.visits_per_elder):
                if rng.random() < 0.1:
                    continue  # a missed month
                day = today - dt.timedelta(days=30 * back + rng.randrange(28))
                if day < registered:
                    continue
                visit_count += 1
                yield (
                    pk,
                    pairing[1],
                    "home" if rng.random() < 0.6 else "phone",
                    "visited",
                    dt.datetime(day.year, day.month, day.day, 10, tzinfo=LOCAL_TZ),
                    day,
                    30,
                    "",
                    uuid.UUID(int=rng.getrandbits(128)),
                    None,
                    village,
                    path,
                    moment_base,
                )

    copy_rows(
        Visit,
        [
            "elder_id",
            "visitor_id",
            "method",
            "outcome",
            "occurred_at",
            "day",
            "minutes",
            "note",
            "client_id",
            "recorded_by_id",
            "region_id",
            "region_path",
            "created_at",
        ],
        visit_rows(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{len(visitors):,} visitors, {len(pairing_rows):,} pairings, {visit_count:,} visits "
        f"in {time.perf_counter() - t0:.0f} s"
    )

    county = Region.objects.get(code="410823")
    t0 = time.perf_counter()
    job = run_recompute(start_recompute(region_path=county.path))
    print(f"recompute every elder's due state: {job.total:,} elders in {time.perf_counter() - t0:.0f} s")

    sample = rng.sample(visitors, 60)
    user = make_user("bench_visitor", Role.VISITOR, [county])
    client = Client()
    client.force_login(user)
    samples = []
    for vid in sample:
        Visitor.objects.filter(user=user).update(user=None)
        Visitor.objects.filter(pk=vid).update(user=user)
        t1 = time.perf_counter()
        response = client.get("/api/v1/worklist")
        samples.append(time.perf_counter() - t1)
        assert response.status_code == 200 and response.json(), response.content[:200]
    print(f"a visitor's work list (API, ~{per_visitor} elders): p95 {p95(samples):.0f} ms over {len(samples)}")

    officer = User.objects.get(username="wuzhi")
    client.force_login(officer)
    towns = list(Region.objects.filter(parent=county).values_list("code", flat=True))
    samples = []
    for i in range(40):
        code = "410823" if i % 2 == 0 else rng.choice(towns)
        t1 = time.perf_counter()
        response = client.get(f"/schedule/{code}/", {"page": str(rng.randint(1, 5))})
        samples.append(time.perf_counter() - t1)
        assert response.status_code == 200
    print(f"not-visited list of the county ({args.elders:,} elders) or a township: p95 {p95(samples):.0f} ms")

    if not args.keep:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}"')


if __name__ == "__main__":
    main()
