"""The Henan form's next version: structured need kinds, the 'entitled to assistance' tick and the
follow-up rules. Added only where an earlier version is already stored; old records keep theirs."""

import json
from pathlib import Path

from django.db import migrations

DOCUMENT = Path(__file__).resolve().parent.parent / "form_templates" / "henan-2023.json"


def add_version(apps, schema_editor):
    FormTemplate = apps.get_model("records", "FormTemplate")
    latest = FormTemplate.objects.filter(code="henan-2023").order_by("-version").first()
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    if latest is None or latest.definition == document or "follow_ups" in latest.definition:
        return
    FormTemplate.objects.create(
        code=latest.code,
        version=latest.version + 1,
        name=document["name"],
        definition=document,
        region=latest.region,
        region_path=latest.region_path,
        active=True,
    )


class Migration(migrations.Migration):
    dependencies = [("records", "0002_henan_2023_template")]

    operations = [migrations.RunPython(add_version, migrations.RunPython.noop)]
