"""Masks that hold: every stored mask is written again from its number with today's masks.

ID numbers were masked "4108**********1234" and phone numbers "138****5678": the last four of an ID
number name its sequence, and the check character then leaves one birth day in eleven; a mobile
number showed all but 10^4 possibilities. Now an ID number shows its region code alone
("410823************") and a phone number hides at least five digits ("138*****678"); see
core.id_numbers. Lists, exports and the API read the stored masks, so they are rewritten here.

The masks are written out here rather than imported, so that this migration keeps doing what it did
when the code changes. An empty database needs no keys.
"""

from django.db import migrations

from tanfang.core.crypto import field_cipher


def mask_id_number(number):
    if len(number) < 8:
        return "****"
    keep = min(6, len(number) // 3)
    return number[:keep] + "*" * (len(number) - keep)


def mask_phone(phone):
    if not phone:
        return ""
    digits = sum(c.isascii() and c.isdigit() for c in phone)
    shown = max(0, digits - 5)
    head = min(3, shown)
    tail = min(3, shown - head)
    masked, seen = [], 0
    for character in phone:
        if character.isascii() and character.isdigit():
            seen += 1
            masked.append(character if seen <= head or seen > digits - tail else "*")
        else:
            masked.append(character if digits > 5 else "*")
    return "".join(masked)


def _plain(token, context):
    return field_cipher().decrypt(bytes(token), context=context) if token else ""


# model, (stored mask, ciphertext, context, mask)
FIELDS = {
    "Elder": [
        ("id_number_masked", "id_number_cipher", "elders.id_number", mask_id_number),
        ("phone_masked", "phone_cipher", "elders.phone", mask_phone),
        ("phone2_masked", "phone2_cipher", "elders.phone", mask_phone),
        (
            "disability_certificate_masked",
            "disability_certificate_cipher",
            "elders.disability_certificate",
            mask_id_number,
        ),
    ],
    "EmergencyContact": [("phone_masked", "phone_cipher", "elders.contact_phone", mask_phone)],
    "Supporter": [("phone_masked", "phone_cipher", "elders.contact_phone", mask_phone)],
    "HouseholdMember": [("id_number_masked", "id_number_cipher", "elders.member_id_number", mask_id_number)],
}


def remask(apps, schema_editor):
    using = schema_editor.connection.alias
    for name, fields in FIELDS.items():
        rows = apps.get_model("elders", name).objects.using(using)
        columns = ["pk"] + [f for field in fields for f in field[:2]]
        for row in rows.values(*columns).iterator(chunk_size=1000):
            values = {
                masked: mask(_plain(row[cipher], context)) if row[cipher] else ""
                for masked, cipher, context, mask in fields
            }
            if any(row[masked] != value for masked, value in values.items()):
                rows.filter(pk=row["pk"]).update(**values)


class Migration(migrations.Migration):
    dependencies = [("elders", "0008_import_file_encrypted")]

    operations = [migrations.RunPython(remask, migrations.RunPython.noop)]
