"""Benchmark: the notification outbox on PostgreSQL.

Usage (creates and drops its own database):
    .venv/bin/python bench/outbox.py [--messages 20000] [--senders 2]

Queues that many messages (a tenth of them urgent), then drains the outbox with N sender processes
at once through the in-process fake channel, so the figure is the engine's own cost: claiming a
batch, recording each outcome and its attempt. Prints messages per second, checks that every
message was sent exactly once, and the time an urgent message waits behind a full queue.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_scratch_database, use_scratch_database


def _drain(database: str) -> int:
    from bench.common import use_existing_database

    use_existing_database(database)
    import django

    django.setup()
    from django.test import override_settings

    from tanfang.notifications.services import send_pending

    with override_settings(TANFANG_SMS_CHANNEL="fake"):
        return send_pending(limit=10**9)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--database", default="tanfang_bench_outbox")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    use_scratch_database(args.database)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from tanfang.notifications.models import Attempt, Notification
    from tanfang.notifications.services import claim_batch, queue

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(args.messages):
            queue(
                key=f"bench:{i}",
                recipient=f"138{i:08d}",
                label="bench",
                region_path="410000/",
                body=f"第 {i} 条消息",
                via="fake",
                urgent=i % 10 == 0,
            )
    print(f"queued {args.messages:,} messages in {time.perf_counter() - started:.1f} s")

    t = time.perf_counter()
    _token, first = claim_batch(limit=1)
    waited = (time.perf_counter() - t) * 1000
    print(f"first claim behind a full queue: {waited:.1f} ms, urgent first: {first[0].priority > 0}")
    Notification.objects.filter(pk=first[0].pk).update(claim="", claimed_until=None)

    from django.db import connections

    connections.close_all()
    t = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.senders) as pool:
        sent = sum(pool.map(_drain, [args.database] * args.senders))
    elapsed = time.perf_counter() - t
    print(f"{args.senders} senders sent {sent:,} in {elapsed:.1f} s: {sent / elapsed:,.0f} messages/s")
    assert Notification.objects.filter(state="sent").count() == args.messages
    assert Attempt.objects.count() == args.messages, "a message was sent twice"
    print("every message sent exactly once")
    if not args.keep:
        drop_scratch_database(args.database)


if __name__ == "__main__":
    main()
