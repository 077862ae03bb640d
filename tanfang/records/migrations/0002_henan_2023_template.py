"""Load the default visit form: Henan's 2023 record form, as data."""

import json
from pathlib import Path

from django.db import migrations

TEMPLATE = Path(__file__).resolve().parent.parent / "form_templates" / "henan-2023.json"


def load(apps, schema_editor):
    FormTemplate = apps.get_model("records", "FormTemplate")
    document = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    FormTemplate.objects.get_or_create(
        code=document["code"], version=1, defaults={"name": document["name"], "definition": document}
    )


def unload(apps, schema_editor):
    apps.get_model("records", "FormTemplate").objects.filter(code="henan-2023", version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
