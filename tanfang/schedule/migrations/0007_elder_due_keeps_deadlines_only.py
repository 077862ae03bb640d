"""ElderDue keeps what the work list needs; the month's denominator and visited live in MonthDue (0006)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("schedule", "0006_month_facts"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="elderdue",
            name="elderdue_month_counts_idx",
        ),
        migrations.RemoveField(
            model_name="elderdue",
            name="in_denominator",
        ),
        migrations.RemoveField(
            model_name="elderdue",
            name="visited",
        ),
    ]
