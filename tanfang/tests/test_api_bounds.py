"""What the API does with numbers, codes, days and nulls its records cannot hold (found by .ci/fuzz).

An id or region code in the path that cannot exist names no record: 404, exactly like a missing one.
Anything else out of bounds answers 422 in Chinese and changes nothing. The OpenAPI document states
every bound, so that clients and the fuzzer know them.
"""

from __future__ import annotations

import pytest
from django.test import Client

from config.api import api
from tanfang.audit.models import AuditEvent
from tanfang.core.paging import MAX_PAGE
from tanfang.devtools.factories import make_elder
from tanfang.elders.models import Elder
from tanfang.tests.test_access import API_VISIT
from tanfang.tests.test_api import token_for
from tanfang.visits.models import Visit

MAX_ID = 2**63 - 1
NOT_FOUND = {"code": "not_found", "message": "未找到该记录"}


@pytest.fixture
def client(officer_county_north) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_for(officer_county_north)}"})


@pytest.fixture
def elder(officer_county_north, tree) -> Elder:
    return make_elder(officer_county_north, "张桂兰", tree.jianshe.code, note="耳背，说话请大声")


ID_ROUTES = [
    ("post", "/api/v1/visits/{id}/review", {"outcome": "confirmed"}),
    ("get", "/api/v1/visits/{id}", None),
    ("get", "/api/v1/visits/{id}/form.pdf", None),
    ("post", "/api/v1/visits/{id}/form.pdf", {"reason": "存档备查"}),
    ("post", "/api/v1/users/{id}/reset-two-factor", None),
    ("get", "/api/v1/users/{id}", None),
    ("patch", "/api/v1/users/{id}", {"display_name": "改名"}),
    ("post", "/api/v1/users/{id}/unlock", None),
    ("get", "/api/v1/elders/{id}", None),
    ("patch", "/api/v1/elders/{id}", {"name": "改名"}),
    ("post", "/api/v1/elders/{id}/status", {"status": "away", "since": "2026-11-01"}),
    ("post", "/api/v1/elders/{id}/visits", API_VISIT),
    ("get", "/api/v1/elders/{id}/visits", None),
    ("get", "/api/v1/elders/imports/{id}", None),
    ("post", "/api/v1/elders/imports/{id}/commit", None),
    ("get", "/api/v1/visitors/{id}", None),
    ("get", "/api/v1/visitors/{id}/hours", None),
    ("get", "/api/v1/audit-events/{id}", None),
]


@pytest.mark.parametrize(("method", "url", "body"), ID_ROUTES, ids=[f"{m} {u}" for m, u, _ in ID_ROUTES])
@pytest.mark.parametrize("number", [MAX_ID + 1, 10**30, 0], ids=["2^63", "10^30", "0"])
def test_an_id_that_cannot_exist_answers_like_a_missing_record(client, method, url, body, number):
    # given
    events_before = AuditEvent.objects.count()

    # when
    response = getattr(client, method)(url.format(id=number), body, content_type="application/json")

    # then
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert AuditEvent.objects.count() == events_before


def test_the_largest_possible_id_is_looked_up_and_not_found(client):
    response = client.post(f"/api/v1/visits/{MAX_ID}/review", {"outcome": "confirmed"}, content_type="application/json")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    "url", ["/api/v1/regions/41082", "/api/v1/regions/4108230010011/policy", "/api/v1/regions/河南/due"]
)
def test_a_region_code_of_the_wrong_shape_answers_like_a_missing_region(client, url):
    response = client.get(url)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_bad_id_with_a_bad_body_answers_422_for_the_body(client):
    response = client.post(f"/api/v1/visits/{MAX_ID + 1}/review", {"outcome": 7}, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


PAGED = ["/api/v1/users", "/api/v1/visitors", "/api/v1/elders", "/api/v1/audit-events", "/api/v1/regions/410823/due"]


@pytest.mark.parametrize("url", PAGED)
@pytest.mark.parametrize("page", [MAX_PAGE + 1, MAX_ID + 1])
def test_a_page_past_the_last_answers_422_in_chinese(client, url, page):
    response = client.get(url, {"page": page})

    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_failed",
        "message": "page：不能大于 100000",
        "errors": [{"field": "page", "message": "不能大于 100000"}],
    }


def test_a_page_past_the_last_of_an_elders_visits_answers_422(client, elder):
    response = client.get(f"/api/v1/elders/{elder.pk}/visits", {"page": MAX_ID + 1})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "page", "message": "不能大于 100000"}]


@pytest.mark.parametrize("url", ["/api/v1/users", "/api/v1/audit-events"])
def test_a_page_size_past_the_largest_answers_422(client, url):
    response = client.get(url, {"page_size": 201})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "page_size", "message": "不能大于 200"}]


def test_the_last_page_still_answers(client):
    response = client.get("/api/v1/users", {"page": MAX_PAGE})

    assert response.status_code == 200
    assert response.json() == {"page": MAX_PAGE, "page_size": 50, "has_next": False, "items": []}


# --- what the document states --------------------------------------------------------------


def _parameter(path: str, method: str, name: str) -> dict[str, object]:
    operation = api.get_openapi_schema()["paths"][path][method]
    [parameter] = [p for p in operation["parameters"] if p["name"] == name]
    return parameter["schema"]


