"""Background jobs of the accounts app: thin adapters over management code."""

from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions_task() -> None:
    call_command("clearsessions")
