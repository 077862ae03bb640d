"""Background work of the registry: thin adapters over services, scheduled in config/schedule.py."""

from __future__ import annotations

from celery import shared_task

from tanfang.core.time import now
from tanfang.elders.import_files import purge_import_files


@shared_task
def purge_import_files_task() -> None:
    """Delete the files of imports uploaded TANFANG_IMPORT_FILE_DAYS days ago or more (daily)."""
    purge_import_files(now=now())
