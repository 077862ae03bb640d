"""Printing: masked unless full numbers are asked for with a reason, once per print job, audited like a
reveal; a village's month for those who see a region's figures, a township's only up to a bound."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from pypdf import PdfReader

from tanfang.audit.models import AuditEvent
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder
from tanfang.elders.inputs import ContactInput
from tanfang.records import printing
from tanfang.records.services import submit_record
from tanfang.records.tests.helpers import JIANSHE, record_input
from tanfang.visitors.services import pair

HEPING = "410823001002"
MONTH = "2026-05"
REVEALED, PRINTED = "elder.revealed", "visit.form_printed"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 5, 20, 15, 0, tzinfo=LOCAL_TZ), tick=False):
        yield  # the visits below happen at 10:00 that day (helpers.daytime)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def text_of(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def visit_of(paired):
    visit, _created = submit_record(actor=paired.user, elder=paired.elder, data=record_input())
    return visit


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- one visit -------------------------------------------------------------------------------


def test_a_print_without_a_reason_is_masked_for_everyone_and_reveals_nothing(paired, as_user):
    # given a visit, and a county officer who could ask for full numbers
    visit = visit_of(paired)

    # when the officer opens the print link
    response = as_user(paired.officer).get(f"/records/visits/{visit.pk}/form.pdf")

    # then the form is masked, the print is audited, and nothing counts as a reveal
    text = text_of(response.content)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "138*****234" in text and "139*****678" in text
    assert "13800001234" not in text and "13900005678" not in text
    assert events(REVEALED) == []
    [printed] = events(PRINTED)
    assert printed.details == {"visits": [visit.pk], "count": 1, "full": False}


def test_full_numbers_are_printed_for_a_reason_as_one_job_audited_like_a_reveal(paired, as_user):
    # given a visit
    visit = visit_of(paired)

    # when the county officer prints it with full numbers, saying why
    response = as_user(paired.officer).post(f"/records/visits/{visit.pk}/form.pdf", {"reason": "县民政局存档"})

    # then the form carries the numbers in full
    text = text_of(response.content)
    assert response.status_code == 200
    assert "13800001234" in text and "13900005678" in text
    # and the job is one reveal, with the reason, the elder and the visit, and one print
    [revealed] = events(REVEALED)
    assert (revealed.subject_id, revealed.actor_id) == (str(paired.elder.pk), paired.officer.pk)
    assert revealed.details == {
        "field": "print",
        "reason": "县民政局存档",
        "elders": [paired.elder.pk],
        "elder_count": 1,
        "visits": [visit.pk],
    }
    [printed] = events(PRINTED)
    assert printed.details == {"visits": [visit.pk], "count": 1, "full": True, "reason": "县民政局存档"}


def test_full_numbers_without_a_reason_are_refused_and_nothing_is_audited(paired, as_user):
    visit = visit_of(paired)

    response = as_user(paired.officer).post(f"/records/visits/{visit.pk}/form.pdf", {"reason": " 　"})

    assert response.status_code == 422
    assert "请说明打印完整信息的理由" in response.content.decode()
    assert events(REVEALED) == events(PRINTED) == []


def test_a_role_that_may_not_reveal_gets_masked_prints_and_no_question(paired, supervisor_north, as_user):
    # given a supervisor, who sees the county's visits but may not reveal numbers
    visit = visit_of(paired)
    client = as_user(supervisor_north)

    # when it opens the visit, prints it, and tries to ask for full numbers anyway
    page = client.get(f"/records/visits/{visit.pk}/").content.decode()
    masked = client.get(f"/records/visits/{visit.pk}/form.pdf")
    refused = client.post(f"/records/visits/{visit.pk}/form.pdf", {"reason": "想看看"})

    # then the page asks no reason, the print is masked, and full numbers are refused
    assert 'data-testid="print"' in page and 'name="reason"' not in page
    assert "138*****234" in text_of(masked.content)
    assert refused.status_code == 403
    assert events(REVEALED) == [] and len(events(PRINTED)) == 1


def test_the_visit_page_asks_a_revealing_role_for_the_reason(paired, as_user):
    visit = visit_of(paired)

    page = as_user(paired.officer).get(f"/records/visits/{visit.pk}/").content.decode()

    assert f'action="/records/visits/{visit.pk}/form.pdf"' in page and 'name="reason" required' in page
    assert f'href="/records/visits/{visit.pk}/form.pdf"' in page  # the masked print stays a link


def test_the_api_prints_masked_on_get_and_full_on_post_with_a_reason(paired, supervisor_north, as_user):
    visit = visit_of(paired)
    officer = as_user(paired.officer)

    masked = officer.get(f"/api/v1/visits/{visit.pk}/form.pdf")
    full = officer.post(
        f"/api/v1/visits/{visit.pk}/form.pdf", {"reason": "核对家庭成员"}, content_type="application/json"
    )
    blank = officer.post(f"/api/v1/visits/{visit.pk}/form.pdf", {"reason": ""}, content_type="application/json")
    refused = as_user(supervisor_north).post(
        f"/api/v1/visits/{visit.pk}/form.pdf", {"reason": "想看看"}, content_type="application/json"
    )

    assert "13800001234" not in text_of(masked.content) and "13800001234" in text_of(full.content)
    assert blank.status_code == 422
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert [e.details["reason"] for e in events(REVEALED)] == ["核对家庭成员"]
    assert [e.details["full"] for e in events(PRINTED)] == [False, True]


# --- a village's month ----------------------------------------------------------------------------


@pytest.fixture
def two_villages(paired):
    """Two visits in 建设社区 and one in 和平社区, all this month."""
    other = make_elder(
        paired.officer,
        "刘秀珍",
        HEPING,
        sequence=62,
        registered_on=dt.date(2025, 3, 1),
        phone="13700002468",
        contacts=[ContactInput("刘军", "儿子", "13600001357")],
    )
    pair(actor=paired.officer, elder=other, visitor=paired.visitor, on=dt.date(2025, 3, 1))
    first = visit_of(paired)
    second, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input(method="phone"))
    third, _ = submit_record(actor=paired.user, elder=other, data=record_input())
    return first, second, third


def test_a_village_month_prints_as_one_job_with_one_reason(two_villages, paired, as_user):
    first, second, _third = two_villages

    response = as_user(paired.officer).post(
        f"/records/villages/{JIANSHE}/forms.pdf", {"month": MONTH, "reason": "季度检查"}
    )

    assert response.status_code == 200 and "13800001234" in text_of(response.content)
    [revealed] = events(REVEALED)
    assert revealed.details["visits"] == [first.pk, second.pk] and revealed.details["elders"] == [paired.elder.pk]
    assert revealed.region_path == paired.elder.region_path
    [printed] = events(PRINTED)
    assert printed.details == {"visits": [first.pk, second.pk], "count": 2, "full": True, "reason": "季度检查"}


def test_a_township_month_prints_up_to_the_bound(two_villages, paired, officer_township_north, as_user, monkeypatch):
    # given a township with three visits this month, under a bound of three and then of two
    client = as_user(officer_township_north)

    # when its month is printed
    within = client.get("/records/villages/410823001000/forms.pdf", {"month": MONTH})
    monkeypatch.setattr(printing, "MAX_PRINT_VISITS", 2)
    beyond = client.get("/records/villages/410823001000/forms.pdf", {"month": MONTH})

    # then all three print, one job; past the bound the page says why and to print by village
    assert printing.MAX_PRINT_VISITS == 2 and within.status_code == 200
    assert events(PRINTED)[0].details["count"] == 3
    assert events(PRINTED)[0].region_path == "410000/410800/410823/410823001000/"
    assert beyond.status_code == 422
    assert "该乡镇本月共有 3 条探访记录，超过一次打印上限 2 条，请按村打印" in beyond.content.decode()
    assert len(events(PRINTED)) == 1


def test_the_print_bound_is_500(db):
    assert printing.MAX_PRINT_VISITS == 500


def test_a_county_month_is_not_printed(two_villages, paired, as_user):
    response = as_user(paired.officer).get("/records/villages/410823/forms.pdf", {"month": MONTH})

    assert response.status_code == 422
    assert "请选择一个村（社区），或一个乡镇（街道）" in response.content.decode()
    assert events(PRINTED) == []


def test_a_visitor_cannot_print_its_villages_month(two_villages, paired, as_user):
    client = as_user(paired.user)

    page = client.get(f"/records/villages/{JIANSHE}/print/")
    pdf = client.get(f"/records/villages/{JIANSHE}/forms.pdf", {"month": MONTH})

    assert page.status_code == pdf.status_code == 403
    assert events(PRINTED) == []


def test_the_print_page_asks_a_reason_only_of_those_who_may_reveal(paired, supervisor_north, as_user):
    officer = as_user(paired.officer).get(f"/records/villages/{JIANSHE}/print/", {"month": MONTH})
    supervisor = as_user(supervisor_north).get(f"/records/villages/{JIANSHE}/print/", {"month": MONTH})

    assert officer.status_code == supervisor.status_code == 200
    assert 'data-testid="print-full"' in officer.content.decode() and 'name="reason"' in officer.content.decode()
    assert 'data-testid="print-masked"' in supervisor.content.decode()
    assert 'name="reason"' not in supervisor.content.decode()
    assert 'value="2026-05"' in officer.content.decode()


def test_the_registry_list_links_a_villages_print_page(paired, as_user):
    page = as_user(paired.officer).get("/elders/", {"region": JIANSHE}).content.decode()

    assert f'action="/records/villages/{JIANSHE}/print/"' in page  # a month picker and a button: test_month_print


def test_the_command_line_prints_full_numbers_with_its_own_reason(paired):
    visit = visit_of(paired)

    content = printing.print_visits(actor=None, visits=[visit])

    assert "13800001234" in text_of(content)
    [revealed] = events(REVEALED)
    assert revealed.actor_label == "system" and revealed.details["reason"] == printing.COMMAND_LINE_REASON
