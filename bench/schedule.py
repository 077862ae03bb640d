"""Benchmark: the visit schedule on PostgreSQL.

Usage (creates and drops its own database):
    .venv/bin/python bench/schedule.py [--elders 1000000] [--visits-per-elder 12]

Spreads the elders over 20 counties of Henan (about 50,000 each), gives one visitor 40 of them and
every elder about 12 visits over the past year, then prints the time to recompute everyone's due
state, a visitor's work list p95, and the p95 of the not-visited list of the county nearest 50,000
elders and of its townships.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_scratch_database, p95, use_scratch_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--visits-per-elder", type=int, default=12, help="on average, over the past year")
    parser.add_argument("--counties", type=int, default=20, help="spread the elders over this many counties")
    parser.add_argument("--database", default="tanfang_bench_schedule")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    use_scratch_database(args.database)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tanfang.core.bulk import copy_rows, reserve_ids
    from tanfang.core.roles import RegionLevel, Role
    from tanfang.core.time import LOCAL_TZ, local_today
    from tanfang.devtools.demo import seed_demo, seed_elders
    from tanfang.devtools.factories import make_user
    from tanfang.elders.models import Elder
    from tanfang.regions.models import Region
    from tanfang.regions.services import import_regions_from_package
    from tanfang.schedule.services import run_recompute, start_recompute
    from tanfang.visitors.models import Pairing, Visitor
    from tanfang.visits.models import Visit

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    seed_demo(elders=0)
    demo_county = Region.objects.get(code="410823")
    others = [
        r.code
        for r in Region.objects.filter(level=RegionLevel.COUNTY, code__startswith="41", name__endswith="县")
        .exclude(code=demo_county.code)
        .order_by("code")[: args.counties - 1]
    ]
    for code in others:
        import_regions_from_package(actor=None, county=code)
    seed_elders(count=args.elders, seed=2023, county=demo_county, also=list(Region.objects.filter(code__in=others)))
    print(f"seeded {args.elders:,} elders in {args.counties} counties in {time.perf_counter() - t0:.0f} s")

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
            slots = args.visits_per_elder + 1
            for back in range(slots):
                if rng.random() < 1 / slots:
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
                    False,
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
            "rejected",
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

    sizes = {
        code: Elder.objects.filter(region_path__startswith=Region.objects.get(code=code).path).count()
        for code in [demo_county.code, *others]
    }
    print("elders per county: " + ", ".join(f"{code} {n:,}" for code, n in sorted(sizes.items())))
    county = Region.objects.get(code=min(sizes, key=lambda code: abs(sizes[code] - 50_000)))
    province = Region.objects.get(code="410000")
    t0 = time.perf_counter()
    job = run_recompute(start_recompute(region_path=province.path))
    print(f"recompute every elder's due state: {job.total:,} elders in {time.perf_counter() - t0:.0f} s")

    sample = rng.sample([row[0] for row in visitor_rows if str(row[9]).startswith(county.path)], 60)
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

    officer = make_user("bench_officer", Role.COUNTY_OFFICER, [county])
    client.force_login(officer)
    towns = list(Region.objects.filter(parent=county).values_list("code", flat=True))
    samples = []
    for i in range(40):
        code = county.code if i % 2 == 0 else rng.choice(towns)
        t1 = time.perf_counter()
        response = client.get(f"/schedule/{code}/", {"page": str(rng.randint(1, 5))})
        samples.append(time.perf_counter() - t1)
        assert response.status_code == 200
    print(
        f"not-visited list of county {county.code} ({sizes[county.code]:,} elders) or one of its townships: "
        f"p95 {p95(samples):.0f} ms"
    )

    if not args.keep:
        drop_scratch_database(args.database)


if __name__ == "__main__":
    main()
