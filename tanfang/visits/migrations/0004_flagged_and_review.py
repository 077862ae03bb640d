"""Visit.flagged and Visit.review, for the month's figures: filled from the records' review states."""

from django.db import migrations, models


def from_records(apps, schema_editor):  # type: ignore[no-untyped-def]
    Visit = apps.get_model("visits", "Visit")
    VisitRecord = apps.get_model("records", "VisitRecord")
    rows = VisitRecord.objects.exclude(review_state="").values_list("visit_id", "review_state", "flags")
    batch = []
    for visit_id, state, flags in rows.iterator(chunk_size=5000):
        batch.append(Visit(pk=visit_id, review=state, flagged=bool(flags)))
        if len(batch) >= 5000:
            Visit.objects.bulk_update(batch, ["review", "flagged"])
            batch = []
    if batch:
        Visit.objects.bulk_update(batch, ["review", "flagged"])


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0003_fewer_indexes"),
        ("records", "0003_henan_2023_needs_and_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="flagged",
            field=models.BooleanField(default=False, verbose_name="有核查提示"),
        ),
        migrations.AddField(
            model_name="visit",
            name="review",
            field=models.CharField(blank=True, default="", max_length=16, verbose_name="审核"),
        ),
        migrations.RunPython(from_records, migrations.RunPython.noop),
    ]
