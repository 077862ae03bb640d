"""Migration 0009 writes every stored mask again with today's masks, from the encrypted numbers."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from tanfang.core.id_numbers import mask_id_number, mask_phone
from tanfang.devtools.factories import elder_input, make_elder
from tanfang.elders.inputs import ContactInput, MemberInput, SupporterInput
from tanfang.elders.models import Elder, EmergencyContact, HouseholdMember, Supporter

JIANSHE = "410823001001"
migration = importlib.import_module("tanfang.elders.migrations.0009_masks_that_hold")


def test_old_masks_are_written_again_from_the_numbers(tree, officer_county_north):
    # given an elder whose masks were stored the old way, showing the last four digits
    number = elder_input("钱七", JIANSHE).id_number
    elder = make_elder(
        officer_county_north,
        "钱七",
        JIANSHE,
        phone="13800138000",
        contacts=[ContactInput("钱小七", "女儿", "13912345678")],
        supporters=[SupporterInput("钱大", "儿子", "13711112222")],
        household=[MemberInput("钱七", "户主", sex="M", id_number=number)],
    )
    old_mask = number[:4] + "*" * 10 + number[-4:]
    Elder.objects.filter(pk=elder.pk).update(id_number_masked=old_mask, phone_masked="138****8000")
    EmergencyContact.objects.update(phone_masked="139****5678")
    Supporter.objects.update(phone_masked="137****2222")
    HouseholdMember.objects.update(id_number_masked=old_mask)

    # when the migration runs
    migration.remask(apps, SimpleNamespace(connection=connection))

    # then every mask is today's
    elder.refresh_from_db()
    assert (elder.id_number_masked, elder.phone_masked, elder.phone2_masked) == (
        "410823************",
        "138*****000",
        "",
    )
    assert EmergencyContact.objects.get().phone_masked == "139*****678"
    assert Supporter.objects.get().phone_masked == "137*****222"
    assert HouseholdMember.objects.get().id_number_masked == "410823************"


@pytest.mark.parametrize("number", ["410823195003011234", "41082319500301123456", "123456789012345", "1234567"])
def test_the_migration_masks_id_numbers_as_the_code_does_today(number):
    assert migration.mask_id_number(number) == mask_id_number(number)


@pytest.mark.parametrize("phone", ["13812345678", "0371-12345678", "7654321", "110", ""])
def test_the_migration_masks_phones_as_the_code_does_today(phone):
    assert migration.mask_phone(phone) == mask_phone(phone)
