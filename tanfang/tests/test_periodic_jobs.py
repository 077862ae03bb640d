"""Every periodic job names a task that exists, and the due-state queue is drained every few seconds."""

from __future__ import annotations

import datetime as dt
from importlib import import_module

import pytest
from celery import current_app

from config.schedule import BEAT_SCHEDULE
from tanfang.core.roles import Role
from tanfang.devtools.factories import make_elder, make_user
from tanfang.elders.due_queue import queue_due_refresh
from tanfang.elders.models import DueRefresh
from tanfang.schedule.models import ElderDue
from tanfang.schedule.tasks import refresh_queued_task

pytestmark = pytest.mark.django_db


def test_every_periodic_job_names_a_task_that_exists():
    for entry in BEAT_SCHEDULE.values():
        module, name = entry["task"].rsplit(".", 1)
        task = getattr(import_module(module), name)

        assert task.name == entry["task"] and task.name in current_app.tasks


def test_the_due_state_queue_is_drained_every_few_seconds(tree):
    officer = make_user("officer_beat", Role.COUNTY_OFFICER, [tree.wuzhi])
    elder = make_elder(officer, "排队老人", "410823001001", sequence=21, registered_on=dt.date(2026, 1, 5))
    DueRefresh.objects.all().delete()
    ElderDue.objects.all().delete()
    queue_due_refresh(elder_ids=[elder.pk])
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == refresh_queued_task.name)

    refresh_queued_task()

    assert entry["schedule"] <= 10
    assert not DueRefresh.objects.exists() and ElderDue.objects.filter(elder=elder).exists()
