"""Background work really travels: a task sent through a real broker is run by a real worker.

`make test` uses the filesystem broker (no server); CI sets TANFANG_TEST_BROKERS to
Redis and RabbitMQ URLs so the same test runs against both.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from tanfang.core.models import Heartbeat
from tanfang.core.tasks import heartbeat_task


def brokers() -> list[str]:
    configured = os.environ.get("TANFANG_TEST_BROKERS", "")
    return [b for b in configured.split(",") if b] or ["filesystem://"]


# real_clock: the worker's own event loop and the broker's timers run on the monotonic clock, which a
# frozen faked clock stops, so the worker never polls again; .ci/run leaves this out of its faked runs only.
@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("broker", brokers())
def test_a_heartbeat_sent_through_the_broker_is_run_by_a_worker(broker, tmp_path):
    # given a worker of a fresh app (the same configuration, this broker) listening on its own queue
    app = Celery("tanfang-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    options = {}
    if broker == "filesystem://":
        for folder in ("queue", "control"):
            (tmp_path / folder).mkdir()
        options = {
            "data_folder_in": str(tmp_path / "queue"),
            "data_folder_out": str(tmp_path / "queue"),
            "control_folder": str(tmp_path / "control"),
        }
    app.conf.update(
        broker_url=broker,
        broker_transport_options=options,
        task_always_eager=False,
        task_default_queue=f"test-heartbeat-{uuid.uuid4().hex[:8]}",
    )
    app.autodiscover_tasks(force=True)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # when
        app.send_task(heartbeat_task.name, args=["beat"])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Heartbeat.objects.count() < 2:
            time.sleep(0.2)
    app.close()

    # then
    assert set(Heartbeat.objects.values_list("name", flat=True)) == {"worker", "beat"}
