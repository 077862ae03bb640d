"""Records stored before snapshots existed get one: the registry as it is on the day this migration runs.

So an old record's print stops following the registry from now on; what it shows of sections 1–4 is
"as of the migration" (`as_of` = "migration"), not as of its visit, which nobody kept. Numbers are
copied as the registry stores them (token and mask); nothing is decrypted, so no key is needed.

The snapshot is written out here rather than imported from records.snapshot, so that this migration
keeps writing version 1 when the code changes (records.snapshot.read reads it).
"""

import base64

from django.db import migrations

CHUNK = 500  # elders at a time, with their rows below them


def _sealed(token, masked):
    return {"masked": masked or "", "cipher": base64.b64encode(bytes(token)).decode("ascii") if token else ""}


def _snapshot(elder, regions):
    names = [regions.get(code, "") for code in elder.region_path.split("/") if code]
    county, township, village = [*names, "", "", "", "", ""][2:5]
    contacts = sorted(elder.contacts.all(), key=lambda c: (c.position, c.pk))
    first = contacts[0] if contacts else None
    return {
        "county": county,
        "township": township,
        "village": village,
        "address": elder.address,
        "lives_at_registration": elder.lives_at_registration,
        "name": elder.name,
        "phone": _sealed(elder.phone_cipher, elder.phone_masked),
        "disability_certificate": _sealed(elder.disability_certificate_cipher, elder.disability_certificate_masked),
        "disabled": bool(
            elder.disability_grade
            or elder.disability_certificate_cipher
            or elder.disability_certificate_masked
            or elder.disability_type
        ),
        "groups": sorted({g.group for g in elder.groups.all() if g.until is None}),
        "contact": {
            "id": first.pk,
            "name": first.name,
            "relation": first.relation,
            "phone": _sealed(first.phone_cipher, first.phone_masked),
        }
        if first is not None
        else None,
        "household": [
            {
                "id": m.pk,
                "name": m.name,
                "sex": m.sex,
                "id_number": _sealed(m.id_number_cipher, m.id_number_masked),
                "relation_to_head": m.relation_to_head,
                "health": m.health,
                "subsistence": m.subsistence,
            }
            for m in sorted(elder.household.all(), key=lambda m: (m.position, m.pk))
        ],
        "drinking_water_safe": elder.drinking_water_safe,
        "electricity_safe": elder.electricity_safe,
        "housing_safe": elder.housing_safe,
        "household_income": f"{elder.household_income}" if elder.household_income is not None else "",
        "benefits": [
            {"kind": b.kind, "monthly_amount": f"{b.monthly_amount}"}
            for b in sorted(elder.benefits.all(), key=lambda b: b.pk)
        ],
        "assistance": [
            {
                "unit_type": a.unit_type,
                "unit_name": a.unit_name,
                "responsible_person": a.responsible_person,
                "measures": a.measures,
            }
            for a in sorted(elder.assistance.all(), key=lambda a: a.pk)
        ],
        "version": 1,
        "as_of": "migration",
    }


def fill(apps, schema_editor):
    using = schema_editor.connection.alias
    VisitRecord = apps.get_model("records", "VisitRecord")
    Elder = apps.get_model("elders", "Elder")
    Region = apps.get_model("regions", "Region")
    records = VisitRecord.objects.using(using)
    elder_ids = sorted(set(records.values_list("visit__elder_id", flat=True)))
    for start in range(0, len(elder_ids), CHUNK):
        chunk = elder_ids[start : start + CHUNK]
        elders = list(
            Elder.objects.using(using)
            .filter(pk__in=chunk)
            .prefetch_related("groups", "contacts", "household", "benefits", "assistance")
        )
        codes = {code for e in elders for code in e.region_path.split("/") if code}
        regions = dict(Region.objects.using(using).filter(code__in=codes).values_list("code", "name"))
        for elder in elders:
            records.filter(visit__elder_id=elder.pk).update(registry_snapshot=_snapshot(elder, regions))


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0004_visitrecord_registry_snapshot"),
        ("elders", "0009_masks_that_hold"),
        ("regions", "0002_base_divisions"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
