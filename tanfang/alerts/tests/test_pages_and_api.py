"""The incident pages and API: the button, the page, calls, closing, the list, the PDF; scoping and bad input."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tanfang.alerts.models import CallAttempt, Incident, TimelineEntry
from tanfang.alerts.services import open_incident
from tanfang.audit.models import AuditEvent


def fingerprint() -> list[object]:
    return [
        list(Incident.objects.order_by("pk").values()),
        list(CallAttempt.objects.order_by("pk").values()),
        list(TimelineEntry.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action="access.refused").count(),
    ]


@pytest.fixture
def incident(scene) -> Incident:
    return open_incident(actor=scene.visitor_user, elder_id=scene.elder.pk, kind="medical")[0]


def test_the_emergency_button_on_the_elder_page_opens_an_incident(scene, officer_township_north, as_user):
    client = as_user(officer_township_north)
    page = client.get(f"/elders/{scene.elder.pk}/").content.decode()
    assert f'action="/incidents/elders/{scene.elder.pk}/open/"' in page and "火灾/燃气" in page

    response = client.post(f"/incidents/elders/{scene.elder.pk}/open/", {"kind": "fire_gas"})

    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    assert incident.kind == "fire_gas" and incident.opened_by == officer_township_north
    # the elder page now leads to the open incident instead
    assert f'href="/incidents/{incident.pk}/"' in client.get(f"/elders/{scene.elder.pk}/").content.decode()


def test_the_button_is_not_shown_to_a_role_that_does_not_report(scene, supervisor_north, as_user):
    page = as_user(supervisor_north).get(f"/elders/{scene.elder.pk}/").content.decode()

    assert "/open/" not in page


def test_the_incident_page_offers_the_emergency_numbers_then_the_contacts_in_order(scene, incident, as_user):
    page = as_user(scene.visitor_user).get(f"/incidents/{incident.pk}/").content.decode()

    son, neighbour = scene.elder.contacts.order_by("position")
    positions = [
        page.index('href="tel:120"'),
        page.index('href="tel:110"'),
        page.index('href="tel:119"'),
        page.index(f"?contact={son.pk}"),
        page.index(f"?contact={neighbour.pk}"),
    ]
    assert positions == sorted(positions)
    assert "13900002222" not in page and son.phone_masked in page


def test_the_one_tap_call_answers_tel_and_is_audited(scene, incident, as_user):
    son = scene.elder.contacts.get(name="王大明")

    response = as_user(scene.visitor_user).get(f"/incidents/{incident.pk}/call/?contact={son.pk}")

    assert response.status_code == 302 and response["Location"] == "tel:13900002222"
    event = AuditEvent.objects.get(action="elder.revealed")
    assert event.details == {"field": "contact_phone", "reason": "一键拨号", "contact": son.pk}


def test_a_call_is_logged_from_the_page_and_shows_in_the_timeline(scene, incident, as_user):
    client = as_user(scene.visitor_user)

    client.post(f"/incidents/{incident.pk}/calls/", {"target": "120", "outcome": "answered", "note": "已派车"})

    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "拨打 120 急救 120：已接通。已派车" in page


def test_closing_on_the_page_without_a_disposition_says_so_and_changes_nothing(
    incident, officer_township_north, as_user
):
    client = as_user(officer_township_north)
    before = fingerprint()

    response = client.post(f"/incidents/{incident.pk}/close/", {"disposition": "", "account": "已处理"}, follow=True)

    assert "请选择处置结果" in response.content.decode()
    assert fingerprint() == before


def test_the_archive_prints_the_whole_timeline_as_a_pdf(scene, incident, officer_township_north, as_user):
    client = as_user(officer_township_north)
    client.post(
        f"/incidents/{incident.pk}/calls/",
        {"target": f"contact:{scene.elder.contacts.first().pk}", "outcome": "no_answer"},
    )
    client.post(f"/incidents/{incident.pk}/close/", {"disposition": "family", "account": "儿子已赶到并送医"})

    response = client.get(f"/incidents/{incident.pk}/archive.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for words in ("紧急事件处置记录", "王老汉", "医疗急症", "无人接听", "已由家属接手", "儿子已赶到并送医", "结案"):
        assert words in text, words


def test_the_list_puts_open_incidents_first_and_filters_by_state(scene, incident, officer_county_north, tree, as_user):
    client = as_user(officer_county_north)
    open_page = client.get("/incidents/?state=open").content.decode()
    closed_page = client.get("/incidents/?state=closed").content.decode()

    assert "王老汉" in open_page and "王老汉" not in closed_page


def test_a_visitor_sees_only_its_paired_elders_incidents(scene, incident, visitor_north, as_user):
    client = as_user(visitor_north)  # a visitor of the same village, not paired with this elder

    assert "王老汉" not in client.get("/incidents/").content.decode()
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert client.get(f"/api/v1/incidents/{incident.pk}").status_code == 404
    assert client.get("/api/v1/incidents").json()["items"] == []
    assert "王老汉" in as_user(scene.visitor_user).get("/incidents/").content.decode()


# --- the API ---------------------------------------------------------------------------------


def test_the_api_opens_logs_a_call_closes_and_reads_the_timeline(scene, officer_township_north, as_user):
    reporter, officer = as_user(scene.visitor_user), as_user(officer_township_north)

    opened = reporter.post(
        f"/api/v1/elders/{scene.elder.pk}/incidents", {"kind": "missing"}, content_type="application/json"
    )
    again = reporter.post(
        f"/api/v1/elders/{scene.elder.pk}/incidents", {"kind": "fall"}, content_type="application/json"
    )
    incident_id = opened.json()["id"]
    call = reporter.post(
        f"/api/v1/incidents/{incident_id}/calls",
        {"target": "110", "outcome": "answered", "note": "派出所已出警"},
        content_type="application/json",
    )
    closed = officer.post(
        f"/api/v1/incidents/{incident_id}/close",
        {"disposition": "found", "account": "在村口找到，已送回家"},
        content_type="application/json",
    )
    read = reporter.get(f"/api/v1/incidents/{incident_id}")

    assert opened.status_code == 201 and again.status_code == 200 and again.json()["id"] == incident_id
    assert call.status_code == 201 and call.json()["number"] == "110" and call.json()["outcome_label"] == "已接通"
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    body = read.json()
    assert (body["kind_label"], body["disposition_label"], body["account"]) == (
        "走失",
        "已找到老人",
        "在村口找到，已送回家",
    )
    assert [e["kind"] for e in body["timeline"]] == ["opened", "call", "closed"]
    assert body["calls"][0]["note"] == "派出所已出警"


def test_the_api_refuses_bad_input_in_chinese_and_changes_nothing(scene, incident, officer_township_north, as_user):
    client = as_user(officer_township_north)
    before = fingerprint()

    no_disposition = client.post(
        f"/api/v1/incidents/{incident.pk}/close", {"account": "已处理"}, content_type="application/json"
    )
    no_outcome = client.post(
        f"/api/v1/incidents/{incident.pk}/calls", {"target": "120"}, content_type="application/json"
    )

    assert no_disposition.status_code == 422
    assert no_disposition.json()["errors"] == [{"field": "disposition", "message": "请选择处置结果"}]
    assert no_outcome.status_code == 422 and no_outcome.json()["message"] == "outcome：此项为必填项"
    assert fingerprint() == before

    client.post(
        f"/api/v1/incidents/{incident.pk}/close",
        {"disposition": "treated", "account": "x"},
        content_type="application/json",
    )
    after_close = fingerprint()
    late_call = client.post(
        f"/api/v1/incidents/{incident.pk}/calls",
        {"target": "120", "outcome": "answered"},
        content_type="application/json",
    )
    assert late_call.status_code == 422 and late_call.json()["message"] == "该紧急事件已结案，不能再记录"
    assert fingerprint() == after_close


def test_an_elder_of_another_county_answers_404_in_the_api(scene, officer_county_south, as_user):
    before = fingerprint()

    response = as_user(officer_county_south).post(
        f"/api/v1/elders/{scene.elder.pk}/incidents", {"kind": "fall"}, content_type="application/json"
    )

    assert response.status_code == 404 and response.json() == {"code": "not_found", "message": "未找到该记录"}
    assert fingerprint() == before
