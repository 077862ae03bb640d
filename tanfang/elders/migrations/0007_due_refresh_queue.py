"""The due-refresh queue, moved here from the schedule (its table was renamed by schedule 0005), and
the region-wide entries a policy change or a weather event queues."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0006_elder_home_latitude_elder_home_longitude"),
        ("schedule", "0005_due_refresh_moves_to_elders"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DueRefresh",
                    fields=[
                        (
                            "elder",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="+",
                                serialize=False,
                                to="elders.elder",
                            ),
                        ),
                        ("region_path", models.CharField(max_length=100)),
                        ("token", models.BigIntegerField()),
                        ("queued_at", models.DateTimeField()),
                    ],
                ),
            ]
        ),
        migrations.CreateModel(
            name="RegionDueRefresh",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("region_path", models.CharField(max_length=100, unique=True)),
                ("token", models.BigIntegerField()),
                ("queued_at", models.DateTimeField()),
            ],
        ),
    ]
