"""Background recomputation of due states."""

from __future__ import annotations

from celery import shared_task

from tanfang.schedule.models import RecomputeJob
from tanfang.schedule.services import drain_due_queue, run_recompute, start_recompute


@shared_task
def recompute_job_task(job_id: int) -> None:
    run_recompute(RecomputeJob.objects.get(pk=job_id))


@shared_task
def nightly_recompute_task() -> None:
    """Every elder's state for the new day: month starts, surges opening and closing."""
    run_recompute(start_recompute(region_path=""))


@shared_task
def refresh_queued_task() -> None:
    """Due states of elders whose visits or status changed since the last run (every few seconds)."""
    drain_due_queue()
