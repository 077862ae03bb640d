"""A village's month in print: rejected visits left out, attempts one line each after the forms, and a
month picker with a button on the village's page of the registry for those who may print."""

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
from tanfang.records.services import review_record, submit_record
from tanfang.records.tests.helpers import JIANSHE, record_input
from tanfang.visitors.services import pair

MONTH = "2026-05"
FORM_TITLE = "特殊困难老年人探访关爱服务记录表"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 5, 20, 15, 0, tzinfo=LOCAL_TZ), tick=False):
        yield  # the visits below happen at 10:00 that day (helpers.daytime)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def text_of(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def neighbour(paired, name: str, sequence: int, phone: str):
    elder = make_elder(
        paired.officer,
        name,
        JIANSHE,
        sequence=sequence,
        registered_on=dt.date(2025, 3, 1),
        phone=phone,
        address="建设路20号",
        contacts=[ContactInput("刘军", "儿子", "13600001357")],
    )
    pair(actor=paired.officer, elder=elder, visitor=paired.visitor, on=dt.date(2025, 3, 1))
    return elder


@pytest.fixture
def month(paired, officer_township_north):
    """建设社区's May: a visit to 张桂兰, one to 刘秀珍 a reviewer rejected, 陈玉梅 not at home."""
    rejected_elder = neighbour(paired, "刘秀珍", 62, "13700002468")
    absent_elder = neighbour(paired, "陈玉梅", 73, "13500003579")
    visited, _ = submit_record(actor=paired.user, elder=paired.elder, data=record_input())
    rejected, _ = submit_record(actor=paired.user, elder=rejected_elder, data=record_input(method="phone"))
    review_record(actor=officer_township_north, record=rejected.record, outcome="rejected", note="老人说当天没人来")
    attempt, _ = submit_record(
        actor=paired.user,
        elder=absent_elder,
        data=record_input(outcome="nobody_home", answers={}, elder_signature=None, note="下地干活未归"),
    )
    return visited, rejected, attempt


def test_a_rejected_visit_is_left_out_of_the_months_print(month, paired, as_user):
    visited, rejected, _attempt = month

    response = as_user(paired.officer).get(f"/records/villages/{JIANSHE}/forms.pdf", {"month": MONTH})

    text = text_of(response.content)
    assert response.status_code == 200
    assert "张桂兰" in text and "刘秀珍" not in text and "137*****468" not in text
    [printed] = AuditEvent.objects.filter(action="visit.form_printed")
    assert rejected.pk not in printed.details["visits"] and visited.pk in printed.details["visits"]


def test_an_attempt_prints_as_one_line_after_the_forms_not_as_a_form(month, paired, as_user):
    visited, _rejected, attempt = month

    response = as_user(paired.officer).get(f"/records/villages/{JIANSHE}/forms.pdf", {"month": MONTH})

    # then the one visit is a form in duplicate, and the attempt one line of the list that follows
    text = text_of(response.content)
    assert text.count(FORM_TITLE) == 2
    forms, listed = text.split("未能探访记录", 1)
    assert "张桂兰" in forms and "陈玉梅" not in forms
    assert "2026-05-20 陈玉梅 无人在家 李华 下地干活未归" in " ".join(listed.split())
    assert "135*****579" not in text  # a line names the elder, without her numbers
    [printed] = AuditEvent.objects.filter(action="visit.form_printed")
    assert printed.details == {"visits": [visited.pk, attempt.pk], "count": 2, "full": False}


def test_a_months_print_in_full_reveals_only_the_elders_of_its_forms(month, paired, as_user):
    visited, _rejected, _attempt = month

    response = as_user(paired.officer).post(
        f"/records/villages/{JIANSHE}/forms.pdf", {"month": MONTH, "reason": "季度检查"}
    )

    assert response.status_code == 200 and "13800001234" in text_of(response.content)
    [revealed] = AuditEvent.objects.filter(action="elder.revealed")
    assert revealed.details["elders"] == [paired.elder.pk] and revealed.details["visits"] == [visited.pk]


def test_one_visit_that_was_an_attempt_still_prints_as_its_form(month, paired, as_user):
    _visited, _rejected, attempt = month

    text = text_of(as_user(paired.officer).get(f"/records/visits/{attempt.pk}/form.pdf").content)

    assert text.count(FORM_TITLE) == 2 and "陈玉梅" in text and "未能探访记录" not in text


def test_the_village_page_has_a_print_button_with_this_month_for_an_officer(paired, as_user):
    # given the county officer on 建设社区's page of the registry
    client = as_user(paired.officer)
    page = client.get("/elders/", {"region": JIANSHE}).content.decode()

    # then a month picker set to this month and a button open the village's print page for that month
    form = page.split('data-testid="village-print"', 1)[0].rsplit("<form", 1)[1]
    assert f'action="/records/villages/{JIANSHE}/print/"' in form and 'method="get"' in form
    after = page.split('data-testid="village-print"', 1)[1].split("</form>", 1)[0]
    assert 'type="month" name="month" value="2026-05"' in after and "打印探访记录表" in after
    opened = client.get(f"/records/villages/{JIANSHE}/print/", {"month": "2026-04"})
    assert opened.status_code == 200 and 'value="2026-04"' in opened.content.decode()


def test_the_print_button_shows_for_the_roles_that_may_print(
    paired, officer_township_north, worker_village_north, supervisor_north, as_user
):
    for user in (officer_township_north, worker_village_north, supervisor_north):
        page = as_user(user).get("/elders/", {"region": JIANSHE}).content.decode()
        assert 'data-testid="village-print"' in page, user.username
