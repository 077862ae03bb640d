"""Give region_path the "C" collation on PostgreSQL, so one plain index serves both the subtree
filter (LIKE 'path%') and ordering by path: the list of a million elders then reads 51 rows
from the index instead of sorting the county."""

from django.db import migrations, models


def collate_c(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE elders_elder ALTER COLUMN region_path TYPE varchar(100) COLLATE "C"')
        schema_editor.execute("ANALYZE elders_elder")  # changing the type dropped the column's statistics


def collate_default(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE elders_elder ALTER COLUMN region_path TYPE varchar(100) COLLATE "default"')


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0002_registry"),
        ("regions", "0002_base_divisions"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="elder", name="elder_region_path_idx"),
        migrations.RunPython(collate_c, collate_default),
        migrations.AddIndex(
            model_name="elder",
            index=models.Index(fields=["region_path", "id"], name="elder_region_path_id_idx"),
        ),
    ]
