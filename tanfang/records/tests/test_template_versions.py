"""A deployment that stored the Henan form before it had follow-up rules gets the next version on migrate."""

from __future__ import annotations

import importlib
import json

from django.apps import apps

from tanfang.records.models import FormTemplate
from tanfang.records.services import DEFAULT_TEMPLATE, rules_of

MIGRATION = importlib.import_module("tanfang.records.migrations.0003_henan_2023_needs_and_rules")


def test_an_old_henan_form_gains_a_version_with_rules_and_keeps_its_own(db):
    # given only the first Henan version, as stored before the rules existed
    FormTemplate.objects.all().delete()
    document = json.loads(DEFAULT_TEMPLATE.read_text(encoding="utf-8"))
    old = {k: v for k, v in document.items() if k != "follow_ups"}
    first = FormTemplate.objects.create(code="henan-2023", version=1, name=old["name"], definition=old)

    # when the migration runs (twice: it is safe to run again)
    MIGRATION.add_version(apps, None)
    MIGRATION.add_version(apps, None)

    # then version 2 carries the rules, and version 1 is unchanged
    versions = list(FormTemplate.objects.filter(code="henan-2023").order_by("version"))
    assert [t.version for t in versions] == [1, 2]
    assert versions[0].definition == old
    assert versions[1].definition == document
    assert not first.form.has_rules and versions[1].form.has_rules
    # and a record still arriving on version 1 is read by version 2's rules
    assert {r.code for r in rules_of(first)} == {r.code for r in versions[1].form.follow_ups}
