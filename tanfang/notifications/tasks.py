"""Sending the outbox: a thin adapter over the service, scheduled in config/schedule.py."""

from __future__ import annotations

from celery import shared_task

from tanfang.notifications.services import send_pending


@shared_task
def send_outbox_task() -> None:
    send_pending()
