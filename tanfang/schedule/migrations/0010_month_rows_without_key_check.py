"""MonthDue.elder without a foreign key in the database (decision 0016).

The rows are derived from elders the same code has just read; the key check at commit locked every elder
row a rebuild wrote for, about 5 s of a province's first month. Deleting an elder through the ORM still
deletes its rows (Django's CASCADE).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0009_masks_that_hold"),
        ("schedule", "0009_village_months"),
    ]

    operations = [
        migrations.AlterField(
            model_name="monthdue",
            name="elder",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="elders.elder",
            ),
        ),
    ]
