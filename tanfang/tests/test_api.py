"""The API's contract: authentication, JSON errors with stable codes and Chinese messages."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from tanfang.accounts.models import ApiToken, User
from tanfang.audit.models import AuditEvent
from tanfang.devtools.factories import DEFAULT_PASSWORD


def token_for(user: User) -> str:
    response = Client().post(
        "/api/v1/auth/token",
        {"username": user.username, "password": DEFAULT_PASSWORD, "name": "手机"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()["token"]


def test_a_token_authenticates_api_calls_and_is_stored_only_as_a_hash(officer_county_north):
    # when
    token = token_for(officer_county_north)
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    # then
    assert response.status_code == 200
    assert response.json()["username"] == "officer_wuzhi"
    assert response.json()["regions"] == [{"code": "410823", "name": "武陟县", "full_name": "河南省焦作市武陟县"}]
    stored = ApiToken.objects.get()
    assert token not in (stored.key_hash, stored.prefix)
    assert AuditEvent.objects.filter(action="auth.token_issued").count() == 1


def test_a_revoked_token_stops_working(officer_county_north):
    token = token_for(officer_county_north)
    headers = {"Authorization": f"Bearer {token}"}

    assert Client().delete("/api/v1/auth/token", headers=headers).status_code == 204
    response = Client().get("/api/v1/me", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "请先登录或提供有效的接口令牌"}


def test_an_expired_token_stops_working(officer_county_north):
    token = token_for(officer_county_north)

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31)):
        response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


def test_a_deactivated_users_token_stops_working(officer_county_north):
    token = token_for(officer_county_north)
    User.objects.filter(pk=officer_county_north.pk).update(is_active=False)

    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_token_endpoint_applies_the_lock_out(officer_county_north):
    client = Client()
    for _ in range(5):
        client.post(
            "/api/v1/auth/token", {"username": "officer_wuzhi", "password": "x"}, content_type="application/json"
        )

    response = client.post(
        "/api/v1/auth/token",
        {"username": "officer_wuzhi", "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )

    # the same answer as for a wrong password or an unknown user: the lock does not say the account exists
    unknown = client.post(
        "/api/v1/auth/token", {"username": "nobody_here", "password": "x"}, content_type="application/json"
    )
    assert response.status_code == unknown.status_code == 401
    assert response.json() == unknown.json()
    assert response.json()["code"] == "invalid_credentials"
    assert ApiToken.objects.count() == 0


def test_session_writes_need_the_csrf_token(officer_county_north, worker_village_north):
    client = Client(enforce_csrf_checks=True)
    client.login(username="officer_wuzhi", password=DEFAULT_PASSWORD)

    response = client.patch(
        f"/api/v1/users/{worker_village_north.pk}", {"display_name": "改"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    worker_village_north.refresh_from_db()
    assert worker_village_north.display_name == "建设社区工作人员"


def test_invalid_input_answers_422_with_the_field_and_a_chinese_message(officer_county_north):
    token = token_for(officer_county_north)

    response = Client().post(
        "/api/v1/users",
        {"username": "a", "display_name": "x", "role": "emperor", "region_codes": []},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert {"field": "password", "message": "此项为必填项"} in body["errors"]
    assert {"field": "role", "message": "取值无效"} in body["errors"]


def test_a_service_rule_failure_answers_422_naming_the_field(officer_county_north):
    token = token_for(officer_county_north)

    response = Client().post(
        "/api/v1/users",
        {
            "username": "new_worker",
            "password": "Qz9xw1",
            "display_name": "新人",
            "role": "village_worker",
            "region_codes": ["410823001001"],
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "password", "message": "密码太短，至少需要 10 个字符。"}]
    assert not User.objects.filter(username="new_worker").exists()


def test_creating_a_user_through_the_api(officer_county_north):
    token = token_for(officer_county_north)

    response = Client().post(
        "/api/v1/users",
        {
            "username": "new_worker",
            "password": "Cunwei2026abc",
            "display_name": "新人",
            "role": "village_worker",
            "region_codes": ["410823001001"],
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 201
    assert response.json()["role_label"] == "村（社区）工作人员"
    assert response.json()["can_edit"] is True


def test_a_visitor_is_refused_the_region_tree_with_403(visitor_north, as_user):
    response = as_user(visitor_north).get("/api/v1/regions")

    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "message": "您没有权限执行此操作"}


def test_the_api_documentation_is_served_without_any_cdn(officer_county_north, as_user):
    client = as_user(officer_county_north)

    docs = client.get("/api/v1/docs").content.decode()
    schema = client.get("/api/v1/openapi.json").json()

    # No script, style or image from another host (the page's random CSRF token may spell anything).
    external = re.findall(r'(?:src|href)="(?:https?:)?//[^"]+"', docs)
    assert external == []
    assert "/static/ninja/swagger-ui-bundle" in docs
    assert "/api/v1/users" in schema["paths"]


@pytest.mark.parametrize("url", ["/api/v1/users?page=abc", "/api/v1/audit-events?date_from=2026-02-30"])
def test_bad_query_parameters_answer_422(officer_county_north, as_user, url):
    response = as_user(officer_county_north).get(url)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
