"""Sections 1–4 of a printed record show the registry as the visit left it: a snapshot kept with the record,
its numbers encrypted and masked as the registry keeps them. A record without one prints the registry now."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import io
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from pypdf import PdfReader

from tanfang.audit.models import AuditEvent
from tanfang.core.id_numbers import make_citizen_id
from tanfang.core.time import LOCAL_TZ
from tanfang.elders.inputs import AssistanceInput, BenefitInput, ContactInput, GroupInput, MemberInput
from tanfang.elders.models import Elder
from tanfang.elders.services import input_from_elder, update_elder
from tanfang.records import printing
from tanfang.records.models import VisitRecord
from tanfang.records.services import submit_record, submit_records
from tanfang.records.snapshot import take
from tanfang.records.tests.helpers import record_input
from tanfang.regions.paths import codes_of
from tanfang.regions.selectors import region_names_unscoped

HEPING = "410823001002"
SON_ID = make_citizen_id("410823", dt.date(1975, 6, 1), 33)
GRANDSON_ID = make_citizen_id("410823", dt.date(2001, 9, 9), 57)
ELDER_PHONE, SON_PHONE = "13800001234", "13900005678"
NEW_PHONE, NEW_CONTACT_PHONE = "13700009999", "13600004444"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 5, 20, 15, 0, tzinfo=LOCAL_TZ), tick=False):
        yield  # the visits below happen at 10:00 that day (helpers.daytime)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def text_of(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def registered(paired):
    """张桂兰 as the registry had her on the day of the first visit: living alone, a son in the household."""
    data = input_from_elder(paired.elder)
    data.groups = [GroupInput("living_alone")]
    data.household = [MemberInput("张建国", "子", sex="M", id_number=SON_ID, health="健康")]
    data.benefits = [BenefitInput("old_age", Decimal("100"))]
    data.assistance = [AssistanceInput("volunteer", "木城志愿服务队", "赵敏", "每周送菜")]
    data.household_income = Decimal("1200")
    update_elder(actor=paired.officer, elder=paired.elder, data=data)
    return paired


def token(value) -> str:
    """A stored SM4-GCM token as the snapshot keeps it."""
    return base64.b64encode(bytes(value)).decode()


def change_the_registry(setting) -> None:
    """Months later: she moved to 和平社区, lives with family, has a new phone, contact and household."""
    elder = Elder.objects.get(pk=setting.elder.pk)
    data = input_from_elder(elder)
    data.village_code = HEPING
    data.address = "和平路8号"
    data.lives_at_registration = False
    data.registered_region_code = "410823001001"  # still registered in 建设社区
    data.phone = NEW_PHONE
    data.groups = [GroupInput("left_behind")]
    data.contacts = [ContactInput("李梅", "女儿", NEW_CONTACT_PHONE)]
    data.household = [MemberInput("张小明", "孙子", sex="M", id_number=GRANDSON_ID)]
    data.benefits = [BenefitInput("pension", Decimal("300"))]
    data.assistance = [AssistanceInput("enterprise", "焦作某公司", "钱进", "逢年过节慰问")]
    data.household_income = Decimal("2500")
    update_elder(actor=setting.officer, elder=elder, data=data)


def visit_of(setting, **changes):
    visit, _created = submit_record(actor=setting.user, elder=setting.elder, data=record_input(**changes))
    return visit


def test_a_reprint_shows_the_registry_as_the_visit_left_it_and_a_new_visit_the_registry_now(registered, as_user):
    # given a visit recorded, then the registry changed
    first = visit_of(registered)
    change_the_registry(registered)
    second = visit_of(registered)
    client = as_user(registered.officer)

    # when both are printed again, masked
    old = text_of(client.get(f"/records/visits/{first.pk}/form.pdf").content)
    new = text_of(client.get(f"/records/visits/{second.pk}/form.pdf").content)

    # then the first shows sections 1–4 as they were on its day
    then_shown = ("建设社区居民委员会", "建设路12号", "138*****234", "王强（儿子）139*****678", "张建国",
                  "410823********", "高龄津贴 100.00元", "木城志愿服务队", "赵敏", "每周送菜", "1200.00")  # fmt: skip
    for then in then_shown:
        assert then in old, then
    for now in ("和平社区居民委员会", "和平路8号", "137*****999", "李梅", "张小明", "养老金", "焦作某公司", "2500.00"):
        assert now not in old, now
    # and the new visit shows the registry as it is now
    now_shown = ("和平社区居民委员会", "和平路8号", "137*****999", "李梅（女儿）136*****444", "张小明",
                 "养老金 300.00元", "焦作某公司", "钱进", "逢年过节慰问", "2500.00")  # fmt: skip
    for now in now_shown:
        assert now in new, now
    for then in ("建设路12号", "王强", "张建国", "木城志愿服务队"):
        assert then not in new, then


def test_a_reprint_in_full_shows_the_numbers_the_visit_saw_and_is_audited(registered, as_user):
    # given a visit recorded, then a new phone, contact and household in the registry
    first = visit_of(registered)
    change_the_registry(registered)

    # when the county officer prints it again in full, saying why
    response = as_user(registered.officer).post(f"/records/visits/{first.pk}/form.pdf", {"reason": "档案复核"})

    # then the numbers are those of the visit's day, in full, and the job is one audited reveal
    text = text_of(response.content)
    assert response.status_code == 200
    assert ELDER_PHONE in text and SON_PHONE in text and SON_ID in text
    assert NEW_PHONE not in text and NEW_CONTACT_PHONE not in text and GRANDSON_ID not in text
    assert "138*****234" not in text
    [revealed] = AuditEvent.objects.filter(action="elder.revealed")
    assert revealed.details["visits"] == [first.pk] and revealed.details["reason"] == "档案复核"


def test_the_snapshot_keeps_exactly_what_sections_1_to_4_print(registered):
    # when a visit is recorded
    visit = visit_of(registered)

    # then its record carries the registry of that moment, numbers as the registry stores them
    snapshot = VisitRecord.objects.get(pk=visit.pk).registry_snapshot
    elder = Elder.objects.get(pk=registered.elder.pk)
    contact, member = elder.contacts.get(), elder.household.get()
    assert snapshot == {
        "county": "武陟县",
        "township": "木城街道",
        "village": "建设社区居民委员会",
        "address": "建设路12号",
        "lives_at_registration": True,
        "name": "张桂兰",
        "phone": {"masked": "138*****234", "cipher": token(elder.phone_cipher)},
        "disability_certificate": {"masked": "", "cipher": ""},
        "disabled": False,
        "groups": ["living_alone"],
        "contact": {
            "id": contact.pk,
            "name": "王强",
            "relation": "儿子",
            "phone": {"masked": "139*****678", "cipher": token(contact.phone_cipher)},
        },
        "household": [
            {
                "id": member.pk,
                "name": "张建国",
                "sex": "M",
                "id_number": {
                    "masked": member.id_number_masked,
                    "cipher": token(member.id_number_cipher),
                },
                "relation_to_head": "子",
                "health": "健康",
                "subsistence": "",
            }
        ],
        "drinking_water_safe": None,
        "electricity_safe": None,
        "housing_safe": None,
        "household_income": "1200.00",
        "benefits": [{"kind": "old_age", "monthly_amount": "100.00"}],
        "assistance": [
            {
                "unit_type": "volunteer",
                "unit_name": "木城志愿服务队",
                "responsible_person": "赵敏",
                "measures": "每周送菜",
            }
        ],
        "version": 1,
        "as_of": "visit",
    }


def test_no_plain_id_or_phone_number_is_stored_in_the_snapshot(registered):
    # given an elder with a disability certificate as well
    elder = Elder.objects.get(pk=registered.elder.pk)
    data = input_from_elder(elder)
    certificate = data.id_number + "11"
    data.disability_certificate, data.disability_grade, data.disability_type = certificate, 1, "physical"
    update_elder(actor=registered.officer, elder=elder, data=data)

    # when a visit is recorded
    visit = visit_of(registered)

    # then none of her numbers, her contact's or her household's is in its snapshot in plain
    stored = json.dumps(VisitRecord.objects.get(pk=visit.pk).registry_snapshot, ensure_ascii=False)
    for number in (ELDER_PHONE, SON_PHONE, SON_ID, data.id_number, certificate):
        assert number not in stored
        assert number[-8:] not in stored  # not even its tail
    assert '"disabled": true' in stored and "138*****234" in stored


def test_corrections_made_on_the_visit_are_in_its_snapshot(registered):
    # when the visitor corrects the address and the water during the visit
    corrections = {"address": "建设路15号", "drinking_water_safe": False}
    visit = visit_of(registered, registry_confirmed=True, corrections=corrections)

    # then the record keeps the registry as the visit left it
    snapshot = VisitRecord.objects.get(pk=visit.pk).registry_snapshot
    assert (snapshot["address"], snapshot["drinking_water_safe"]) == ("建设路15号", False)


def test_two_visits_of_one_elder_in_a_batch_each_keep_the_registry_as_it_left_them(registered):
    # when a phone sends two visits at once, the second correcting the address
    results = submit_records(
        actor=registered.user,
        items=[
            (registered.elder, record_input(method="phone")),
            (registered.elder, record_input(registry_confirmed=True, corrections={"address": "建设路15号"})),
        ],
    )

    # then the first keeps the address it saw, the second the one it corrected
    first, second = (VisitRecord.objects.get(visit__client_id=r.client_id) for r in results)
    assert (first.registry_snapshot["address"], second.registry_snapshot["address"]) == ("建设路12号", "建设路15号")


def test_a_record_without_a_snapshot_prints_the_registry_as_it_is_now(registered, as_user):
    # given a record stored before snapshots existed, and a registry changed since
    visit = visit_of(registered)
    VisitRecord.objects.filter(pk=visit.pk).update(registry_snapshot={})
    change_the_registry(registered)

    # when it is printed, masked and in full
    client = as_user(registered.officer)
    masked = text_of(client.get(f"/records/visits/{visit.pk}/form.pdf").content)
    full = text_of(client.post(f"/records/visits/{visit.pk}/form.pdf", {"reason": "档案复核"}).content)

    # then it shows the registry as it is now
    assert "和平路8号" in masked and "137*****999" in masked and "李梅" in masked
    assert NEW_PHONE in full and NEW_CONTACT_PHONE in full and GRANDSON_ID in full


def test_the_migration_fills_old_records_with_the_same_snapshot_as_of_the_migration(registered):
    # given the snapshot records migration 0005 writes for a record stored before snapshots
    migration = importlib.import_module("tanfang.records.migrations.0005_fill_registry_snapshots")
    elder = Elder.objects.get(pk=registered.elder.pk)
    regions = region_names_unscoped(codes_of(elder.region_path))

    # then it is the one a visit takes, marked as taken by the migration
    assert migration._snapshot(elder, regions) == take(elder, regions) | {"as_of": "migration"}


def test_printing_reads_a_migrated_snapshot(registered):
    # given a record stored before snapshots, filled by the migration, then the registry changed
    visit = visit_of(registered)
    VisitRecord.objects.filter(pk=visit.pk).update(registry_snapshot={})
    migration = importlib.import_module("tanfang.records.migrations.0005_fill_registry_snapshots")
    state = MigrationLoader(connection).project_state(("records", "0005_fill_registry_snapshots"))
    migration.fill(state.apps, SimpleNamespace(connection=connection))
    change_the_registry(registered)
    assert VisitRecord.objects.get(pk=visit.pk).registry_snapshot["as_of"] == "migration"

    # when it is printed
    text = text_of(printing.print_visits(actor=None, visits=[visit]))

    # then it shows what the migration kept, numbers in full from the kept tokens
    assert "建设路12号" in text and ELDER_PHONE in text and SON_ID in text
    assert "和平路8号" not in text and NEW_PHONE not in text
