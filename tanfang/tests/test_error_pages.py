"""One handler turns errors into pages: a styled Chinese 404, 403 and 422, each with a way home.

A missing record and one outside the actor's scope give the same page.
"""

from __future__ import annotations

import re

import pytest
from django.test import RequestFactory

from tanfang.core.error_pages import page_for
from tanfang.core.errors import FieldError, ValidationFailed
from tanfang.devtools.factories import make_elder

JIANSHE = "410823001001"
BAJIE = "410822001001"


def _error_block(html: str) -> str:
    """The error card, without the per-request CSRF token elsewhere on the page."""
    match = re.search(r'<div class="card[^"]*" data-testid="error-page".*?</div>\s*</div>\s*</div>', html, re.S)
    assert match, html[:500]
    return match.group(0)


def test_a_missing_record_and_one_of_another_county_look_the_same(
    tree, officer_county_north, officer_county_south, as_user
):
    elder = make_elder(officer_county_north, "张大爷", JIANSHE)
    outsider = as_user(officer_county_south)

    other_county = outsider.get(f"/elders/{elder.pk}/")
    missing = outsider.get(f"/elders/{elder.pk + 1000}/")

    assert other_county.status_code == missing.status_code == 404
    assert _error_block(other_county.content.decode()) == _error_block(missing.content.decode())
    page = missing.content.decode()
    assert "未找到该页面或记录" in page and 'href="/"' in page and "返回首页" in page
    assert '<link rel="stylesheet"' in page  # styled like every other page


@pytest.mark.parametrize(
    "url",
    [
        "/elders/99999999999999999999999/",  # past 2⁶³: matches no page at all
        "/records/visits/0123456789012345678901/",
        "/no/such/page/",
    ],
)
def test_numbers_past_any_id_and_unknown_addresses_get_the_404_page(tree, officer_county_north, as_user, url):
    response = as_user(officer_county_north).get(url)

    assert response.status_code == 404
    assert "未找到该页面或记录" in response.content.decode()


def test_a_role_that_may_not_gets_the_403_page(tree, visitor_north, as_user):
    response = as_user(visitor_north).get("/elders/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "没有权限" in page and "返回首页" in page and 'data-status="403"' in page


def test_a_visitor_calling_an_elder_not_paired_with_it_gets_the_404_page(
    tree, officer_county_north, visitor_north, as_user
):
    elder = make_elder(officer_county_north, "别人的老人", JIANSHE, phone="13700003333")

    response = as_user(visitor_north).get(f"/worklist/call/{elder.pk}/")

    assert response.status_code == 404 and "13700003333" not in response.content.decode()


def test_a_validation_error_a_view_does_not_handle_gets_the_422_page(tree, officer_county_north):
    request = RequestFactory().get("/")
    request.user = officer_county_north
    error = ValidationFailed(errors=[FieldError("month", "月份格式应为 YYYY-MM"), FieldError("page", "页码过大")])

    response = page_for(request, error)

    assert response is not None and response.status_code == 422
    page = response.content.decode()
    assert "提交的内容有误" in page and "月份格式应为 YYYY-MM" in page and "页码过大" in page


def test_an_error_page_in_english(tree, officer_county_south, officer_county_north, as_user):
    elder = make_elder(officer_county_north, "张大爷", JIANSHE)
    client = as_user(officer_county_south)
    client.cookies["django_language"] = "en"

    page = client.get(f"/elders/{elder.pk}/").content.decode()

    assert "Not found" in page and "Back to the home page" in page


@pytest.mark.parametrize("url", ["/api/v1/no-such-thing", "/api/v1/elders/abc/def"])
def test_an_api_address_nothing_serves_answers_in_the_apis_json(tree, officer_county_north, as_user, url):
    response = as_user(officer_county_north).get(url)

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到该记录"}
