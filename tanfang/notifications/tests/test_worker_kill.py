"""Kill -9 a real Celery worker mid-send: every message is still delivered, none twice to a phone.

A real worker process (`celery -A config worker`) takes its tasks from a real broker (Redis, or
RabbitMQ: the brokers of TANFANG_TEST_BROKERS) and sends through the Alibaba Cloud SMS channel to a
local provider that de-duplicates by OutId (tests/aliyun_server.py). The worker must see the test's
database, so this runs on PostgreSQL only: on SQLite (an in-memory test database no other process can
open) it is deselected, not skipped (see conftest.py here).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection, transaction

from tanfang.notifications.models import Attempt, Notification
from tanfang.notifications.services import BATCH, SEND_TASK, queue
from tanfang.notifications.tests.aliyun_server import FakeSmsProvider, channel_environment, running_provider

MESSAGES = 300
LEASE_SECONDS = 3  # the dead worker's claims run out quickly here (five minutes in production)
ROOT = Path(settings.BASE_DIR)


def brokers() -> list[str]:
    configured = [b for b in os.environ.get("TANFANG_TEST_BROKERS", "").split(",") if b]
    return [b for b in configured if not b.startswith("filesystem")] or ["redis://127.0.0.1:6379/15"]


def database_url() -> str:
    """The URL of the test database this test process uses, for the worker to open the same one."""
    db = connection.settings_dict
    user = urllib.parse.quote(db.get("USER") or "")
    password = urllib.parse.quote(db.get("PASSWORD") or "")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    return f"postgres://{credentials}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def worker_processes(environment: dict[str, str], queue_name: str, log: Path) -> Iterator[Callable[[], int]]:
    """Start workers on demand (`start()` returns the pid); kill whatever is still running at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> int:
        with log.open("ab") as out:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    f"--queues={queue_name}",
                    f"--hostname=kill-test-{uuid.uuid4().hex[:8]}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process.pid

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def wait_until(condition: Callable[[], bool], *, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise AssertionError(f"timed out waiting for {what}\n--- worker log ---\n{tail}")
        time.sleep(0.1)


# real_clock: the worker's event loop and the broker's timers run on the monotonic clock.
@pytest.mark.postgresql
@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", brokers())
def test_killing_the_worker_mid_send_loses_nothing_and_sends_nothing_twice(broker, tmp_path):
    with running_provider() as provider:
        run_the_kill(broker, provider, tmp_path)


def run_the_kill(broker: str, provider: FakeSmsProvider, tmp_path: Path) -> None:
    # given many messages in the outbox, and a provider that takes a little while over each
    with transaction.atomic():
        for i in range(MESSAGES):
            queue(
                key=f"kill:{i}",
                recipient=f"138{i:08d}",
                label="探访员",
                region_path="410000/",
                body=f"【探访关爱】第 {i} 条",
                via="aliyun_sms",
            )
    provider.delay = 0.01
    queue_name = f"test-kill-{uuid.uuid4().hex[:8]}"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TANFANG_ENV": "test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "TANFANG_TASKS_EAGER": "0",
        "TANFANG_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "TANFANG_FIELD_KEYS": settings.TANFANG_FIELD_KEYS,  # the worker must read what this process wrote
        "TANFANG_BLIND_INDEX_KEY": settings.TANFANG_BLIND_INDEX_KEY,
        **channel_environment(provider),
    }
    app = Celery("tanfang-kill-test", set_as_current=False)
    app.conf.update(broker_url=broker, task_default_queue=queue_name, task_ignore_result=True)
    log = tmp_path / "worker.log"

    with worker_processes(environment, queue_name, log) as start:
        # when a worker starts sending, and is killed outright a fifth of the way through
        first = start()
        app.send_task(SEND_TASK)
        wait_until(lambda: provider.requests >= MESSAGES // 5, seconds=60, what="the first deliveries", log=log)
        os.kill(first, signal.SIGKILL)
        time.sleep(0.2)  # what the dead worker had already handed over is answered all the same
        wait_until(lambda: provider.in_flight == 0, seconds=10, what="the provider to answer", log=log)
        with provider.lock:
            reached_before_the_kill = set(provider.delivered)
        assert len(reached_before_the_kill) < MESSAGES, "the worker finished before it was killed: slow the provider"
        assert Notification.objects.filter(state="pending").exists()

        # and a new worker is started, and the periodic run asks it to send, as beat would
        start()

        def all_sent() -> bool:
            app.send_task(SEND_TASK)
            return not Notification.objects.exclude(state="sent").exists()

        wait_until(all_sent, seconds=120, what="every message to be sent", log=log)
    app.close()

    # then every message reached its phone exactly once
    assert provider.problems == []
    assert sorted(provider.delivered) == sorted(f"kill:{i}" for i in range(MESSAGES))
    assert set(provider.delivered.values()) == {1}
    assert provider.phones["kill:7"] == "13800000007"
    # a message the dead worker had sent but not recorded went again under the same OutId, and the
    # provider dropped it: only messages of the dead worker's last batch, at most one batch of them
    assert set(provider.repeated) <= reached_before_the_kill
    assert sum(provider.repeated.values()) <= BATCH
    # and the outbox recorded one sent attempt per message, and keeps no number
    assert Attempt.objects.filter(outcome="sent").count() == MESSAGES
    assert not Notification.objects.filter(recipient_cipher__isnull=False).exists()
