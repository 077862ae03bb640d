"""Private by default: what a role that may not reveal is shown of an elder's birth; searches for whole
numbers that never reach a URL; audit entries without whole numbers or birth dates; masks that hold."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import transaction
from openpyxl import load_workbook

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.audit.services import record_event
from tanfang.core.crypto import field_cipher
from tanfang.core.id_numbers import make_citizen_id
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import elder_input, make_elder
from tanfang.elders.inputs import MemberInput
from tanfang.elders.models import MEMBER_ID_CONTEXT
from tanfang.elders.selectors import ElderFilters, filter_elders
from tanfang.elders.services import input_from_elder, update_elder
from tanfang.elders.tests.pages import edit_page_data

JIANSHE = "410823001001"
# 79 on the pinned day, 80 by the year: where exact and by-year ages part.
BIRTH = dt.date(1946, 12, 31)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 5, 20, 15, 0, tzinfo=LOCAL_TZ), tick=False):
        yield


@pytest.fixture
def elder(tree, officer_county_north):
    return make_elder(officer_county_north, "韩秀云", JIANSHE, birth=BIRTH, sequence=62, phone="13812345678")


# --- the birth: the year alone for a role that may not reveal ----------------------------------------


def test_the_detail_page_shows_a_supervisor_the_birth_year_and_an_age_by_year(elder, supervisor_north, as_user):
    page = as_user(supervisor_north).get(f"/elders/{elder.pk}/").content.decode()

    assert "1946-12-31" not in page and "12-31" not in page
    assert "出生年份" in page and "1946年" in page
    assert "80岁" in page and "79岁" not in page and "高龄" in page  # 2026 − 1946, badge from the same


def test_the_detail_page_shows_a_county_officer_the_whole_date_and_the_exact_age(elder, officer_county_north, as_user):
    page = as_user(officer_county_north).get(f"/elders/{elder.pk}/").content.decode()

    assert "1946-12-31" in page and "79岁" in page and "高龄" not in page


def test_age_bands_count_by_year_for_a_role_that_may_not_reveal(elder, supervisor_north, officer_county_north):
    def names(actor, band: str) -> list[str]:
        return [e.name for e in filter_elders(actor, ElderFilters(age_band=band))]

    # she is 80 by the year, 79 by the day
    assert names(supervisor_north, "80+") == ["韩秀云"] and names(supervisor_north, "70-79") == []
    assert names(officer_county_north, "80+") == [] and names(officer_county_north, "70-79") == ["韩秀云"]


def test_the_api_gives_the_birth_year_alone_to_a_role_that_may_not_reveal(
    elder, supervisor_north, officer_county_north, as_user
):
    hidden = as_user(supervisor_north).get(f"/api/v1/elders/{elder.pk}").json()
    listed = as_user(supervisor_north).get("/api/v1/elders").json()["items"][0]
    whole = as_user(officer_county_north).get(f"/api/v1/elders/{elder.pk}").json()

    for body in (hidden, listed):
        assert (body["birth_date"], body["birth_year"], body["age"], body["old_old"]) == (None, 1946, 80, True)
        assert body["id_number"] == "410823************" and body["phone"] == "138*****678"
    assert (whole["birth_date"], whole["birth_year"], whole["age"], whole["old_old"]) == ("1946-12-31", 1946, 79, False)


def test_the_export_ages_by_year_for_a_role_that_may_not_reveal(elder, supervisor_north, officer_county_north, as_user):
    def rows(user):
        content = as_user(user).get("/elders/export.xlsx").content
        return list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))

    hidden, whole = rows(supervisor_north), rows(officer_county_north)

    assert hidden[0][2] == "年龄（按出生年份计算）" and hidden[1][2] == 80 and hidden[1][9] == "是"
    assert whole[0][2] == "年龄" and whole[1][2] == 79 and whole[1][9] in ("", None)


# --- searching by a whole number: POST, then a token in the URL ----------------------------------------


def _links(page: str) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', page)


def test_a_search_by_id_number_finds_the_elder_without_the_number_in_any_url(elder, officer_county_north, as_user):
    # given the officer types the whole ID number into the list's search box
    number = elder_input("韩秀云", JIANSHE, birth=BIRTH, sequence=62).id_number
    client = as_user(officer_county_north)

    # when the form is sent (a POST) and the browser follows the redirect
    sent = client.post("/elders/", {"q": number, "group": "", "status": ""})
    page = client.get(sent["Location"]).content.decode()

    # then the redirect carries a token, never the number, and the page finds her
    assert sent.status_code == 302
    assert number not in sent["Location"] and number[-4:] not in sent["Location"]
    assert re.fullmatch(r"/elders/\?find=[\w-]{16}", sent["Location"])
    assert "韩秀云" in page and 'data-testid="number-search"' in page and "410823************" in page
    # and no link or form on the page holds the number, nor does the page itself
    assert number not in page
    assert all(number not in link for link in _links(page))
    # and the export of what was found carries the token too, and finds the same one row
    export = next(link for link in _links(page) if link.startswith("/elders/export.xlsx"))
    rows = list(load_workbook(io.BytesIO(client.get(export.replace("&amp;", "&")).content)).worksheets[0].iter_rows())
    assert len(rows) == 2 and rows[1][0].value == "韩秀云"
    assert AuditEvent.objects.get(action="elder.exported").details["filters"] == {"number": "…"}


def test_a_search_by_phone_number_goes_the_same_way(elder, tree, officer_county_north, as_user):
    make_elder(officer_county_north, "韩二", JIANSHE, sequence=63)
    client = as_user(officer_county_north)

    sent = client.post("/elders/", {"q": "138 1234 5678"})
    page = client.get(sent["Location"]).content.decode()

    assert "13812345678" not in sent["Location"] and "find=" in sent["Location"]
    assert "韩秀云" in page and "韩二" not in page and "138*****678" in page


def test_a_name_search_stays_in_the_url(elder, officer_county_north, as_user):
    sent = as_user(officer_county_north).post("/elders/", {"q": "韩", "region": JIANSHE})

    assert urlsplit(sent["Location"]).query == "region=410823001001&q=%E9%9F%A9"


def test_a_whole_number_typed_into_the_url_is_not_searched(elder, officer_county_north, as_user):
    number = elder_input("韩秀云", JIANSHE, birth=BIRTH, sequence=62).id_number
    client = as_user(officer_county_north)

    sent = client.get("/elders/", {"q": number, "status": "active"})
    page = client.get(sent["Location"]).content.decode()

    assert sent.status_code == 302 and sent["Location"] == "/elders/?status=active"
    assert "身份证号和电话号码不能放在网址中" in page and number not in page


def test_a_token_from_another_session_finds_nobody(elder, officer_county_north, as_user):
    number = elder_input("韩秀云", JIANSHE, birth=BIRTH, sequence=62).id_number
    location = as_user(officer_county_north).post("/elders/", {"q": number})["Location"]

    page = as_user(officer_county_north).get(location).content.decode()

    assert "号码查找已失效" in page
    assert "韩秀云" not in page.split('data-testid="elder-list"')[1]


def test_the_api_searches_whole_numbers_by_post_and_refuses_them_in_the_url(elder, officer_county_north, as_user):
    number = elder_input("韩秀云", JIANSHE, birth=BIRTH, sequence=62).id_number
    client = as_user(officer_county_north)

    found = client.post("/api/v1/elders/search", {"q": number}, content_type="application/json")
    by_phone = client.post("/api/v1/elders/search", {"q": "13812345678"}, content_type="application/json")
    refused = client.get("/api/v1/elders", {"q": number})
    by_name = client.get("/api/v1/elders", {"q": "韩"})

    assert [e["name"] for e in found.json()["items"]] == ["韩秀云"] == [e["name"] for e in by_phone.json()["items"]]
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "q"
    assert "POST /api/v1/elders/search" in refused.json()["errors"][0]["message"]
    assert [e["name"] for e in by_name.json()["items"]] == ["韩秀云"]


# --- audit entries hold masks and years ------------------------------------------------------------------


def test_a_new_id_number_behind_the_same_mask_is_audited_without_the_number(elder, officer_county_north):
    # given a correction of the ID number to another day of the same year, in the same county
    old_number = elder_input("韩秀云", JIANSHE, birth=BIRTH, sequence=62).id_number
    new_number = make_citizen_id("410823", dt.date(1946, 3, 8), 62)
    data = input_from_elder(elder)
    data.id_number = new_number

    # when it is saved
    update_elder(actor=officer_county_north, elder=elder, data=data)

    # then the event names the number and the birth date as changed, showing only masks and the year
    event = AuditEvent.objects.get(action=Action.ELDER_UPDATED)
    assert event.changes == {"id_number_masked": {"old": "410823************", "new": "410823************"}}
    text = str(event.changes) + str(event.details)
    assert new_number not in text and old_number not in text and "1946-03-08" not in text


def test_the_history_shows_older_entries_masked_as_today(elder, supervisor_north, as_user):
    # given an entry written before masks hid the last four and birth dates were audited by year
    with transaction.atomic():
        record_event(
            actor=None,
            action=Action.ELDER_UPDATED,
            subject=elder,
            changes={
                "id_number_masked": {"old": "4108**********0228", "new": "4108**********0621"},
                "birth_date": {"old": "1946-12-30", "new": "1946-12-31"},
            },
        )

    # when a supervisor reads the record's history
    page = as_user(supervisor_north).get(f"/elders/{elder.pk}/").content.decode()
    timeline = page.split('data-testid="timeline"')[1]

    # then neither the last four nor the day is shown
    assert "0621" not in timeline and "12-31" not in timeline and "12-30" not in timeline
    assert "4108**************" in timeline and "1946-**-**" in timeline


# --- the edit page keeps each masked number on its own row ---------------------------------------------


def test_two_household_members_with_the_same_mask_keep_their_own_numbers(tree, officer_county_north, as_user):
    # given a household whose two members' numbers look the same masked
    husband = make_citizen_id("410823", dt.date(1944, 1, 2), 31)
    wife = make_citizen_id("410823", dt.date(1947, 6, 5), 42)
    elder = make_elder(
        officer_county_north,
        "鲁大爷",
        JIANSHE,
        household=[
            MemberInput("鲁大爷", "户主", sex="M", id_number=husband),
            MemberInput("孔大娘", "配偶", sex="F", id_number=wife),
        ],
    )
    client = as_user(officer_county_north)
    assert set(elder.household.values_list("id_number_masked", flat=True)) == {"410823************"}

    # when the officer saves the edit page, removing nothing, changing the address only
    data = edit_page_data(client, elder, address="5组")
    response = client.post(f"/elders/{elder.pk}/edit/", data)

    # then each member still has its own number
    assert response.status_code == 302
    cipher = field_cipher()
    kept = {
        m.name: cipher.decrypt(bytes(m.id_number_cipher or b""), context=MEMBER_ID_CONTEXT)
        for m in elder.household.all()
    }
    assert kept == {"鲁大爷": husband, "孔大娘": wife}


def test_a_cleared_row_does_not_shift_the_numbers_below_it(tree, officer_county_north, as_user):
    first = make_citizen_id("410823", dt.date(1944, 1, 2), 31)
    second = make_citizen_id("410823", dt.date(1947, 6, 5), 42)
    third = make_citizen_id("410823", dt.date(1970, 3, 3), 51)
    elder = make_elder(
        officer_county_north,
        "鲁大爷",
        JIANSHE,
        household=[
            MemberInput("鲁大爷", "户主", sex="M", id_number=first),
            MemberInput("孔大娘", "配偶", sex="F", id_number=second),
            MemberInput("鲁小", "儿子", sex="M", id_number=third),
        ],
    )
    client = as_user(officer_county_north)

    # when the second row is emptied on the page and the form saved
    data = edit_page_data(client, elder) | {"household-1-name": "", "household-1-id_number": ""}
    client.post(f"/elders/{elder.pk}/edit/", data)

    # then the third member keeps the third number, not the second
    cipher = field_cipher()
    kept = {
        m.name: cipher.decrypt(bytes(m.id_number_cipher or b""), context=MEMBER_ID_CONTEXT)
        for m in elder.household.all()
    }
    assert kept == {"鲁大爷": first, "鲁小": third}


def test_another_countys_officer_finds_nobody_by_number(elder, officer_county_south, as_user):
    number = elder_input("韩秀云", JIANSHE, birth=BIRTH, sequence=62).id_number
    client = as_user(officer_county_south)

    api = client.post("/api/v1/elders/search", {"q": number}, content_type="application/json")
    location = client.post("/elders/", {"q": number})["Location"]
    page = client.get(location).content.decode()

    assert api.status_code == 200 and api.json()["items"] == []
    assert "韩秀云" not in page
