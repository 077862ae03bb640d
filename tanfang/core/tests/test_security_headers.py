"""Content-Security-Policy on every response, no inline script in any template, and no-store on
everything that is not a static file: pages, exports and printed forms carry personal data."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from tanfang.core.security_headers import SecurityHeadersMiddleware
from tanfang.core.time import LOCAL_TZ
from tanfang.devtools.factories import DEFAULT_PASSWORD, make_elder, record_test_visit
from tanfang.schedule.models import RecomputeJob
from tanfang.visitors.services import VisitorInput, create_visitor, pair

# Written out here, not imported: weakening the policy in the module must fail this test.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
JIANSHE = "410823001001"
MOMENT = dt.datetime(2026, 3, 10, 15, 0, tzinfo=LOCAL_TZ)
TEMPLATES = Path(settings.BASE_DIR) / "tanfang"


@pytest.fixture
def elder(officer_county_north):
    return make_elder(officer_county_north, "张桂兰", JIANSHE, sequence=41, registered_on=dt.date(2025, 3, 1))


@pytest.fixture
def visit(officer_county_north, elder):
    with time_machine.travel(MOMENT, tick=False):
        visitor = create_visitor(
            actor=officer_county_north, data=VisitorInput(name="李华", kind="volunteer", region_code=JIANSHE)
        )
        pair(actor=officer_county_north, elder=elder, visitor=visitor, on=dt.date(2025, 3, 1))
        return record_test_visit(
            officer_county_north, elder, visitor_id=visitor.pk, occurred_at=MOMENT - dt.timedelta(hours=5)
        )


# --- Content-Security-Policy -------------------------------------------------------------


def test_a_page_carries_the_policy_and_loads_its_behaviour_from_static_files(officer_county_north, as_user):
    # when
    response = as_user(officer_county_north).get("/")

    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert '<script src="/static/tanfang/site.js" defer></script>' in page
    assert '<select id="language" name="language" class="form-select form-select-sm">' in page


def test_the_log_in_page_carries_the_policy_and_is_not_stored(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert "no-store" in response["Cache-Control"]


def test_the_api_description_runs_under_the_policy_from_static_files(officer_county_north, as_user):
    # django-ninja's Swagger page passes its settings as JSON data and starts from a static file
    response = as_user(officer_county_north).get("/api/v1/docs")

    page = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert scripts == [
        '<script type="application/json" id="swagger-settings">',
        '<script src="/static/ninja/swagger-ui-bundle.js">',
        '<script src="/static/ninja/swagger-ui-init.js">',
    ]


def test_a_pdf_may_not_be_framed_but_keeps_what_the_browser_viewer_needs(visit, officer_county_north, as_user):
    # Chrome's PDF viewer is a page of its own with inline styles (crbug.com/271452)
    response = as_user(officer_county_north).get(f"/api/v1/visits/{visit.pk}/form.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_a_static_file_carries_the_policy_and_keeps_its_caching(client):
    response = client.get("/static/tanfang/site.js")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY
    assert response["Cache-Control"] == "max-age=60, public"  # whitenoise's, for a file without a hash


def _template_files() -> list[Path]:
    files = sorted(TEMPLATES.rglob("templates/**/*.html"))
    assert len(files) > 30  # the scan must see the templates, not an empty folder
    return files


INLINE_CODE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "on…= handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_holds_code_or_styles_inline():
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in _template_files()
        for what, pattern in INLINE_CODE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]

    assert found == []


@pytest.mark.parametrize(
    ("html", "what"),
    [
        ("<script>alert(1)</script>", "inline <script>"),
        ('<select id="x" onchange="this.form.submit()">', "on…= handler"),
        ('<div class="a"\n     onclick="go()">', "on…= handler"),
        ('<div class="progress-bar" style="width: 40%">', "style attribute"),
        ("<style>.x{}</style>", "<style> element"),
        ('<a href="javascript:void(0)">', "javascript: URL"),
    ],
)
def test_the_template_scan_sees_each_kind_of_inline_code(html, what):
    assert [name for name, pattern in INLINE_CODE.items() if pattern.search(html)] == [what]


def test_the_template_scan_lets_scripts_from_files_and_data_attributes_pass():
    html = '<script src="/static/tanfang/site.js" defer></script><div data-one="1" hx-get="/x" hx-trigger="load">'

    assert [name for name, pattern in INLINE_CODE.items() if pattern.search(html)] == []


def test_recompute_progress_is_a_progress_element_not_a_styled_bar(officer_county_north, as_user):
    job = RecomputeJob.objects.create(region_path="410000/410800/410823/", total=10, done=4)

    page = as_user(officer_county_north).get(f"/schedule/jobs/{job.pk}/").content.decode()

    assert '<progress class="w-100 mb-2" value="4" max="10" aria-label="进度"></progress>' in page


# --- Cache-Control: no-store ---------------------------------------------------------------


def test_an_elder_page_is_not_stored(elder, officer_county_north, as_user):
    response = as_user(officer_county_north).get(f"/elders/{elder.pk}/")

    assert response.status_code == 200 and "张桂兰" in response.content.decode()
    assert response["Cache-Control"] == "no-store, private"


def test_an_elder_export_is_not_stored(elder, officer_county_north, as_user):
    response = as_user(officer_county_north).get("/elders/export.xlsx")

    assert response.status_code == 200 and response["X-Row-Count"] == "1"
    assert response["Cache-Control"] == "no-store, private"
    assert response["Content-Security-Policy"] == POLICY


def test_a_printed_visit_form_is_not_stored(visit, officer_county_north, as_user):
    response = as_user(officer_county_north).get(f"/api/v1/visits/{visit.pk}/form.pdf")

    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Cache-Control"] == "no-store, private"


def test_an_api_answer_to_a_token_holder_is_not_stored(elder, officer_county_north, client):
    token = client.post(
        "/api/v1/auth/token",
        {"username": officer_county_north.username, "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 201, token.content

    response = client.get("/api/v1/elders", headers={"Authorization": f"Bearer {token.json()['token']}"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"


def test_a_visitor_home_page_is_not_stored(visitor_north, as_user):
    response = as_user(visitor_north).get("/", follow=True)  # a visitor's home is its work list

    assert response.redirect_chain == [("/worklist/", 302)]
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"


def _middleware_answer(response: HttpResponse, path: str = "/") -> HttpResponse:
    return SecurityHeadersMiddleware(lambda request: response)(RequestFactory().get(path))


def test_a_view_that_sets_its_own_caching_keeps_it():
    response = HttpResponse("ok")
    response["Cache-Control"] = "max-age=300, private"

    answered = _middleware_answer(response)

    assert answered["Cache-Control"] == "max-age=300, private"
    assert answered["Content-Security-Policy"] == POLICY


def test_anything_under_the_static_prefix_keeps_its_caching_even_without_a_header():
    answered = _middleware_answer(HttpResponse("not found", status=404), "/static/missing.css")

    assert "Cache-Control" not in answered
    assert answered["Content-Security-Policy"] == POLICY


def test_a_view_that_sets_its_own_policy_keeps_it():
    response = HttpResponse("ok")
    response["Content-Security-Policy"] = "default-src 'none'"

    assert _middleware_answer(response)["Content-Security-Policy"] == "default-src 'none'"