def test_the_document_states_the_bounds_of_a_path_id_and_a_page():
    review_id = _parameter("/api/v1/visits/{visit_id}/review", "post", "visit_id")
    users_page = _parameter("/api/v1/users", "get", "page")

    assert (review_id["minimum"], review_id["maximum"]) == (1, MAX_ID)
    assert (users_page["minimum"], users_page["maximum"]) == (1, MAX_PAGE)


def test_every_integer_in_a_path_is_bounded_and_every_region_code_has_a_pattern():
    unbounded = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if parameter["in"] != "path":
                    continue
                if schema.get("type") == "integer" and (schema.get("minimum"), schema.get("maximum")) != (1, MAX_ID):
                    unbounded.append(f"{method} {path} {parameter['name']}")
                if schema.get("type") == "string" and schema.get("pattern") not in (
                    r"^\d{6}(\d{6})?$",  # a region code
                    r"^\d{4}-(0[1-9]|1[0-2])$",  # a month, YYYY-MM
                ):
                    unbounded.append(f"{method} {path} {parameter['name']}")

    assert unbounded == []


def test_every_page_parameter_is_bounded():
    unbounded = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in ("page", "page_size") and "maximum" not in parameter["schema"]:
                    unbounded.append(f"{method} {path} {parameter['name']}")

    assert unbounded == []


def test_the_document_states_the_choices_a_body_field_takes():
    components = api.get_openapi_schema()["components"]["schemas"]

    assert components["StatusIn"]["properties"]["status"]["enum"] == [
        "active",
        "away",
        "hospitalised",
        "moved_out",
        "deceased",
    ]
    assert components["PairingIn"]["properties"]["role"]["enum"] == ["primary", "backup"]
    assert components["VisitorIn"]["properties"]["region_code"]["pattern"] == r"^\d{12}$"


# --- values the database cannot hold: 422, nothing changed ---------------------------------------


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("note", "应为文本"),
        ("registered_address", "应为文本"),
        ("willingness", '取值无效，应为：""、willing、unwilling'),
        ("risk_level", "取值无效，应为：normal、high"),
        ("subsistence", '取值无效，应为：""、minimum、extreme_poverty、marginal'),
    ],
)
def test_a_null_for_a_text_field_of_an_elder_is_refused(client, elder, field, message):
    # when
    response = client.patch(f"/api/v1/elders/{elder.pk}", {field: None}, content_type="application/json")

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": field, "message": message}]
    elder.refresh_from_db()
    assert elder.note == "耳背，说话请大声"
    assert elder.risk_level == "normal"


def test_an_income_too_large_to_store_is_refused_and_the_elder_still_reads(client, elder):
    # when
    response = client.patch(f"/api/v1/elders/{elder.pk}", {"household_income": 1e30}, content_type="application/json")

    # then
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "household_income", "message": "数字位数过多"}]
    assert client.get(f"/api/v1/elders/{elder.pk}").json()["household_income"] is None


def test_a_date_at_the_end_of_the_calendar_answers_422(client):
    response = client.get("/api/v1/audit-events", {"date_from": "0001-01-01", "date_to": "9999-12-31"})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "date_from", "message": "日期超出范围"},
        {"field": "date_to", "message": "日期超出范围"},
    ]


def test_a_visit_time_at_the_start_of_the_calendar_answers_422(client, elder):
    body = API_VISIT | {"occurred_at": "0001-01-01T00:00:00+14:00"}

    response = client.post(f"/api/v1/elders/{elder.pk}/visits", body, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "occurred_at", "message": "时间超出范围"}]
    assert Visit.objects.count() == 0


def test_a_check_in_accuracy_too_large_to_store_answers_422(client, elder):
    body = API_VISIT | {"checkin": {"accuracy_m": MAX_ID + 1}}

    response = client.post(f"/api/v1/elders/{elder.pk}/visits", body, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "checkin.accuracy_m", "message": "不能大于 2147483647"}]
    assert Visit.objects.count() == 0


def test_a_batch_record_for_an_elder_id_past_the_largest_is_refused_alone(client, elder):
    records = [API_VISIT | {"elder_id": MAX_ID + 1}]

    response = client.post("/api/v1/visits/batch", {"records": records}, content_type="application/json")

    assert response.status_code == 200
    [result] = response.json()["results"]
    assert (result["status"], result["code"]) == ("refused", "validation_failed")
    assert result["errors"] == [{"field": "elder_id", "message": f"不能大于 {MAX_ID}"}]
    assert Visit.objects.count() == 0


# --- what else the fuzzer sends ----------------------------------------------------------------------


def test_a_form_without_a_boundary_answers_400_in_json(client):
    response = client.post("/api/v1/elders/imports", b"file=x", content_type="multipart/form-data")

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_failed",
        "message": "请求体不是有效的表单数据（multipart/form-data）",
    }


def test_the_documented_example_registers_an_elder(client, tree):
    # given the body the document shows
    schema = api.get_openapi_schema()["components"]["schemas"]["ElderIn"]
    body = {name: schema["properties"][name]["examples"][0] for name in schema["required"]}

    # when
    response = client.post("/api/v1/elders", body, content_type="application/json")

    # then
    assert response.status_code == 201
    assert (response.json()["name"], response.json()["village_code"]) == ("张桂兰", "410823001001")
