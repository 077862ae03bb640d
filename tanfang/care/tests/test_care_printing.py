"""A care service prints on its own, and in section 6 of the visit's record form (until the next visit)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
import time_machine
from pypdf import PdfReader

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.care.care_services import CareServiceInput, record_care_service
from tanfang.care.models import CareService
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import make_elder
from tanfang.elders.models import Elder
from tanfang.records.printing import print_visits
from tanfang.records.services import RecordInput, submit_record
from tanfang.records.tests.helpers import jpeg, png
from tanfang.tests.conftest import ANSWERS
from tanfang.visits.models import Visit

JIANSHE = "410823001001"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 5, 20, 15, 0, tzinfo=LOCAL_TZ), tick=False):
        yield


@pytest.fixture
def elder(tree, officer_county_north) -> Elder:
    return make_elder(officer_county_north, "张桂兰", JIANSHE, sequence=41, registered_on=dt.date(2025, 3, 1))


def visit_on(officer: Any, elder: Elder, day: dt.date) -> Visit:
    visit, _ = submit_record(
        actor=officer,
        elder=elder,
        data=RecordInput(
            client_id=uuid.uuid4(),
            method="phone",
            occurred_at=dt.datetime.combine(day, dt.time(10), tzinfo=LOCAL_TZ),
            answers=ANSWERS,
        ),
    )
    return visit


def serve(officer: Any, elder: Elder, day: dt.date, content: str, **changes: Any) -> CareService:
    values: dict[str, Any] = {
        "served_on": day,
        "content": content,
        "server_name": "周敏",
        "satisfaction": "satisfied",
        "server_signature": png(),
    } | changes
    service, _ = record_care_service(actor=officer, elder_id=elder.pk, data=CareServiceInput(**values))
    return service


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_care_service_prints_on_its_own_and_the_print_is_audited(elder, officer_county_north, as_user):
    # given
    service = serve(officer_county_north, elder, dt.date(2026, 5, 18), "上门助浴一次", seal=jpeg(3), remarks="下周再来")

    # when
    response = as_user(officer_county_north).get(f"/care/care-services/{service.pk}/print.pdf")

    # then
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    for expected in (
        "关爱服务记录",
        "张桂兰",
        "第 1 次开展关爱",
        "2026 年 5 月 18 日",
        "上门助浴一次",
        "■ 满意",
        "□ 非常满意",
        "下周再来",
    ):
        assert expected in text, expected
    event = AuditEvent.objects.get(action=Action.CARE_SERVICE_PRINTED)
    assert event.details == {"care_service": service.pk, "number": 1}
    assert event.actor_id == officer_county_north.pk


def test_another_countys_officer_cannot_print_it(elder, officer_county_north, officer_county_south, as_user):
    service = serve(officer_county_north, elder, dt.date(2026, 5, 18), "上门助浴一次")

    response = as_user(officer_county_south).get(f"/care/care-services/{service.pk}/print.pdf")

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=Action.CARE_SERVICE_PRINTED).exists()


def test_section_6_of_a_visits_form_lists_the_care_services_until_the_next_visit(elder, officer_county_north):
    # given two visits and a service before, between and after them
    serve(officer_county_north, elder, dt.date(2026, 5, 2), "探访之前的服务")
    first = visit_on(officer_county_north, elder, dt.date(2026, 5, 5))
    serve(officer_county_north, elder, dt.date(2026, 5, 5), "当天送药上门", satisfaction="very_satisfied")
    serve(officer_county_north, elder, dt.date(2026, 5, 9), "上门助浴一次", remarks="下周再来")
    second = visit_on(officer_county_north, elder, dt.date(2026, 5, 12))
    serve(officer_county_north, elder, dt.date(2026, 5, 15), "第二次探访后的理发服务", satisfaction="fairly")

    # when
    first_form = text_of(print_visits(actor=officer_county_north, visits=[first]))
    second_form = text_of(print_visits(actor=officer_county_north, visits=[second]))

    # then the first visit's form lists the two services after it, in both copies
    assert first_form.count("当天送药上门") == 2
    assert first_form.count("上门助浴一次") == 2
    for expected in ("第2次", "2026-05-05", "非常满意", "第3次", "2026-05-09", "下周再来", "服务人员签字（盖章）"):
        assert expected in first_form, expected
    assert "探访之前的服务" not in first_form
    assert "第二次探访后的理发服务" not in first_form
    # and the second visit's, the one after it
    assert "第二次探访后的理发服务" in second_form and "基本满意" in second_form
    assert "上门助浴一次" not in second_form


def test_a_visit_with_no_care_service_keeps_section_6_blank_for_the_pen(elder, officer_county_north):
    visit = visit_on(officer_county_north, elder, dt.date(2026, 5, 5))

    text = text_of(print_visits(actor=officer_county_north, visits=[visit]))

    assert "六、关爱服务情况" in text
    assert "第 ___ 次开展关爱" in text
