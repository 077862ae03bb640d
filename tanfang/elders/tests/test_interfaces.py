"""The registry through its pages and its API: masked by default, errors in Chinese, audited exports."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from tanfang.audit.models import AuditEvent
from tanfang.core.id_numbers import make_citizen_id
from tanfang.devtools.factories import elder_input, make_elder
from tanfang.elders.models import Elder, ImportBatch
from tanfang.elders.tests.files import roster_csv
from tanfang.elders.tests.pages import edit_page_data

JIANSHE = "410823001001"


def test_the_list_page_masks_personal_data_and_finds_by_full_id_number(tree, officer_county_north, as_user):
    data = elder_input("王秀英", JIANSHE, phone="13800001234")
    make_elder(officer_county_north, "王秀英", JIANSHE, phone="13800001234")
    client = as_user(officer_county_north)

    page = client.get("/elders/").content.decode()
    found = client.post("/elders/", {"q": data.id_number}, follow=True).content.decode()

    assert "王秀英" in page and "138*****234" in page and "410823************" in page
    assert data.id_number not in page and "13800001234" not in page
    assert "王秀英" in found and data.id_number not in found


def test_the_api_answers_masked_values_and_a_422_naming_the_field(tree, officer_county_north, as_user):
    client = as_user(officer_county_north)
    number = make_citizen_id("410823", dt.date(1949, 12, 31), 21)

    created = client.post(
        "/api/v1/elders",
        {"name": "李桂兰", "id_number": number, "village_code": JIANSHE, "groups": [{"group": "living_alone"}]},
        content_type="application/json",
    )
    bad = client.post(
        "/api/v1/elders",
        {"name": "李桂兰", "id_number": number[:-1] + "0", "village_code": JIANSHE},
        content_type="application/json",
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["id_number"] == "410823************"
    assert body["groups"][0]["label"] == "独居" and body["old_old"] is False
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "id_number"
    assert "校验码" in bad.json()["errors"][0]["message"]


def test_a_duplicate_through_the_api_answers_409_with_the_existing_id(tree, officer_county_north, as_user):
    elder = make_elder(officer_county_north, "赵大", JIANSHE)
    number = elder_input("赵大", JIANSHE).id_number

    response = as_user(officer_county_north).post(
        "/api/v1/elders",
        {"name": "赵大", "id_number": number, "village_code": JIANSHE},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["existing_id"] == elder.pk


def test_patch_changes_only_what_is_sent(tree, officer_county_north, as_user):
    elder = make_elder(officer_county_north, "钱二", JIANSHE, address="1组", phone="13900001111")

    response = as_user(officer_county_north).patch(
        f"/api/v1/elders/{elder.pk}", {"address": "3组7号"}, content_type="application/json"
    )

    assert response.status_code == 200, response.content
    elder.refresh_from_db()
    assert elder.address == "3组7号" and elder.phone_masked == "139*****111" and elder.name == "钱二"


def test_revealing_through_the_api_needs_a_reason(tree, officer_county_north, as_user):
    elder = make_elder(officer_county_north, "孙三", JIANSHE)
    client = as_user(officer_county_north)

    refused = client.post(
        f"/api/v1/elders/{elder.pk}/reveal", {"field": "id_number", "reason": ""}, content_type="application/json"
    )
    shown = client.post(
        f"/api/v1/elders/{elder.pk}/reveal",
        {"field": "id_number", "reason": "办理补贴"},
        content_type="application/json",
    )

    assert refused.status_code == 422
    assert shown.status_code == 200 and shown.json()["value"] == elder_input("孙三", JIANSHE).id_number


def test_the_create_form_shows_field_errors_in_chinese(tree, officer_county_north, as_user):
    response = as_user(officer_county_north).post(
        "/elders/new/",
        {
            "name": "周四",
            "id_number": "410823194802300213",
            "village_code": JIANSHE,
            "group_source": "village_survey",
            **_empty_formsets(),
        },
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="id_number"' in text and "1948-02-30 不存在" in text
    assert Elder.objects.count() == 0


def _empty_formsets() -> dict[str, str]:
    data = {}
    for prefix in ("contacts", "household", "supporters", "benefits", "assistance"):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


def test_the_create_form_registers_with_a_contact(tree, officer_county_north, as_user):
    number = make_citizen_id("410823", dt.date(1945, 8, 1), 21)
    form = {
        "name": "吴五",
        "id_number": number,
        "village_code": JIANSHE,
        "lives_at_registration": "on",
        "groups": ["living_alone", "disabled"],
        "group_source": "village_survey",
        **_empty_formsets(),
        "contacts-TOTAL_FORMS": "1",
        "contacts-0-name": "吴小五",
        "contacts-0-relation": "儿子",
        "contacts-0-phone": "13712345678",
    }

    response = as_user(officer_county_north).post("/elders/new/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    elder = Elder.objects.get()
    assert elder.contacts.get().phone_masked == "137*****678"
    assert sorted(elder.groups.values_list("group", flat=True)) == ["disabled", "living_alone"]


def test_the_detail_page_reveals_once_with_a_reason(tree, officer_county_north, as_user):
    elder = make_elder(officer_county_north, "郑六", JIANSHE)
    number = elder_input("郑六", JIANSHE).id_number
    client = as_user(officer_county_north)

    shown = client.post(f"/elders/{elder.pk}/reveal/", {"field": "id_number", "reason": "核对户籍"})
    later = client.get(f"/elders/{elder.pk}/")

    assert number in shown.content.decode()
    assert number not in later.content.decode()
    assert AuditEvent.objects.filter(action="elder.revealed").count() == 1


def test_the_export_is_masked_within_scope_and_audited(tree, officer_county_north, officer_county_south, as_user):
    make_elder(officer_county_north, "冯七", JIANSHE, phone="13611112222")
    number = elder_input("冯七", JIANSHE).id_number

    mine = as_user(officer_county_north).get("/elders/export.xlsx")
    theirs = as_user(officer_county_south).get("/elders/export.xlsx")

    rows = list(load_workbook(io.BytesIO(mine.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "姓名" and rows[1][0] == "冯七"
    flat = " ".join(str(v) for row in rows for v in row)
    assert number not in flat and "13611112222" not in flat and "136*****222" in flat
    other = list(load_workbook(io.BytesIO(theirs.content)).worksheets[0].iter_rows(values_only=True))
    assert len(other) == 1  # the header only
    assert AuditEvent.objects.filter(action="elder.exported").count() == 2


def test_import_through_the_api_previews_then_commits(tree, officer_county_north, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_user(officer_county_north)
    number = make_citizen_id("410823", dt.date(1950, 5, 1), 21)
    upload = SimpleUploadedFile("台账.csv", roster_csv([("王一", number, JIANSHE)]), content_type="text/csv")

    preview = client.post("/api/v1/elders/imports", {"file": upload, "source": "civil_affairs"})
    assert preview.status_code == 201, preview.content
    batch_id = preview.json()["id"]
    assert preview.json()["state"] == "previewed" and Elder.objects.count() == 0

    committed = client.post(f"/api/v1/elders/imports/{batch_id}/commit")
    assert committed.status_code == 200
    assert committed.json()["state"] == "committed"
    assert ImportBatch.objects.get().state == "committed" and Elder.objects.count() == 1


def test_the_list_drills_down_from_the_users_region_to_the_village(tree, officer_county_north, as_user):
    make_elder(officer_county_north, "卫八", "410823001002")
    client = as_user(officer_county_north)

    top = client.get("/elders/").content.decode()
    township = client.get("/elders/", {"region": "410823001000"}).content.decode()
    village = client.get("/elders/", {"region": "410823001001"}).content.decode()

    assert "region=410823" in top and "武陟县" in top  # the officer's own county to start from
    assert "region=410823001001" in township and "建设社区居民委员会" in township
    assert "<strong>木城街道</strong>" in township and "卫八" in township
    assert "卫八" not in village  # she lives in 和平社区, not 建设社区


def test_editing_through_the_page_keeps_masked_values_it_was_shown(tree, officer_county_north, as_user):
    # given an elder with a contact and a household member whose numbers the form shows masked
    from tanfang.core.crypto import field_cipher
    from tanfang.elders.inputs import ContactInput, MemberInput
    from tanfang.elders.models import CONTACT_PHONE_CONTEXT, MEMBER_ID_CONTEXT

    spouse = make_citizen_id("410823", dt.date(1950, 2, 2), 22)
    elder = make_elder(
        officer_county_north,
        "褚九",
        JIANSHE,
        address="1组",
        contacts=[ContactInput("褚小九", "女儿", "13612345678")],
        household=[MemberInput("褚九", "户主"), MemberInput("李氏", "配偶", sex="F", id_number=spouse)],
    )
    client = as_user(officer_county_north)
    page = client.get(f"/elders/{elder.pk}/edit/").content.decode()

    # when the officer changes only the address and saves what the form showed
    data = edit_page_data(client, elder, address="5组9号")
    response = client.post(f"/elders/{elder.pk}/edit/", data)

    # then the page never held a number in full, the address changed, and the numbers behind the
    # masks are still the real ones: the elder's own as well as the contact's and the household's
    own = elder_input("褚九", JIANSHE).id_number
    assert own not in page and spouse not in page and "13612345678" not in page
    assert elder.id_number_masked in page
    assert response.status_code == 302, response.content.decode()[:3000]
    elder.refresh_from_db()
    assert elder.address == "5组9号"
    assert field_cipher().decrypt(bytes(elder.id_number_cipher), context="elders.id_number") == own
    cipher = field_cipher()
    contact = elder.contacts.get()
    assert contact.phone_cipher is not None
    assert cipher.decrypt(bytes(contact.phone_cipher), context=CONTACT_PHONE_CONTEXT) == "13612345678"
    member = elder.household.get(relation_to_head="配偶")
    assert member.id_number_cipher is not None
    assert cipher.decrypt(bytes(member.id_number_cipher), context=MEMBER_ID_CONTEXT) == spouse
