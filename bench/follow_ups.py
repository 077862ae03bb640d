"""Benchmark: what opening follow-ups adds to recording a visit, on the million-elder database.

Usage (on the database `bench/records.py --keep` left):
    .venv/bin/python bench/records.py --elders 1000000 --keep     # once: seeds 1,000,000 elders
    .venv/bin/python bench/follow_ups.py [--visitors 600] [--skip 2400]

Records one visit per visitor through `POST /api/v1/elders/{id}/visits` (the same body as
bench/records.py: its answers hold three findings, so each visit opens three follow-ups), alternating
request by request between the code as it is and the same code with `open_follow_ups` replaced by a
no-op. Alternating, in one process against one database, keeps the load of the machine out of the
difference. Prints the median and p95 of both halves. Run it twice on the same visitors (same --skip)
to measure the second case too: the findings are seen again and attach to the open follow-ups.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import p95, use_existing_database
from bench.records import body

WARM_UP = 40


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="tanfang_bench_records")
    parser.add_argument("--visitors", type=int, default=600)
    parser.add_argument("--skip", type=int, default=2400, help="start after this many bench visitors")
    args = parser.parse_args()
    use_existing_database(args.database)

    import django

    django.setup()
    from django.conf import settings
    from django.test import Client, override_settings

    import tanfang.records.services as records
    from tanfang.accounts.models import User
    from tanfang.core.time import now
    from tanfang.visitors.models import Pairing

    override_settings(ALLOWED_HOSTS=["*"]).enable()
    users = list(
        User.objects.filter(username__startswith="bench_v").order_by("pk")[args.skip : args.skip + args.visitors]
    )
    if not users:
        sys.exit("no bench visitors: run bench/records.py --keep first")
    pairs = [
        (user, Pairing.objects.filter(visitor__user=user, ended_on__isnull=True).values_list("elder_id", flat=True)[0])
        for user in users
    ]
    real = records.open_follow_ups

    def nothing(**_kwargs: object) -> list[object]:
        return []

    client = Client()
    client.get("/healthz")
    with_them: list[float] = []
    without: list[float] = []
    moment = now() - dt.timedelta(hours=1)
    for index, (user, elder_id) in enumerate(pairs):
        records.open_follow_ups = real if index % 2 == 0 else nothing  # type: ignore[assignment]
        client.force_login(user)
        started = time.perf_counter()
        response = client.post(f"/api/v1/elders/{elder_id}/visits", body(moment), content_type="application/json")
        spent = time.perf_counter() - started
        assert response.status_code == 201, response.content[:300]
        if index >= WARM_UP:
            (with_them if index % 2 == 0 else without).append(spent)
    records.open_follow_ups = real
    print(settings.DATABASES["default"]["NAME"], f"{len(with_them)} visits each way, alternating:")
    for label, samples in (("opening follow-ups", with_them), ("without", without)):
        print(f"  {label}: median {statistics.median(samples) * 1000:.1f} ms, p95 {p95(samples):.1f} ms")
    print(
        f"  difference: median {(statistics.median(with_them) - statistics.median(without)) * 1000:+.1f} ms, "
        f"p95 {p95(with_them) - p95(without):+.1f} ms"
    )


if __name__ == "__main__":
    main()
