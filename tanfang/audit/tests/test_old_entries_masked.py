"""Entries written before the masks held (a whole birth date, the last four digits) are shown masked as today's."""

from __future__ import annotations

import datetime as dt

from tanfang.audit.actions import Action
from tanfang.audit.tests.logs import JIANSHE, event_at
from tanfang.core.id_numbers import mask_audited

OLD = {
    "birth_date": {"old": None, "new": "1946-03-17"},
    "id_number_masked": {"old": None, "new": "4108**********1234"},
    "phone_masked": {"old": "138****5678", "new": "139****4321"},
    "contacts": {"old": [], "new": [{"name": "王强", "phone_masked": "139****0000"}]},
    "name": {"old": "张桂兰", "new": "张桂芳"},
}


def test_the_display_rule_hides_what_old_entries_showed():
    assert mask_audited("birth_date", "1946-03-17") == "1946-**-**"
    assert mask_audited("id_number_masked", "4108**********1234") == "4108**************"
    assert mask_audited("phone_masked", "138****5678") == "138*****678"
    assert mask_audited("contacts", [{"phone_masked": "139****0000"}]) == [{"phone_masked": "139*****000"}]
    assert mask_audited("name", "张桂兰") == "张桂兰"


def test_the_list_the_api_and_the_export_show_old_entries_masked(tree, officer_county_north, audit_admin, as_user):
    # given an entry as an older version wrote it
    event = event_at(
        dt.datetime(2026, 5, 20, 2, 0, tzinfo=dt.UTC),
        action=Action.ELDER_UPDATED,
        region_path=JIANSHE,
        subject_type="elders.elder",
        subject_id="41",
        subject_label="张桂兰",
        changes=OLD,
    )

    # when the log is read three ways
    page = as_user(officer_county_north).get("/audit/").content.decode()
    api = as_user(officer_county_north).get(f"/api/v1/audit-events/{event.pk}").json()
    export = as_user(audit_admin).post(
        "/audit/export/", {"date_from": "2026-05-01", "date_to": "2026-05-31", "format": "csv"}
    )
    exported = b"".join(export.streaming_content).decode("utf-8-sig")

    # then none shows the day of birth or the last digits
    for text in (page, str(api["changes"]), exported):
        assert "1946-03-17" not in text and "1946-**-**" in text
        assert "1234" not in text and "5678" not in text and "4321" not in text
    assert api["changes"]["name"] == {"old": "张桂兰", "new": "张桂芳"}
