"""Benchmark: from opening an incident to its urgent SMS reaching the provider, on PostgreSQL.

Usage (creates and drops its own database; needs Redis on 127.0.0.1:6379):
    .venv/bin/python bench/incidents.py [--incidents 200] [--burst 50] [--workers 2]

Sets up elders each paired with a visitor who has a phone, starts a local stand-in for Alibaba Cloud
SMS (it checks each request's signature and notes when it arrived) and a real Celery worker on Redis
(its own database index, so no other worker takes the tasks), sending through the real
`aliyun_sms` channel. Then, as a county officer, opens incidents one after another and times each
from the call to `open_incident` to the arrival of its SMS at the fake provider (the paired visitor is
told at once, at urgent priority: a row committed with the incident, a send asked for on commit).
Then opens a burst of incidents at once and times those too. Prints p50/p95/max; the target is
p95 < 2 s.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_scratch_database, use_scratch_database

ROOT = Path(__file__).resolve().parent.parent
KEY_ID, SECRET = "LTAI5tBenchKeyId", "bench-secret"
ARRIVALS: dict[str, float] = {}
PROBLEMS: list[str] = []
LOCK = threading.Lock()


def _expected_signature(params: dict[str, str]) -> str:
    # the provider's own reading of the published rule (not the client's helper)
    def enc(value: str) -> str:
        return urllib.parse.quote(value, safe="-_.~")

    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    to_sign = f"POST&%2F&{enc(canonical)}"
    return base64.b64encode(hmac.new(f"{SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class FakeAliyun(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        arrived = time.time()
        length = int(self.headers.get("Content-Length", "0"))
        params = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("ascii"), keep_blank_values=True))
        signature = params.pop("Signature", "")
        with LOCK:
            if signature != _expected_signature(params):
                PROBLEMS.append(f"bad signature for {params.get('OutId')}")
            ARRIVALS.setdefault(params.get("OutId", ""), arrived)
        body = b'{"Code":"OK","Message":"OK","BizId":"900619746936498440^0","RequestId":"bench"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _wait_for(keys: list[str], timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with LOCK:
            if all(k in ARRIVALS for k in keys):
                return
        time.sleep(0.002)
    missing = [k for k in keys if k not in ARRIVALS]
    raise SystemExit(f"{len(missing)} SMS never reached the provider within {timeout:.0f} s: {missing[:3]}")


def _figures(label: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) >= 2 else ms[0]
    print(
        f"{label}: n={len(ms)}  p50 {statistics.median(ms):.0f} ms  p95 {p95:.0f} ms  max {ms[-1]:.0f} ms"
        f"  → {'OK' if p95 < 2000 else 'OVER'} (target p95 < 2000 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=200, help="opened one after another")
    parser.add_argument("--burst", type=int, default=50, help="opened at once, after the others")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--database", default="tanfang_bench_incidents")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAliyun)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ.update(
        {
            "CELERY_BROKER_URL": args.broker,
            "TANFANG_SMS_CHANNEL": "aliyun_sms",
            "TANFANG_ALIYUN_SMS_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}/",
            "TANFANG_ALIYUN_SMS_ACCESS_KEY_ID": KEY_ID,
            "TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET": SECRET,
            "TANFANG_ALIYUN_SMS_SIGN_NAME": "探访关爱",
            "TANFANG_ALIYUN_SMS_TEMPLATE_CODE": "SMS_000000001",
            "TANFANG_LOG_LEVEL": "WARNING",
        }
    )
    use_scratch_database(args.database)

    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from tanfang.alerts.services import open_incident
    from tanfang.core.roles import RegionLevel, Role
    from tanfang.devtools.factories import ensure_region, make_elder, make_user
    from tanfang.notifications.models import Notification
    from tanfang.visitors.services import VisitorInput, create_visitor, pair

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(args.broker).flushdb()  # this benchmark's own index: stale tasks of an earlier run
    province = ensure_region("410000", "河南省", RegionLevel.PROVINCE)
    city = ensure_region("410800", "焦作市", RegionLevel.CITY, province)
    county = ensure_region("410823", "武陟县", RegionLevel.COUNTY, city)
    township = ensure_region("410823001000", "木城街道", RegionLevel.TOWNSHIP, county)
    village = ensure_region("410823001001", "建设社区居民委员会", RegionLevel.VILLAGE, township)
    officer = make_user("bench_officer", Role.COUNTY_OFFICER, [county], display_name="武陟县民政局")
    total = 1 + args.incidents + args.burst  # the first one warms the worker up and is not counted
    started = time.perf_counter()
    pairs = []
    for i in range(total):
        elder = make_elder(officer, f"老人{i:04d}", village.code, sequence=100 + i)
        visitor = create_visitor(
            actor=officer,
            data=VisitorInput(name=f"探访员{i:04d}", kind="volunteer", region_code=village.code, phone=f"138{i:08d}"),
        )
        pair(actor=officer, elder=elder, visitor=visitor)
        pairs.append((elder.pk, visitor.pk))
    print(f"{total} elders, each with a paired visitor, in {time.perf_counter() - started:.1f} s")

    from django.db import connections

    connections.close_all()
    worker = subprocess.Popen(  # noqa: S603 — a fixed command line: our own worker
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "config",
            "--quiet",
            "worker",
            "-c",
            str(args.workers),
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:

        def open_one(elder_id: int, visitor_id: int) -> tuple[str, float]:
            opened = time.time()
            incident, _created = open_incident(actor=officer, elder_id=elder_id, kind="fall")
            return f"incident:{incident.pk}:opened:v{visitor_id}", opened

        key, _ = open_one(*pairs[0])
        _wait_for([key], timeout=60)  # the worker is up
        print("worker up; opening incidents one after another")

        one_by_one = []
        for elder_id, visitor_id in pairs[1 : 1 + args.incidents]:
            key, opened = open_one(elder_id, visitor_id)
            _wait_for([key], timeout=30)
            one_by_one.append(ARRIVALS[key] - opened)
        _figures("one after another", one_by_one)

        if args.burst:
            opened_keys = [open_one(e, v) for e, v in pairs[1 + args.incidents :]]
            _wait_for([k for k, _ in opened_keys], timeout=60)
            _figures(f"a burst of {args.burst}", [ARRIVALS[k] - t for k, t in opened_keys])

        settle = time.time() + 10  # the last outcomes are being recorded as the provider answers
        while Notification.objects.filter(state="sent").count() < total and time.time() < settle:
            time.sleep(0.05)
        sent = Notification.objects.filter(state="sent").count()
        print(f"{sent} of {total} SMS marked sent; {len(ARRIVALS)} distinct out ids reached the provider")
        if PROBLEMS:
            raise SystemExit(f"the provider refused signatures: {PROBLEMS[:3]}")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.shutdown()
    if not args.keep:
        drop_scratch_database(args.database)


if __name__ == "__main__":
    main()
