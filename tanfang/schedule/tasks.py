"""Background work of the schedule: thin adapters over services, scheduled in config/schedule.py."""

from __future__ import annotations

from celery import shared_task

from tanfang.schedule.closing import close_due_months
from tanfang.schedule.digest import queue_daily_digests
from tanfang.schedule.services import drain_due_queue, recompute_everyone


@shared_task
def nightly_recompute_task() -> None:
    """Every elder's state for the new day: month starts, surges opening and closing."""
    recompute_everyone()


@shared_task
def refresh_queued_task() -> None:
    """Due states of elders and regions queued since the last run (every few seconds)."""
    drain_due_queue()


@shared_task
def daily_digest_task() -> None:
    """Each visitor's day in one message, queued in the outbox (sent by the outbox's own job)."""
    queue_daily_digests()


@shared_task
def close_months_task() -> None:
    """Close the months whose grace days are over (月结), freezing their figures."""
    close_due_months()
