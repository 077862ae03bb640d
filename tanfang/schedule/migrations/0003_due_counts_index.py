"""ElderDue.region_path in the "C" collation on PostgreSQL, so the officers' prefix filters and the
month counts read an index instead of the table."""

from django.db import migrations, models


def collate_c(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE schedule_elderdue ALTER COLUMN region_path TYPE varchar(100) COLLATE "C"')
        schema_editor.execute("ANALYZE schedule_elderdue")


def collate_default(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE schedule_elderdue ALTER COLUMN region_path TYPE varchar(100) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0005_risk_level"),
        ("schedule", "0002_recomputejob_elderdue_weatherevent_regionpolicy"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="elderdue", name="elderdue_month_idx"),
        migrations.RunPython(collate_c, collate_default),
        migrations.AddIndex(
            model_name="elderdue",
            index=models.Index(
                fields=["region_path", "month", "in_denominator", "visited"], name="elderdue_month_counts_idx"
            ),
        ),
    ]
