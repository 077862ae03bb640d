"""Reminders: queue each visitor's daily digest, then send the outbox."""

from __future__ import annotations

from celery import shared_task

from tanfang.notifications.services import queue_daily_digests, send_pending


@shared_task
def daily_digest_task() -> None:
    queue_daily_digests()
    send_pending()


@shared_task
def send_outbox_task() -> None:
    send_pending()
