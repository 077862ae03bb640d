"""Benchmark: log-in on PostgreSQL with a large audit log.

Usage (creates and drops its own database):
    .venv/bin/python bench/login.py [--events 5000000] [--rounds 200]

Every log-in step first counts the failures from the client's IP in the last ten minutes (the per-IP
throttle, over the audit log's (ip_address, at) index). This prints, with that many audit rows spread
over 90 days and 50,000 addresses:
- p95 of the throttle's count alone, for a busy address and a quiet one;
- p95 of a whole password log-in through the page, and of the two steps with a TOTP code;
- p95 of a refused (wrong password) log-in.
Password hashing is PBKDF2 as in production, so the page figures are dominated by it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_scratch_database, p95, use_existing_database, use_scratch_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database", default="tanfang_bench_login")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use a database kept by an earlier run")
    args = parser.parse_args()
    (use_existing_database if args.reuse else use_scratch_database)(args.database)

    import django

    django.setup()
    import pyotp
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tanfang.accounts.models import TwoFactor, User
    from tanfang.accounts.selectors import failed_log_ins_from
    from tanfang.accounts.two_factor import confirm_enrolment, start_enrolment
    from tanfang.core.roles import RegionLevel, Role
    from tanfang.core.time import now
    from tanfang.devtools.factories import DEFAULT_PASSWORD, ensure_region, make_user

    call_command("migrate", verbosity=0)
    province = ensure_region("410000", "河南省", RegionLevel.PROVINCE)
    county = ensure_region(
        "410823", "武陟县", RegionLevel.COUNTY, ensure_region("410800", "焦作市", RegionLevel.CITY, province)
    )
    started = time.perf_counter()
    if not args.reuse:
        with connection.cursor() as cursor:
            # Audit rows as the log holds them: mostly work, some failed log-ins, 50,000 client addresses.
            cursor.execute(
                """
                INSERT INTO audit_auditevent
                    (at, actor_label, action, subject_type, subject_id, subject_label, region_path,
                     changes, details, ip_address)
                SELECT now() - (random() * interval '90 days'),
                       'bench', CASE WHEN i %% 10 = 0 THEN 'auth.login_failed' ELSE 'elder.updated' END,
                       'elders.elder', i::text, '', '410000/410800/410823/', '{}', '{}',
                       ('10.' || (i %% 200) || '.' || ((i / 200) %% 250) || '.1')::inet
                FROM generate_series(1, %s) AS i
                """,
                [args.events],
            )
            cursor.execute("ANALYZE audit_auditevent")
    print(f"setup: {args.events:,} audit rows in {time.perf_counter() - started:.0f} s")

    officer = User.objects.filter(username="bench_officer").first() or make_user(
        "bench_officer", Role.COUNTY_OFFICER, [county], password=DEFAULT_PASSWORD
    )
    second = User.objects.filter(username="bench_2fa").first() or make_user(
        "bench_2fa", Role.COUNTY_OFFICER, [county], password=DEFAULT_PASSWORD
    )
    TwoFactor.objects.filter(user=second).delete()
    secret = pyotp.parse_uri(start_enrolment(user=second)).secret
    confirm_enrolment(user=second, code=pyotp.TOTP(secret).now())

    since = now() - dt.timedelta(minutes=10)
    busy, quiet = "10.7.3.1", "192.0.2.77"
    for label, address in (("busy address", busy), ("quiet address", quiet)):
        samples = []
        for _ in range(args.rounds):
            t = time.perf_counter()
            failed_log_ins_from(address, since)
            samples.append(time.perf_counter() - t)
        print(f"throttle count ({label}): p95 {p95(samples):.2f} ms")

    def timed(step: Callable[[], object]) -> float:
        t = time.perf_counter()
        step()
        return time.perf_counter() - t

    rounds = max(20, args.rounds // 10)
    password, refused, two_step = [], [], []
    for i in range(rounds):
        address = f"198.51.{i // 250}.{i % 250}"
        client = Client(REMOTE_ADDR=address)
        right = {"username": "bench_officer", "password": DEFAULT_PASSWORD}
        wrong = {"username": "bench_officer", "password": "wrong-1"}
        password.append(timed(partial(client.post, "/accounts/login/", right)))
        refused.append(timed(partial(client.post, "/accounts/login/", wrong)))
        User.objects.filter(pk=officer.pk).update(failed_logins=0, locked_until=None)
        TwoFactor.objects.filter(user=second).update(last_step=0)
        other = Client(REMOTE_ADDR=address)

        def both(c: Client = other) -> None:
            c.post("/accounts/login/", {"username": "bench_2fa", "password": DEFAULT_PASSWORD})
            response = c.post("/accounts/login/verify/", {"code": pyotp.TOTP(secret).now()})
            assert response.status_code == 302, response.content[:300]

        two_step.append(timed(both))
    print(f"log-in with a password (page): p95 {p95(password):.1f} ms")
    print(f"refused log-in (page): p95 {p95(refused):.1f} ms")
    print(f"log-in with password and TOTP code (two pages): p95 {p95(two_step):.1f} ms")
    if not args.keep:
        drop_scratch_database(args.database)


if __name__ == "__main__":
    main()
