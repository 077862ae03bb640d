"""The due-refresh queue moves down to the elders app (every app that changes what an elder owes may
queue it): the table is renamed and the model leaves this app's state; elders 0007 takes it over."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0006_elder_home_latitude_elder_home_longitude"),
        ("schedule", "0004_due_refresh_queue"),
    ]

    operations = [
        migrations.AlterModelTable(name="duerefresh", table="elders_duerefresh"),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="DueRefresh")]),
    ]
