"""The heartbeat job: beat enqueues it, a worker runs it, so a fresh row proves both live."""

from celery import shared_task

from tanfang.core.health import beat


@shared_task
def heartbeat_task(name: str = "beat") -> None:
    beat("worker")
    beat(name)
