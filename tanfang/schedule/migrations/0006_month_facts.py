"""The month's figures: elder months, region facts, visitors active, month close and corrections.

On PostgreSQL the region paths are in the "C" collation, so prefix filters read the indexes. Every elder
is queued for a recompute, which fills the last months (schedule.months.WINDOW) in the background.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def collate_c(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for table, column in [
            ("schedule_monthdue", "region_path"),
            ("schedule_monthfact", "region_path"),
            ("schedule_monthfact", "parent_path"),
            ("schedule_closedfact", "region_path"),
            ("schedule_closedfact", "parent_path"),
            ("schedule_visitormonth", "region_path"),
            ("schedule_correction", "region_path"),
        ]:
            schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar(100) COLLATE "C"')


def queue_everyone(apps, schema_editor):  # type: ignore[no-untyped-def]
    Elder = apps.get_model("elders", "Elder")
    if Elder.objects.exists():
        import secrets

        from django.utils import timezone

        apps.get_model("elders", "RegionDueRefresh").objects.update_or_create(
            region_path="", defaults={"token": secrets.randbits(62), "queued_at": timezone.now()}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0009_masks_that_hold"),
        ("schedule", "0005_due_refresh_moves_to_elders"),
        ("visits", "0004_flagged_and_review"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="regionpolicy",
            name="count_declined",
            field=models.BooleanField(default=False, verbose_name="不愿接受探访的老人计入应探访人数"),
        ),
        migrations.CreateModel(
            name="MonthClose",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("region_path", models.CharField(max_length=100)),
                ("month", models.DateField()),
                ("closed", models.BooleanField(default=True)),
                ("closed_at", models.DateTimeField()),
                ("reopened_at", models.DateTimeField(blank=True, null=True)),
                ("reason", models.CharField(blank=True, max_length=200)),
                (
                    "closed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "reopened_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Correction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("region_path", models.CharField(max_length=100)),
                ("month", models.DateField()),
                (
                    "kind",
                    models.CharField(choices=[("late_record", "月结后补录"), ("review", "月结后审核")], max_length=16),
                ),
                ("reason", models.CharField(blank=True, max_length=200)),
                ("at", models.DateTimeField()),
                ("absorbed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "elder",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="elders.elder"),
                ),
                (
                    "visit",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="visits.visit",
                    ),
                ),
                (
                    "absorbed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="absorbed",
                        to="schedule.monthclose",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="ClosedFact",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("region_path", models.CharField(max_length=100)),
                ("parent_path", models.CharField(max_length=100)),
                ("month", models.DateField()),
                ("cohort", models.PositiveSmallIntegerField()),
                ("elders", models.IntegerField(default=0)),
                ("to_visit", models.IntegerField(default=0)),
                ("visited", models.IntegerField(default=0)),
                ("visited_home", models.IntegerField(default=0)),
                ("visited_video", models.IntegerField(default=0)),
                ("visited_phone", models.IntegerField(default=0)),
                ("visited_other", models.IntegerField(default=0)),
                ("declined", models.IntegerField(default=0)),
                ("contacts", models.IntegerField(default=0)),
                ("attempts", models.IntegerField(default=0)),
                ("flagged", models.IntegerField(default=0)),
                ("pending", models.IntegerField(default=0)),
                ("confirmed", models.IntegerField(default=0)),
                ("rejected", models.IntegerField(default=0)),
                ("fu_opened", models.IntegerField(default=0)),
                ("fu_done", models.IntegerField(default=0)),
                ("fu_overdue", models.IntegerField(default=0)),
                ("services", models.IntegerField(default=0)),
                ("satisfaction_sum", models.IntegerField(default=0)),
                ("satisfaction_n", models.IntegerField(default=0)),
                ("incidents", models.IntegerField(default=0)),
                ("visitors_active", models.IntegerField(default=0)),
                (
                    "close",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="facts", to="schedule.monthclose"
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="MonthDue",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField()),
                ("region_path", models.CharField(max_length=100)),
                ("cohort", models.PositiveSmallIntegerField(default=0)),
                ("to_visit", models.BooleanField(default=False)),
                ("visited", models.BooleanField(default=False)),
                ("method", models.CharField(blank=True, max_length=8)),
                ("declined", models.BooleanField(default=False)),
                ("contacts", models.PositiveSmallIntegerField(default=0)),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("flagged", models.PositiveSmallIntegerField(default=0)),
                ("pending", models.PositiveSmallIntegerField(default=0)),
                ("confirmed", models.PositiveSmallIntegerField(default=0)),
                ("rejected", models.PositiveSmallIntegerField(default=0)),
                ("fu_opened", models.PositiveSmallIntegerField(default=0)),
                ("fu_done", models.PositiveSmallIntegerField(default=0)),
                ("fu_overdue", models.PositiveSmallIntegerField(default=0)),
                ("services", models.PositiveSmallIntegerField(default=0)),
                ("satisfaction_sum", models.PositiveIntegerField(default=0)),
                ("satisfaction_n", models.PositiveSmallIntegerField(default=0)),
                ("incidents", models.PositiveSmallIntegerField(default=0)),
                ("visitors", models.JSONField(default=list)),
                (
                    "elder",
                    models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="elders.elder"
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="MonthFact",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("region_path", models.CharField(max_length=100)),
                ("parent_path", models.CharField(max_length=100)),
                ("month", models.DateField()),
                ("cohort", models.PositiveSmallIntegerField()),
                ("elders", models.IntegerField(default=0)),
                ("to_visit", models.IntegerField(default=0)),
                ("visited", models.IntegerField(default=0)),
                ("visited_home", models.IntegerField(default=0)),
                ("visited_video", models.IntegerField(default=0)),
                ("visited_phone", models.IntegerField(default=0)),
                ("visited_other", models.IntegerField(default=0)),
                ("declined", models.IntegerField(default=0)),
                ("contacts", models.IntegerField(default=0)),
                ("attempts", models.IntegerField(default=0)),
                ("flagged", models.IntegerField(default=0)),
                ("pending", models.IntegerField(default=0)),
                ("confirmed", models.IntegerField(default=0)),
                ("rejected", models.IntegerField(default=0)),
                ("fu_opened", models.IntegerField(default=0)),
                ("fu_done", models.IntegerField(default=0)),
                ("fu_overdue", models.IntegerField(default=0)),
                ("services", models.IntegerField(default=0)),
                ("satisfaction_sum", models.IntegerField(default=0)),
                ("satisfaction_n", models.IntegerField(default=0)),
                ("incidents", models.IntegerField(default=0)),
            ],
            options={
                "indexes": [models.Index(fields=["parent_path", "month"], name="monthfact_children_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("region_path", "month", "cohort"), name="monthfact_key")
                ],
            },
        ),
        migrations.CreateModel(
            name="VisitorMonth",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("visitor_id", models.BigIntegerField()),
                ("month", models.DateField()),
                ("region_path", models.CharField(max_length=100)),
                ("rows", models.IntegerField(default=0)),
            ],
            options={
                "indexes": [models.Index(fields=["month", "region_path"], name="visitormonth_month_region_idx")],
                "constraints": [
                    models.UniqueConstraint(fields=("visitor_id", "month", "region_path"), name="visitormonth_key")
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="monthclose",
            constraint=models.UniqueConstraint(fields=("region_path", "month"), name="monthclose_key"),
        ),
        migrations.AddIndex(
            model_name="correction",
            index=models.Index(fields=["month", "region_path"], name="correction_month_region_idx"),
        ),
        migrations.AddIndex(
            model_name="closedfact",
            index=models.Index(fields=["region_path", "month"], name="closedfact_region_idx"),
        ),
        migrations.AddIndex(
            model_name="closedfact",
            index=models.Index(fields=["parent_path", "month"], name="closedfact_children_idx"),
        ),
        migrations.AddIndex(
            model_name="monthdue",
            index=models.Index(fields=["month", "region_path"], name="monthdue_month_region_idx"),
        ),
        migrations.AddConstraint(
            model_name="monthdue",
            constraint=models.UniqueConstraint(fields=("elder", "month"), name="monthdue_elder_month"),
        ),
        migrations.AddConstraint(
            model_name="closedfact",
            constraint=models.UniqueConstraint(fields=("close", "region_path", "cohort"), name="closedfact_key"),
        ),
        migrations.RunPython(collate_c, migrations.RunPython.noop),
        migrations.RunPython(queue_everyone, migrations.RunPython.noop),
    ]
