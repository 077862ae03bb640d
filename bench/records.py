"""Benchmark: recording visits and printing forms on PostgreSQL.

Usage (creates and drops its own database):
    .venv/bin/python bench/records.py [--elders 1000000] [--visits-per-elder 12] [--seconds 20]
        [--processes 2] [--batch-size 20] [--visits-total 12000000] [--keep]
    .venv/bin/python bench/records.py --reuse [...]   # measure again on the database --keep left

Seeds the demo county with elders, a paired visitor per 40 elders and a year of visits (COPY),
vacuums what it loaded, then prints:
- recording one visit through the API (validate, store, queue the elder's due-state refresh): p95,
  and the same followed by that refresh (what a reader triggers when it drains the queue);
- sustained submissions per second with several application processes (--processes) on this
  machine's cores, each submitting for its own elders after logging its visitors in; then how long
  draining the refresh queue the burst left takes;
- the same with phones uploading the records they kept offline (--batch-size at a time, each batch
  one visitor's records for its own elders), and the drain after it;
- the PDF of one record, and of a village's month of 200 records.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_scratch_database, p95, use_existing_database, use_scratch_database

ANSWERS = {
    "household_members": "same",
    "speech": "same",
    "mobility": "worse",
    "illness": {"option": "serious", "text": "高血压"},
    "mental": "same",
    "housing": "safe",
    "electricity": "safe",
    "water_gas": "fairly_safe",
    "economy": "same",
    "family_support": "same",
    "daily_care": "same",
    "needs": "希望有人帮忙买药",
}


def body(moment: dt.datetime) -> str:
    return json.dumps(
        {
            "client_id": str(uuid.uuid4()),
            "method": "phone",
            "occurred_at": moment.isoformat(),
            "answers": ANSWERS,
            "checkin": {"at": (moment - dt.timedelta(minutes=15)).isoformat()},
        }
    )


def log_in(user_ids: set[int]) -> dict[int, str]:
    """A session cookie for each user (each from its own client, so that no log-in ends another)."""
    from django.conf import settings
    from django.test import Client

    from tanfang.accounts.models import User

    sessions = {}
    for user in User.objects.filter(pk__in=user_ids):
        client = Client()
        client.force_login(user)
        sessions[user.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


def _submit_for(args: tuple[list[tuple[int, int]], float, float, str]) -> int:
    """A worker process: log its visitors in, wait for the common start, then submit until time is up."""
    pairs, start, seconds, moment_iso = args
    from django.conf import settings
    from django.db import connections
    from django.test import Client

    connections.close_all()
    moment = dt.datetime.fromisoformat(moment_iso)
    client = Client()  # one client (one set of loaded middleware) per process, as one server worker
    sessions = log_in({user_id for user_id, _elder_id in pairs})  # log-ins are not what is measured
    time.sleep(max(0.0, start - time.time()))
    done = 0
    deadline = start + seconds
    index = 0
    while time.time() < deadline:
        user_id, elder_id = pairs[index % len(pairs)]
        index += 1
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[user_id]
        response = client.post(f"/api/v1/elders/{elder_id}/visits", body(moment), content_type="application/json")
        assert response.status_code == 201, response.content[:300]
        done += 1
    connections.close_all()
    return done


def _upload_for(args: tuple[list[tuple[int, list[int]]], float, float, str, int]) -> int:
    """A worker process uploading batches: each a phone's kept records, for that visitor's own elders."""
    phones, start, seconds, moment_iso, size = args
    from django.conf import settings
    from django.db import connections
    from django.test import Client

    connections.close_all()
    moment = dt.datetime.fromisoformat(moment_iso)
    client = Client()
    sessions = log_in({user_id for user_id, _elders in phones})
    time.sleep(max(0.0, start - time.time()))
    done = 0
    deadline = start + seconds
    turn = 0
    while time.time() < deadline:
        user_id, elders = phones[turn % len(phones)]
        offset = (turn // len(phones)) * size
        turn += 1
        records = [json.loads(body(moment)) | {"elder_id": elders[(offset + k) % len(elders)]} for k in range(size)]
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[user_id]
        response = client.post("/api/v1/visits/batch", {"records": records}, content_type="application/json")
        assert response.status_code == 200 and response.json()["created"] == size, response.content[:300]
        done += size
    connections.close_all()
    return done


VISIT_COLUMNS = [
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
    "region_id",
    "region_path",
    "created_at",
]


def seed(args: argparse.Namespace, rng: random.Random) -> tuple[list[tuple[Any, ...]], dict[int, int]]:
    """The demo county with `args.elders` elders, a visitor per 40 and a year of visits; its due states."""
    from django.db import connection

    from tanfang.core.bulk import copy_rows, reserve_ids
    from tanfang.core.time import LOCAL_TZ, local_today, now
    from tanfang.devtools.demo import seed_demo, seed_elders
    from tanfang.elders.models import Elder
    from tanfang.regions.models import Region
    from tanfang.schedule.services import run_recompute, start_recompute
    from tanfang.visitors.models import Pairing, Visitor
    from tanfang.visits.models import Visit

    t0 = time.perf_counter()
    seed_demo(elders=0)
    county = Region.objects.get(code="410823")
    seed_elders(count=args.elders, seed=2023, county=county)
    rows = list(
        Elder.objects.order_by("region_path", "id").values_list("pk", "region_id", "region_path", "registered_on")
    )
    per_visitor = 40
    ids = iter(reserve_ids(Visitor, len(rows) // per_visitor + 2000))
    visitor_rows, pairing_rows, owner = [], [], {}
    current: tuple[str, int, int] | None = None
    for pk, village, path, registered in rows:
        if current is None or current[0] != village or current[2] >= per_visitor:
            vid = next(ids)
            visitor_rows.append((vid, f"网格员{vid}", "grid_worker", "", "", 60, True, village, path, now()))
            current = (village, vid, 0)
        pairing_rows.append((pk, current[1], "primary", registered, "", village, path))
        owner[pk] = current[1]
        current = (current[0], current[1], current[2] + 1)
    copy_rows(
        Visitor,
        [
            "id",
            "name",
            "kind",
            "organisation",
            "phone_masked",
            "capacity",
            "active",
            "region_id",
            "region_path",
            "created_at",
        ],
        visitor_rows,
    )
    copy_rows(
        Pairing,
        ["elder_id", "visitor_id", "role", "started_on", "end_reason", "region_id", "region_path"],
        pairing_rows,
    )
    today = local_today()
    count = 0

    def visits() -> Iterator[tuple[object, ...]]:
        nonlocal count
        slots = args.visits_per_elder + 1
        for pk, village, path, registered in rows:
            for back in range(slots):
                if rng.random() < 1 / slots:
                    continue
                day = today - dt.timedelta(days=30 * back + rng.randrange(28) + 1)
                if day < registered:
                    continue
                count += 1
                moment = dt.datetime(day.year, day.month, day.day, 10, tzinfo=LOCAL_TZ)
                yield (
                    pk,
                    owner[pk],
                    "home",
                    "visited",
                    moment,
                    day,
                    30,
                    "",
                    uuid.UUID(int=rng.getrandbits(128)),
                    False,
                    village,
                    path,
                    now(),
                )

    copy_rows(
        Visit,
        VISIT_COLUMNS,
        visits(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    run_recompute(start_recompute(region_path=county.path))
    print(
        f"seeded {len(rows):,} elders, {len(visitor_rows):,} visitors, {count:,} visits "
        f"in {time.perf_counter() - t0:.0f} s"
    )

    return rows, owner


def top_up(target: int, rows: list[tuple[Any, ...]], owner: dict[int, int], rng: random.Random) -> None:
    """Add home visits on random past days to random elders until the visits table holds `target`."""
    from django.db import connection

    from tanfang.core.bulk import copy_rows
    from tanfang.core.time import LOCAL_TZ, local_today, now
    from tanfang.visits.models import Visit

    missing = target - Visit.objects.count()
    if missing <= 0:
        return
    today = local_today()

    def extra() -> Iterator[tuple[object, ...]]:
        made = 0
        while made < missing:
            pk, village, path, registered = rows[rng.randrange(len(rows))]
            day = today - dt.timedelta(days=rng.randrange(1, 365))
            if day < registered:
                continue
            made += 1
            moment = dt.datetime(day.year, day.month, day.day, 15, tzinfo=LOCAL_TZ)
            client_id = uuid.uuid4()  # never one the first seeding drew from the same generator
            yield (pk, owner[pk], "home", "visited", moment, day, 30, "", client_id, False, village, path, now())

    t0 = time.perf_counter()
    copy_rows(Visit, VISIT_COLUMNS, extra())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE visits_visit")
    print(f"added {missing:,} visits: {Visit.objects.count():,} in all ({time.perf_counter() - t0:.0f} s)")


def settle() -> None:
    """Vacuum what the seeding loaded, as after any bulk load: measured, the submissions must not
    share the two cores with autovacuum's first pass over millions of new rows."""
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("visits_visit", "elders_elder", "visitors_pairing", "schedule_elderdue"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"vacuumed the loaded tables in {time.perf_counter() - t0:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--visits-per-elder", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=2, help="application processes submitting at once")
    parser.add_argument("--batch-size", type=int, default=20, help="records per upload in the batch phase")
    parser.add_argument("--database", default="tanfang_bench_records")
    parser.add_argument("--visits-total", type=int, default=0, help="add visits until the table holds this many")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="measure on the database a --keep run left")
    args = parser.parse_args()

    if args.reuse:
        use_existing_database(args.database)
    else:
        use_scratch_database(args.database)
    os.environ.setdefault("TANFANG_MEDIA_ROOT", str(Path(__file__).resolve().parent.parent / "var" / "bench-media"))

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client, override_settings

    from tanfang.core import pdf
    from tanfang.core.roles import Role
    from tanfang.core.time import now
    from tanfang.devtools.factories import make_user
    from tanfang.elders.models import DueRefresh, Elder
    from tanfang.records import printing
    from tanfang.schedule.services import drain_due_queue, refresh_queued
    from tanfang.visitors.models import Pairing, Visitor
    from tanfang.visits.models import Visit

    call_command("migrate", verbosity=0)
    rng = random.Random(5)
    if args.reuse:
        rows = list(
            Elder.objects.order_by("region_path", "id").values_list("pk", "region_id", "region_path", "registered_on")
        )
        owner = dict(Pairing.objects.filter(ended_on__isnull=True).values_list("elder_id", "visitor_id"))
    else:
        rows, owner = seed(args, rng)
    if args.visits_total:
        top_up(args.visits_total, rows, owner, rng)
    if not args.reuse:
        settle()
    print(f"{len(rows):,} elders, {Visit.objects.count():,} visits")

    # Visitors with log-ins, each paired with its elders. They log in by session (force_login): their
    # passwords are never checked, so they need not cost a slow hash each.
    override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]).enable()
    sample = rng.sample(rows, min(2400, len(rows)))
    users: dict[int, int] = {}
    pairs: list[tuple[int, int]] = []
    for pk, _village, _path, _registered in sample:
        vid = owner[pk]
        if vid not in users:
            visitor = Visitor.objects.get(pk=vid)
            if visitor.user_id is None:
                visitor.user = make_user(f"bench_v{vid}", Role.VISITOR, [visitor.region])
                visitor.save(update_fields=["user"])
            users[vid] = visitor.user_id  # type: ignore[assignment]  # set just above
        pairs.append((users[vid], pk))

    moment = now() - dt.timedelta(hours=1)
    latencies = []
    client = Client()
    sessions = log_in({user_id for user_id, _elder_id in pairs[:300]})
    client.get("/healthz")  # loads the middleware once, as a running server has
    with_refresh = []
    for user_id, elder_id in pairs[:300]:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[user_id]
        t1 = time.perf_counter()
        response = client.post(f"/api/v1/elders/{elder_id}/visits", body(moment), content_type="application/json")
        latencies.append(time.perf_counter() - t1)
        assert response.status_code == 201, response.content[:300]
        assert refresh_queued(elder_ids=[elder_id]) == 1
        with_refresh.append(time.perf_counter() - t1)
    print(
        f"record a visit (API: validate, store, queue the due refresh): p95 {p95(latencies):.0f} ms over "
        f"{len(latencies)}; with that elder's due state refreshed too: p95 {p95(with_refresh):.0f} ms"
    )

    rest = pairs[300:]
    workers = args.processes
    connections.close_all()
    start = time.time() + 5 + len(rest) / workers / 200  # after every worker has logged its visitors in
    chunks = [(rest[k::workers], start, args.seconds, moment.isoformat()) for k in range(workers)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        done = sum(pool.map(_submit_for, chunks))
    print(
        f"sustained: {done:,} submissions in {args.seconds:.0f} s with {workers} processes on "
        f"{os.cpu_count()} cores = {done / args.seconds:.0f}/s"
    )
    queued = DueRefresh.objects.count()
    t1 = time.perf_counter()
    drained = drain_due_queue()
    print(
        f"due states refreshed after the burst: {drained:,} elders (queue held {queued:,}) "
        f"in {time.perf_counter() - t1:.1f} s"
    )

    # Phones uploading the records they kept offline: each batch holds one visitor's records for
    # as many of its own elders.
    by_visitor: dict[int, list[int]] = {}
    for elder_id, visitor_id in owner.items():
        by_visitor.setdefault(visitor_id, []).append(elder_id)
    phones: list[tuple[int, list[int]]] = []
    for vid in rng.sample(sorted(by_visitor), min(400, len(by_visitor))):
        visitor = Visitor.objects.get(pk=vid)
        if visitor.user_id is None:
            visitor.user = make_user(f"bench_v{vid}", Role.VISITOR, [visitor.region])
            visitor.save(update_fields=["user"])
        phones.append((visitor.user_id, by_visitor[vid]))  # type: ignore[arg-type]  # set just above
    connections.close_all()
    start = time.time() + 5 + len(phones) / workers / 200
    chunks_b = [(phones[k::workers], start, args.seconds, moment.isoformat(), args.batch_size) for k in range(workers)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        done = sum(pool.map(_upload_for, chunks_b))
    print(
        f"sustained, phones uploading kept records {args.batch_size} at a time: {done:,} records in "
        f"{args.seconds:.0f} s with {workers} processes = {done / args.seconds:.0f}/s"
    )
    t1 = time.perf_counter()
    drained = drain_due_queue()
    print(f"due states refreshed after the uploads: {drained:,} elders in {time.perf_counter() - t1:.1f} s")

    visit = Visit.objects.filter(record__isnull=False).order_by("-pk").first()
    assert visit is not None
    pdf.register_fonts()
    samples = []
    for _ in range(10):
        t1 = time.perf_counter()
        printing.print_visits(actor=None, visits=[visit])
        samples.append(time.perf_counter() - t1)
    print(
        f"PDF of one record (two copies): median {statistics.median(samples) * 1000:.0f} ms, "
        f"max {max(samples) * 1000:.0f} ms"
    )
    month = list(Visit.objects.filter(region_id=visit.region_id).order_by("-day")[:200])
    t1 = time.perf_counter()
    content = printing.print_visits(actor=None, visits=month)
    print(
        f"PDF of a village's month ({len(month)} records, {2 * len(month)} copies): "
        f"{time.perf_counter() - t1:.1f} s, {len(content) / 1e6:.1f} MB"
    )

    if not args.keep:
        drop_scratch_database(args.database)


if __name__ == "__main__":
    main()
