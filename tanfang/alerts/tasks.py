"""The escalation sweeper as a periodic job: a thin adapter, scheduled in config/schedule.py."""

from __future__ import annotations

from celery import shared_task

from tanfang.alerts.escalation import escalate_due


@shared_task
def escalate_incidents_task() -> int:
    return escalate_due()
