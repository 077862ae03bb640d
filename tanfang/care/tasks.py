"""The follow-up sweeper: reminders before the deadline, escalation after it; scheduled in config/schedule.py."""

from __future__ import annotations

from celery import shared_task

from tanfang.care.services import sweep_follow_ups


@shared_task
def sweep_follow_ups_task() -> None:
    sweep_follow_ups()
