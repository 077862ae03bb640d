"""The uploaded file of an import is stored SM4-GCM encrypted, and can be deleted.

Files uploaded before this migration were kept in plain bytes: they are encrypted here, row by
row, so no plain roster stays in an old database. The daily purge (elders.import_files) then
deletes those past TANFANG_IMPORT_FILE_DAYS, committed ones included, and audits each.

The encoding is written out here rather than imported, so that this migration keeps doing what it
did when the code changes: the file's bytes in base64, encrypted with the field cipher under the
context "elders.import_file".
"""

import base64

from django.db import migrations, models

from tanfang.core.crypto import field_cipher

CONTEXT = "elders.import_file"


def _ids(batches, using):
    return list(batches.objects.using(using).filter(content_cipher__isnull=False).values_list("pk", flat=True))


def encrypt_plain_files(apps, schema_editor):
    batches = apps.get_model("elders", "ImportBatch")
    using = schema_editor.connection.alias
    ids = _ids(batches, using)
    if not ids:
        return  # no keys needed on an empty table
    cipher = field_cipher()
    for pk in ids:  # one file at a time: a file may be 20 MB
        rows = batches.objects.using(using).filter(pk=pk)
        plain = bytes(rows.values_list("content_cipher", flat=True).get())
        token = cipher.encrypt(base64.b64encode(plain).decode("ascii"), context=CONTEXT)
        rows.update(content_cipher=token)


def decrypt_files(apps, schema_editor):
    batches = apps.get_model("elders", "ImportBatch")
    using = schema_editor.connection.alias
    # Deleted files cannot come back; the old schema needs some content, so they become empty.
    batches.objects.using(using).filter(content_cipher__isnull=True).update(content_cipher=b"", file_deleted_at=None)
    ids = _ids(batches, using)
    if not ids:
        return
    cipher = field_cipher()
    for pk in ids:
        rows = batches.objects.using(using).filter(pk=pk)
        token = bytes(rows.values_list("content_cipher", flat=True).get())
        if token:
            rows.update(content_cipher=base64.b64decode(cipher.decrypt(token, context=CONTEXT)))


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0007_due_refresh_queue"),
    ]

    operations = [
        migrations.RenameField(model_name="importbatch", old_name="content", new_name="content_cipher"),
        migrations.AlterField(
            model_name="importbatch",
            name="content_cipher",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="file_deleted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="原始文件删除时间"),
        ),
        migrations.AddConstraint(
            model_name="importbatch",
            constraint=models.CheckConstraint(
                condition=models.Q(("content_cipher__isnull", True), ("file_deleted_at__isnull", False))
                | models.Q(("content_cipher__isnull", False), ("file_deleted_at__isnull", True)),
                name="import_batch_file_kept_or_deleted",
            ),
        ),
        migrations.RunPython(encrypt_plain_files, decrypt_files),
    ]
