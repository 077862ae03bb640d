"""The uploaded file of an import: encrypted at rest, kept only while needed, shown only to its importer.

A roster holds the names, ID numbers and phone numbers of thousands of people. Its file is kept
only to commit it and to mark its errors:

- stored SM4-GCM encrypted like the registry's fields (`seal_file`, context "elders.import_file");
- deleted in the transaction that commits the batch (`importing.commit_import`), or
  TANFANG_IMPORT_FILE_DAYS days after upload by the daily `purge_import_files`;
- marked up with its errors only for the user who uploaded it (`may_download_errors`,
  `require_may_download_errors`); every refusal is audited here, every download by
  `importing.download_error_workbook`.

This is the one module that decrypts an uploaded file (`open_file`); the architecture test that
keeps decryption in a few modules names it.
"""

from __future__ import annotations

import base64
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import new_event, record_event, record_events
from tanfang.core.crypto import field_cipher
from tanfang.core.errors import FieldError, PermissionDenied, ValidationFailed
from tanfang.core.scope import Actor
from tanfang.elders.models import IMPORT_FILE_CONTEXT, ImportBatch

PURGE_CHUNK = 500


def seal_file(content: bytes) -> bytes:
    """Encrypt an uploaded file for `ImportBatch.content_cipher`."""
    # The field cipher encrypts text: base64 carries the bytes (a third larger than the file).
    return field_cipher().encrypt(base64.b64encode(content).decode("ascii"), context=IMPORT_FILE_CONTEXT)


def file_gone_message(batch: ImportBatch) -> str:
    """Say why a batch's file can no longer be used."""
    if batch.state == ImportBatch.State.COMMITTED:
        return _("该批次已导入，原始文件已删除")
    return _("导入文件已超过保存期限并已删除，请重新上传")


def open_file(batch: ImportBatch) -> bytes:
    """Return the batch's file, decrypted. Raises ValidationFailed once the file has been deleted."""
    if not batch.file_kept or batch.content_cipher is None:
        raise ValidationFailed(errors=[FieldError("file", file_gone_message(batch))])
    return base64.b64decode(field_cipher().decrypt(bytes(batch.content_cipher), context=IMPORT_FILE_CONTEXT))


def file_expires_at(batch: ImportBatch) -> dt.datetime | None:
    """When the daily purge deletes the batch's file at the latest; None once it is deleted."""
    if not batch.file_kept:
        return None
    return batch.created_at + dt.timedelta(days=settings.TANFANG_IMPORT_FILE_DAYS)


def may_download_errors(actor: Actor, batch: ImportBatch) -> bool:
    """Whether the actor may download the batch's file marked with its errors: only its uploader,
    and only while the file is kept."""
    return batch.file_kept and batch.created_by_id == actor.pk


def require_may_download_errors(actor: Actor, batch: ImportBatch) -> None:
    """Refuse anyone but the batch's uploader, and a batch whose file is gone.

    The marked-up file holds every row in full, so even an officer who sees the batch is refused
    (PermissionDenied); the refusal changes nothing and is audited in its own transaction, so
    that it stays when the refusal's request rolls back. A deleted file raises ValidationFailed.
    """
    if batch.created_by_id != actor.pk:
        with transaction.atomic():
            record_event(
                actor=actor,
                action=Action.ACCESS_REFUSED,
                subject=batch,
                subject_label=batch.file_name,
                details={
                    "operation": str(Action.IMPORT_ERRORS_DOWNLOADED),
                    "batch": batch.pk,
                    "reason": "not_uploader",
                },
            )
        raise PermissionDenied(_("标注了错误的导入文件只有上传人本人可以下载"))
    if not batch.file_kept:
        raise ValidationFailed(errors=[FieldError("file", file_gone_message(batch))])


def purge_import_files(*, now: dt.datetime) -> int:
    """Delete the files of batches uploaded TANFANG_IMPORT_FILE_DAYS days or more before `now`.

    Every batch keeps its counts and error list; only the file goes, each deletion audited with
    the system as actor. Safe to run twice and beside itself: a batch whose file is already gone
    is skipped. Returns how many files were deleted.
    """
    cutoff = now - dt.timedelta(days=settings.TANFANG_IMPORT_FILE_DAYS)
    ids = list(
        ImportBatch.objects.filter(file_deleted_at__isnull=True, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return sum(_purge(ids[start : start + PURGE_CHUNK], now) for start in range(0, len(ids), PURGE_CHUNK))


@transaction.atomic
def _purge(ids: list[int], moment: dt.datetime) -> int:
    # Locked, then filtered again: a run beside this one, or a commit, may have deleted some.
    batches = list(
        ImportBatch.objects.select_for_update()
        .filter(pk__in=ids, file_deleted_at__isnull=True)
        .only("pk", "region_path", "file_name", "state", "created_at")
        .order_by("pk")
    )
    if not batches:
        return 0
    ImportBatch.objects.filter(pk__in=[b.pk for b in batches]).update(content_cipher=None, file_deleted_at=moment)
    record_events(
        [
            new_event(
                actor=None,
                action=Action.IMPORT_FILE_PURGED,
                subject=batch,
                subject_label=batch.file_name,
                changes={"file_deleted_at": {"old": None, "new": moment}},
                details={"batch": batch.pk, "state": batch.state, "uploaded_at": batch.created_at},
            )
            for batch in batches
        ]
    )
    return len(batches)
