"""Deny by default, for every page and endpoint there is.

1. Nothing but the public list answers a caller who has not logged in.
2. Every page and endpoint that names a record answers 404 to an officer of another
   county, exactly like a missing record, and a refused write changes nothing.
3. Every list shows another county's officer nothing of this county.

The tables below must cover every route: a new route fails these tests until it is added.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tanfang.accounts.middleware import PUBLIC_PREFIXES
from tanfang.accounts.models import ApiToken, User
from tanfang.accounts.services import issue_token
from tanfang.alerts.models import CallAttempt, DutyShift, Incident, TimelineEntry
from tanfang.audit.models import AuditEvent
from tanfang.care.models import CareService, FollowUp, FollowUpEvent, Provider, ProviderContract
from tanfang.elders.models import Elder, ElderGroup, EmergencyContact, ImportBatch, ImportConflict, StatusChange
from tanfang.notifications.models import InboxMessage, Notification
from tanfang.records.models import VisitRecord
from tanfang.records.tests.helpers import data_url, png
from tanfang.regions.models import Region, UserRegion
from tanfang.schedule.models import ElderDue, RecomputeJob, RegionPolicy, WeatherEvent
from tanfang.tests.conftest import ANSWERS
from tanfang.tests.routes import Route, all_routes
from tanfang.visitors.models import Pairing, Visitor
from tanfang.visits.models import Visit

PUBLIC_ROUTES = {"healthz", "accounts:login", "set_language", "api-1:create_token"}
# API paths shared by a public and a private operation: the public method only.
PUBLIC_OPERATIONS = {("/api/v1/auth/token", "post")}


# The API's documentation pages are for people: they send them to the log-in page.
API_DOC_ROUTES = {"api-1:openapi-json", "api-1:openapi-view"}


def _is_public(route: Route) -> bool:
    return route.name in PUBLIC_ROUTES


def test_the_public_list_is_exactly_what_the_middleware_lets_through():
    assert set(PUBLIC_PREFIXES) == {"/healthz", "/accounts/login/", "/i18n/setlang/", "/static/"}


@pytest.mark.parametrize("route", [r for r in all_routes() if not _is_public(r)], ids=lambda r: r.name)
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_no_route_answers_an_anonymous_caller_unless_public(db, route, method):
    if (route.path(), method) in PUBLIC_OPERATIONS:
        return  # the same path serves a public operation for this method; checked below
    response = getattr(Client(), method)(route.path(), content_type="application/json")

    if route.pattern.startswith("api/") and route.name not in API_DOC_ROUTES:
        # 404: the API root, which has nothing to show anyone.
        assert response.status_code in (401, 404, 405), response.content
    else:
        assert response.status_code in (302, 405), response.content
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/")


def test_the_public_routes_answer_without_log_in(db):
    client = Client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en"}).status_code == 302
    response = Client().post("/api/v1/auth/token", {"username": "x", "password": "y"}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["message"].startswith("用户名或密码错误，或账号已被暂时锁定")


def test_a_token_holder_reads_the_api_document(officer_county_north):
    # given
    _token, raw = issue_token(user=officer_county_north, name="生成客户端")

    # when
    response = Client().get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {raw}"})

    # then
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Tanfang 探访关爱 API"
    assert "/api/v1/visits/{visit_id}/review" in response.json()["paths"]


def test_a_bad_token_gets_the_api_document_refused_in_json(officer_county_north):
    response = Client().get("/api/v1/openapi.json", headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "请先登录或提供有效的接口令牌"}


def test_every_route_is_known_to_these_tests():
    names = {r.name for r in all_routes()}
    known = PUBLIC_ROUTES | {c.route_name for c in RECORD_CASES} | {c.route_name for c in LIST_CASES} | OTHER_ROUTES
    assert names - known == set(), "add the new routes to the tables in this file"


# --- records of another county answer 404 ---------------------------------------------


def fingerprint() -> list[object]:
    """Everything a refused write could have touched."""
    return [
        list(User.objects.order_by("pk").values()),
        list(UserRegion.objects.order_by("pk").values()),
        list(Region.objects.order_by("pk").values()),
        list(ApiToken.objects.order_by("pk").values()),
        list(Elder.objects.order_by("pk").values()),
        list(ElderGroup.objects.order_by("pk").values()),
        list(EmergencyContact.objects.order_by("pk").values()),
        list(StatusChange.objects.order_by("pk").values()),
        list(ImportBatch.objects.order_by("pk").values("pk", "state", "committed_at")),
        list(ImportConflict.objects.order_by("pk").values()),
        list(Visitor.objects.order_by("pk").values()),
        list(Pairing.objects.order_by("pk").values()),
        list(RecomputeJob.objects.order_by("pk").values()),
        list(ElderDue.objects.order_by("pk").values()),
        list(RegionPolicy.objects.order_by("pk").values()),
        list(WeatherEvent.objects.order_by("pk").values()),
        list(Visit.objects.order_by("pk").values()),
        list(VisitRecord.objects.order_by("pk").values("pk", "review_state", "answers")),
        list(Notification.objects.order_by("pk").values("pk", "key", "state")),
        list(InboxMessage.objects.order_by("pk").values("pk", "key", "read_at")),
        list(FollowUp.objects.order_by("pk").values()),
        list(FollowUpEvent.objects.order_by("pk").values()),
        list(Incident.objects.order_by("pk").values()),
        list(CallAttempt.objects.order_by("pk").values()),
        list(TimelineEntry.objects.order_by("pk").values()),
        list(DutyShift.objects.order_by("pk").values()),
        list(Provider.objects.order_by("pk").values()),
        list(Provider.staff.through.objects.order_by("pk").values()),
        list(ProviderContract.objects.order_by("pk").values()),
        list(CareService.objects.order_by("pk").values("pk", "elder_id", "number", "follow_up_id")),
        AuditEvent.objects.exclude(action="access.refused").count(),  # a refusal may be audited
    ]


@dataclass(frozen=True)
class RecordCase:
    route_name: str
    method: str
    url: Callable[[dict[str, object]], str]
    body: dict[str, object] | None = None


AWAY: dict[str, object] = {"status": "away", "since": "2026-11-01"}
# A phone call: no signature needed. The answers every Henan form requires.
API_VISIT: dict[str, object] = {
    "client_id": "7d3c1b2a-0000-4000-8000-000000000001",
    "method": "phone",
    "occurred_at": "2026-11-20T10:00:00+08:00",
    "answers": ANSWERS,
}
PAGE_VISIT: dict[str, object] = {
    "client_id": "7d3c1b2a-0000-4000-8000-000000000002",
    "method": "phone",
    "outcome": "visited",
    "occurred_at": "2026-11-20T10:00",
} | {f"a-{code}": value for code, value in ANSWERS.items()}
# A care service (section 6): signed on the screen, the elder satisfied.
CARE_SERVICE: dict[str, object] = {
    "served_on": "2026-11-20",
    "content": "上门理发",
    "server_name": "周敏",
    "satisfaction": "satisfied",
    "server_signature": data_url(png()),
}
PROVIDER_PAGE: dict[str, object] = {
    "name": "被改",
    "category": "elder_care",
    "kinds": "daily_care",
    "region_code": "410823",
    "contact_name": "周敏",
    "active": "on",
}
RECORD_CASES = [
    RecordCase("regions:detail", "get", lambda n: f"/regions/{n['region']}/"),
    RecordCase("reports:report_xlsx", "get", lambda n: f"/figures/report.xlsx?region={n['region']}"),
    RecordCase("reports:report_pdf", "get", lambda n: f"/figures/report.pdf?region={n['region']}"),
    RecordCase("reports:progress_pdf", "get", lambda n: f"/figures/progress.pdf?region={n['region']}"),
    RecordCase("reports:progress_xlsx", "get", lambda n: f"/figures/progress.xlsx?region={n['region']}"),
    RecordCase("users:detail", "get", lambda n: f"/users/{n['user']}/"),
    RecordCase("users:edit", "get", lambda n: f"/users/{n['user']}/edit/"),
    RecordCase(
        "users:edit",
        "post",
        lambda n: f"/users/{n['user']}/edit/",
        {"display_name": "被改", "role": "village_worker", "region_codes": "410822001001", "is_active": "on"},
    ),
    RecordCase("users:unlock", "post", lambda n: f"/users/{n['user']}/unlock/"),
    RecordCase(
        "users:reset_password",
        "post",
        lambda n: f"/users/{n['user']}/reset-password/",
        {"new_password": "Xinmima2026abc"},
    ),
    RecordCase("api-1:get_region", "get", lambda n: f"/api/v1/regions/{n['region']}"),
    RecordCase("api-1:get_user", "get", lambda n: f"/api/v1/users/{n['user']}"),
    RecordCase("api-1:patch_user", "patch", lambda n: f"/api/v1/users/{n['user']}", {"display_name": "被改"}),
    RecordCase("api-1:unlock_user_endpoint", "post", lambda n: f"/api/v1/users/{n['user']}/unlock"),
    RecordCase("api-1:get_audit_event", "get", lambda n: f"/api/v1/audit-events/{n['event']}"),
    RecordCase("elders:detail", "get", lambda n: f"/elders/{n['elder']}/"),
    RecordCase("elders:edit", "get", lambda n: f"/elders/{n['elder']}/edit/"),
    RecordCase("elders:edit", "post", lambda n: f"/elders/{n['elder']}/edit/", {"name": "被改"}),
    RecordCase("elders:status", "post", lambda n: f"/elders/{n['elder']}/status/", AWAY),
    RecordCase(
        "elders:reveal", "post", lambda n: f"/elders/{n['elder']}/reveal/", {"field": "id_number", "reason": "核实身份"}
    ),
    RecordCase("elders:merge", "post", lambda n: f"/elders/{n['elder']}/merge/", {"duplicate_id": 1, "reason": "x"}),
    RecordCase("elders:conflict", "post", lambda n: f"/elders/conflicts/{n['conflict']}/", {"outcome": "replaced"}),
    RecordCase("elders:import_detail", "get", lambda n: f"/elders/imports/{n['batch']}/"),
    RecordCase("elders:import_commit", "post", lambda n: f"/elders/imports/{n['batch']}/commit/"),
    RecordCase("elders:import_errors", "get", lambda n: f"/elders/imports/{n['batch']}/errors.xlsx"),
    RecordCase("api-1:get_elder", "get", lambda n: f"/api/v1/elders/{n['elder']}"),
    RecordCase("api-1:patch_elder", "patch", lambda n: f"/api/v1/elders/{n['elder']}", {"name": "被改"}),
    RecordCase(
        "api-1:reveal_field",
        "post",
        lambda n: f"/api/v1/elders/{n['elder']}/reveal",
        {"field": "id_number", "reason": "核实身份"},
    ),
    RecordCase(
        "api-1:set_status",
        "post",
        lambda n: f"/api/v1/elders/{n['elder']}/status",
        AWAY,
    ),
    RecordCase("api-1:get_import", "get", lambda n: f"/api/v1/elders/imports/{n['batch']}"),
    RecordCase("visitors:detail", "get", lambda n: f"/visitors/{n['visitor']}/"),
    RecordCase("visitors:edit", "get", lambda n: f"/visitors/{n['visitor']}/edit/"),
    RecordCase(
        "visitors:edit",
        "post",
        lambda n: f"/visitors/{n['visitor']}/edit/",
        {"name": "被改", "kind": "volunteer", "region_code": "410822001001", "capacity": "5", "active": "on"},
    ),
    RecordCase("visitors:handover", "post", lambda n: f"/visitors/{n['visitor']}/handover/"),
    RecordCase("visitors:elder_pairing", "get", lambda n: f"/visitors/elders/{n['elder']}/pairing/"),
    RecordCase("visitors:pair", "post", lambda n: f"/visitors/elders/{n['elder']}/pair/", {"visitor_id": 1}),
    RecordCase("visitors:end_pairing", "post", lambda n: f"/visitors/pairings/{n['pairing']}/end/"),
    RecordCase("api-1:get_visitor", "get", lambda n: f"/api/v1/visitors/{n['visitor']}"),
    RecordCase("api-1:visitor_hours", "get", lambda n: f"/api/v1/visitors/{n['visitor']}/hours"),
    RecordCase("visits:hours", "get", lambda n: f"/visits/visitors/{n['visitor']}/hours/"),
    RecordCase("schedule:call", "get", lambda n: f"/worklist/call/{n['elder']}/"),
    RecordCase("schedule:region", "get", lambda n: f"/schedule/{n['region']}/"),
    RecordCase("schedule:export", "get", lambda n: f"/schedule/{n['region']}/not_visited.xlsx"),
    RecordCase("schedule:recompute", "post", lambda n: f"/schedule/{n['region']}/recompute/"),
    RecordCase("schedule:job", "get", lambda n: f"/schedule/jobs/{n['job']}/"),
    RecordCase("schedule:policy", "get", lambda n: f"/schedule/{n['region']}/policy/"),
    RecordCase(
        "schedule:policy",
        "post",
        lambda n: f"/schedule/{n['region']}/policy/",
        {
            "monthly_contacts": "2",
            "count_home": "on",
            "disabled_home_visit_months": "2",
            "high_risk_interval_days": "7",
            "festival_window_before": "7",
            "festival_window_after": "0",
        },
    ),
    RecordCase("schedule:weather", "get", lambda n: f"/schedule/{n['region']}/weather/"),
    RecordCase(
        "schedule:weather",
        "post",
        lambda n: f"/schedule/{n['region']}/weather/",
        {"kind": "cold_wave", "starts_on": "2026-11-20", "ends_on": "2026-11-22"},
    ),
    RecordCase("api-1:region_due", "get", lambda n: f"/api/v1/regions/{n['region']}/due"),
    RecordCase("api-1:get_policy", "get", lambda n: f"/api/v1/regions/{n['region']}/policy"),
    RecordCase("api-1:put_policy", "put", lambda n: f"/api/v1/regions/{n['region']}/policy", {"monthly_contacts": 2}),
    RecordCase(
        "api-1:post_weather",
        "post",
        lambda n: f"/api/v1/regions/{n['region']}/weather-events",
        {"kind": "snow", "starts_on": "2026-11-20", "ends_on": "2026-11-21"},
    ),
    RecordCase(
        "api-1:create_pairing",
        "post",
        lambda n: "/api/v1/pairings",
        {"elder_id": "ELDER", "visitor_id": "VISITOR"},
    ),
    RecordCase("api-1:commit_import_endpoint", "post", lambda n: f"/api/v1/elders/imports/{n['batch']}/commit"),
    RecordCase("records:new", "get", lambda n: f"/records/elders/{n['elder']}/new/"),
    RecordCase("records:new", "post", lambda n: f"/records/elders/{n['elder']}/new/", PAGE_VISIT),
    RecordCase("records:elder_visits", "get", lambda n: f"/records/elders/{n['elder']}/"),
    RecordCase("records:detail", "get", lambda n: f"/records/visits/{n['visit']}/"),
    RecordCase("records:photo_small", "get", lambda n: f"/records/photos/{n['photo']}/small.jpg"),
    RecordCase("records:review", "post", lambda n: f"/records/visits/{n['visit']}/review/", {"outcome": "confirmed"}),
    RecordCase("records:village_forms", "get", lambda n: f"/records/villages/{n['region']}/forms.pdf?month=2026-11"),
    RecordCase("api-1:create_visit", "post", lambda n: f"/api/v1/elders/{n['elder']}/visits", API_VISIT),
    RecordCase("api-1:list_elder_visits", "get", lambda n: f"/api/v1/elders/{n['elder']}/visits"),
    RecordCase("api-1:get_visit", "get", lambda n: f"/api/v1/visits/{n['visit']}"),
    RecordCase("api-1:visit_form_pdf", "get", lambda n: f"/api/v1/visits/{n['visit']}/form.pdf"),
    RecordCase("api-1:review_visit", "post", lambda n: f"/api/v1/visits/{n['visit']}/review", {"outcome": "confirmed"}),
    RecordCase("records:visit_form", "get", lambda n: f"/records/visits/{n['visit']}/form.pdf"),
    RecordCase(
        "records:visit_form", "post", lambda n: f"/records/visits/{n['visit']}/form.pdf", {"reason": "存档备查"}
    ),
    RecordCase("records:village_print", "get", lambda n: f"/records/villages/{n['region']}/print/?month=2026-11"),
    RecordCase(
        "records:village_forms",
        "post",
        lambda n: f"/records/villages/{n['region']}/forms.pdf",
        {"month": "2026-11", "reason": "存档备查"},
    ),
    RecordCase(
        "api-1:print_full_visit_form", "post", lambda n: f"/api/v1/visits/{n['visit']}/form.pdf", {"reason": "存档备查"}
    ),
    RecordCase("users:reset_two_factor", "post", lambda n: f"/users/{n['user']}/reset-two-factor/"),
    RecordCase("api-1:reset_two_factor_endpoint", "post", lambda n: f"/api/v1/users/{n['user']}/reset-two-factor"),
    RecordCase("visitors:call", "get", lambda n: f"/visitors/{n['visitor']}/call/"),
    RecordCase("visitors:chase", "post", lambda n: f"/visitors/elders/{n['elder']}/chase/"),
    RecordCase("care:detail", "get", lambda n: f"/care/follow-ups/{n['follow_up']}/"),
    RecordCase("care:assign", "post", lambda n: f"/care/follow-ups/{n['follow_up']}/assign/", {"owner": "user:USER"}),
    RecordCase("care:accept", "post", lambda n: f"/care/follow-ups/{n['follow_up']}/accept/"),
    RecordCase("care:done", "post", lambda n: f"/care/follow-ups/{n['follow_up']}/done/", {"note": "已办"}),
    RecordCase("care:close", "post", lambda n: f"/care/follow-ups/{n['follow_up']}/close/", {"outcome": "resolved"}),
    RecordCase("care:chase", "post", lambda n: f"/care/follow-ups/{n['follow_up']}/chase/"),
    RecordCase("schedule:chase_township", "post", lambda n: f"/schedule/{n['township']}/chase/"),
    RecordCase("reports:dashboard", "get", lambda n: f"/figures/?region={n['region']}"),
    RecordCase("reports:elders", "get", lambda n: f"/figures/elders/?region={n['region']}&measure=to_visit"),
    RecordCase("reports:months", "get", lambda n: f"/figures/months/?region={n['region']}"),
    RecordCase("reports:close_month", "post", lambda n: f"/figures/months/2026-10/close/?region={n['region']}"),
    RecordCase(
        "reports:reopen_month",
        "post",
        lambda n: f"/figures/months/2026-10/reopen/?region={n['region']}",
        {"reason": "核实"},
    ),
    RecordCase("api-1:visit_rate", "get", lambda n: f"/api/v1/reports/visit-rate?region={n['region']}"),
    RecordCase("api-1:indicators", "get", lambda n: f"/api/v1/reports/indicators?region={n['region']}"),
    RecordCase("api-1:month_state", "get", lambda n: f"/api/v1/reports/months/2026-10/status?region={n['region']}"),
    RecordCase("care:deadlines", "get", lambda n: f"/care/deadlines/{n['region']}/"),
    RecordCase("care:deadlines", "post", lambda n: f"/care/deadlines/{n['region']}/", {"supporters": "10"}),
    RecordCase("care:open", "get", lambda n: f"/care/elders/{n['elder']}/follow-ups/new/"),
    RecordCase(
        "care:open", "post", lambda n: f"/care/elders/{n['elder']}/follow-ups/new/", {"kind": "other", "title": "看望"}
    ),
    RecordCase("api-1:get_follow_up", "get", lambda n: f"/api/v1/follow-ups/{n['follow_up']}"),
    RecordCase(
        "api-1:assign_endpoint", "post", lambda n: f"/api/v1/follow-ups/{n['follow_up']}/assign", {"user_id": "USER"}
    ),
    RecordCase("api-1:accept_endpoint", "post", lambda n: f"/api/v1/follow-ups/{n['follow_up']}/accept"),
    RecordCase("api-1:done_endpoint", "post", lambda n: f"/api/v1/follow-ups/{n['follow_up']}/done", {"note": "已办"}),
    RecordCase(
        "api-1:close_endpoint", "post", lambda n: f"/api/v1/follow-ups/{n['follow_up']}/close", {"outcome": "resolved"}
    ),
    RecordCase("alerts:open", "post", lambda n: f"/incidents/elders/{n['elder']}/open/", {"kind": "medical"}),
    RecordCase("alerts:detail", "get", lambda n: f"/incidents/{n['incident']}/"),
    RecordCase("alerts:call", "get", lambda n: f"/incidents/{n['incident']}/call/?to=elder"),
    RecordCase(
        "alerts:log_call",
        "post",
        lambda n: f"/incidents/{n['incident']}/calls/",
        {"target": "120", "outcome": "answered"},
    ),
    RecordCase("alerts:note", "post", lambda n: f"/incidents/{n['incident']}/notes/", {"text": "已到达现场"}),
    RecordCase(
        "alerts:close",
        "post",
        lambda n: f"/incidents/{n['incident']}/close/",
        {"disposition": "hospital", "account": "120 送县医院"},
    ),
    RecordCase("alerts:archive", "get", lambda n: f"/incidents/{n['incident']}/archive.pdf"),
    RecordCase("alerts:duty", "get", lambda n: f"/incidents/duty/{n['township']}/"),
    RecordCase("alerts:duty", "post", lambda n: f"/incidents/duty/{n['township']}/"),
    RecordCase("alerts:duty_remove", "post", lambda n: f"/incidents/duty/shifts/{n['shift']}/remove/"),
    RecordCase(
        "api-1:open_incident_endpoint", "post", lambda n: f"/api/v1/elders/{n['elder']}/incidents", {"kind": "fall"}
    ),
    RecordCase("api-1:get_incident", "get", lambda n: f"/api/v1/incidents/{n['incident']}"),
    RecordCase(
        "api-1:log_call_endpoint",
        "post",
        lambda n: f"/api/v1/incidents/{n['incident']}/calls",
        {"target": "120", "outcome": "no_answer"},
    ),
    RecordCase(
        "api-1:close_incident_endpoint",
        "post",
        lambda n: f"/api/v1/incidents/{n['incident']}/close",
        {"disposition": "hospital", "account": "120 送县医院"},
    ),
    RecordCase("outbox:retry", "post", lambda n: f"/outbox/{n['notification']}/retry/"),
    RecordCase("care:provider_detail", "get", lambda n: f"/care/providers/{n['provider']}/"),
    RecordCase("care:provider_edit", "get", lambda n: f"/care/providers/{n['provider']}/edit/"),
    RecordCase("care:provider_edit", "post", lambda n: f"/care/providers/{n['provider']}/edit/", PROVIDER_PAGE),
    RecordCase("care:provider_contract_new", "get", lambda n: f"/care/providers/{n['provider']}/contracts/new/"),
    RecordCase(
        "care:provider_contract_new",
        "post",
        lambda n: f"/care/providers/{n['provider']}/contracts/new/",
        {
            "number": "WZ-2026-01",
            "buyer": "武陟县民政局",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "kinds": "daily_care",
        },
    ),
    RecordCase(
        "care:provider_staff_add",
        "post",
        lambda n: f"/care/providers/{n['provider']}/staff/",
        {"username": "worker_jianshe"},
    ),
    RecordCase(
        "care:provider_staff_remove", "post", lambda n: f"/care/providers/{n['provider']}/staff/{n['user']}/remove/"
    ),
    RecordCase("api-1:get_provider", "get", lambda n: f"/api/v1/providers/{n['provider']}"),
    RecordCase("care:elder_services", "get", lambda n: f"/care/elders/{n['elder']}/care-services/"),
    RecordCase("care:service_new", "get", lambda n: f"/care/elders/{n['elder']}/care-services/new/"),
    RecordCase("care:service_new", "post", lambda n: f"/care/elders/{n['elder']}/care-services/new/", CARE_SERVICE),
    RecordCase("care:service_detail", "get", lambda n: f"/care/care-services/{n['care_service']}/"),
    RecordCase("care:service_print", "get", lambda n: f"/care/care-services/{n['care_service']}/print.pdf"),
    RecordCase("api-1:get_care_service", "get", lambda n: f"/api/v1/care-services/{n['care_service']}"),
    RecordCase(
        "api-1:create_care_service", "post", lambda n: "/api/v1/care-services", {"elder_id": "ELDER"} | CARE_SERVICE
    ),
]


def _with_user(value: object, names: dict[str, object]) -> object:
    """ "user:USER" in a form body: the village worker's account of the records."""
    return value.replace("USER", str(names.get("user"))) if isinstance(value, str) else value


def _call(client: Client, case: RecordCase, names: dict[str, object]) -> Any:
    url = case.url(names)
    stand_ins = {"ELDER": names.get("elder"), "VISITOR": names.get("visitor"), "USER": names.get("user")}
    body = {
        k: stand_ins[v] if isinstance(v, str) and v in stand_ins else _with_user(v, names)
        for k, v in (case.body or {}).items()
    }
    case = RecordCase(case.route_name, case.method, case.url, body or None)
    if case.method == "get":
        return client.get(url)
    if url.startswith("/api/"):
        return getattr(client, case.method)(url, data=json.dumps(case.body or {}), content_type="application/json")
    return getattr(client, case.method)(url, data=case.body or {})


@pytest.mark.parametrize("case", RECORD_CASES, ids=lambda c: f"{c.method} {c.route_name}")
def test_an_officer_of_another_county_gets_404_and_changes_nothing(case, north_records, officer_county_south, as_user):
    # given
    client = as_user(officer_county_south)
    before = fingerprint()

    # when
    response = _call(client, case, north_records)

    # then
    assert response.status_code == 404
    if case.url(north_records).startswith("/api/"):
        assert response.json() == {"code": "not_found", "message": "未找到该记录"}
    assert fingerprint() == before


@pytest.mark.parametrize("case", RECORD_CASES, ids=lambda c: f"{c.method} {c.route_name}")
def test_out_of_scope_and_missing_records_look_the_same(case, north_records, officer_county_south, as_user):
    client = as_user(officer_county_south)
    missing = {
        "region": "419999999999",
        "user": 999999,
        "event": 999999,
        "elder": 999999,
        "batch": 999999,
        "conflict": 999999,
        "visitor": 999999,
        "pairing": 999999,
        "job": 999999,
        "visit": 999999,
        "photo": 999999,
        "follow_up": 999999,
        "notification": 999999,
        "provider": 999999,
        "care_service": 999999,
        "incident": 999999,
        "shift": 999999,
        "township": "419999999000",
    }

    outside, absent = _call(client, case, north_records), _call(client, case, missing)

    assert outside.status_code == absent.status_code == 404
    if case.url(missing).startswith("/api/"):
        assert outside.json() == absent.json()


# Reached inside the north county by the security administrator, not by its county officer.
SECURITY_ONLY = {"users:reset_two_factor", "api-1:reset_two_factor_endpoint"}
# Reached by the follow-up's owner, the village worker, not by the county officer who assigned it.
OWNER_ONLY = {"care:accept", "api-1:accept_endpoint"}
# Months close for a whole province: only its officers re-open them or close them again.
PROVINCE_ONLY = {"reports:close_month", "reports:reopen_month"}


@pytest.mark.parametrize("case", RECORD_CASES, ids=lambda c: f"{c.method} {c.route_name}")
def test_the_owning_county_officer_reaches_the_same_records(
    case, north_records, officer_county_north, security_admin, worker_village_north, officer_province, as_user
):
    owner = security_admin if case.route_name in SECURITY_ONLY else officer_county_north
    if case.route_name in OWNER_ONLY:
        owner = worker_village_north
    if case.route_name in PROVINCE_ONLY:
        owner = officer_province
    response = _call(as_user(owner), case, north_records)

    assert response.status_code in (200, 201, 302), getattr(response, "content", b"")[:500]


def test_a_batch_for_another_countys_elder_is_refused_as_missing(
    north_records, officer_county_south, officer_county_north, as_user
):
    # given an upload naming the north's elder, and one naming no elder at all
    client = as_user(officer_county_south)
    before = fingerprint()
    records = [API_VISIT | {"elder_id": north_records["elder"]}, API_VISIT | {"elder_id": 999999}]

    # when
    response = client.post("/api/v1/visits/batch", {"records": records}, content_type="application/json")

    # then both look the same, and nothing changed
    assert response.status_code == 200
    outside, absent = response.json()["results"]
    assert outside["status"] == absent["status"] == "refused"
    assert (outside["code"], outside["message"]) == (absent["code"], absent["message"]) == ("not_found", "未找到该记录")
    assert fingerprint() == before
    # while the owning county's officer stores the first
    response = as_user(officer_county_north).post(
        "/api/v1/visits/batch", {"records": records}, content_type="application/json"
    )
    assert [r["status"] for r in response.json()["results"]] == ["created", "refused"]


# --- lists show nothing of another county ----------------------------------------------


@dataclass(frozen=True)
class ListCase:
    route_name: str
    url: str


LIST_CASES = [
    ListCase("home", "/"),
    ListCase("regions:browse", "/regions/"),
    ListCase("regions:browse", "/regions/?q=社区"),
    ListCase("users:list", "/users/"),
    ListCase("audit:list", "/audit/"),
    ListCase("api-1:list_top_regions", "/api/v1/regions"),
    ListCase("api-1:find_regions", "/api/v1/regions/search?q=社区"),
    ListCase("api-1:list_users", "/api/v1/users"),
    ListCase("api-1:list_audit_events", "/api/v1/audit-events"),
    ListCase("api-1:me", "/api/v1/me"),
    ListCase("elders:list", "/elders/"),
    ListCase("elders:list", "/elders/?q=王"),
    ListCase("elders:import", "/elders/imports/"),
    ListCase("api-1:list_elders", "/api/v1/elders"),
    ListCase("api-1:list_elders", "/api/v1/elders?region=410823"),
    ListCase("visitors:list", "/visitors/"),
    ListCase("visitors:unpaired", "/visitors/unpaired/"),
    ListCase("api-1:list_visitors", "/api/v1/visitors"),
    ListCase("records:review_list", "/records/review/"),
    ListCase("care:list", "/care/follow-ups/"),
    ListCase("care:list", "/care/follow-ups/?state=&mine=1"),
    ListCase("api-1:list_follow_ups", "/api/v1/follow-ups"),
    ListCase("alerts:list", "/incidents/"),
    ListCase("alerts:list", "/incidents/?state=open"),
    ListCase("api-1:list_incidents", "/api/v1/incidents"),
    ListCase("outbox:list", "/outbox/"),
    ListCase("care:provider_list", "/care/providers/"),
    ListCase("api-1:list_providers", "/api/v1/providers"),
    ListCase("api-1:list_care_services", "/api/v1/care-services"),
]

# Routes that neither name a record nor list records of a region.
OTHER_ROUTES = {
    "accounts:logout",
    "accounts:password_change",
    # The user's own account: its security page, authenticator and recovery codes, the second log-in step.
    "accounts:security",
    "accounts:enrol",
    "accounts:renew_codes",
    "accounts:second_step",
    # The audit administrator's exports: tested in tanfang/audit/tests/test_export_interfaces.py.
    "audit:export",
    "api-1:export_audit_events_endpoint",
    "api-1:search_elders",  # a POST list: another county finds nobody (elders/tests/test_private_by_default.py)
    # The user's own inbox: nothing of a region in it (notifications/tests/test_inbox.py).
    "notifications:inbox",
    "notifications:read",
    "api-1:list_inbox",
    "api-1:read_inbox",
    "notifications:preferences",  # the user's own settings (notifications/tests/test_preferences.py)
    # Retries only what the actor sees: notifications/tests/test_troubled_messages.py.
    "outbox:retry_all",
    "users:create",
    "api-1:delete_token",
    "api-1:create_user_endpoint",
    "api-1:api-root",
    "api-1:openapi-json",
    "api-1:openapi-view",
    "elders:create",
    "elders:export",  # an .xlsx: checked in the registry's own tests
    "api-1:create_elder",
    "api-1:create_import",
    "visitors:create",
    "visitors:bulk_pair",  # names a village: covered in the visitors' own tests
    "api-1:create_visitor_endpoint",
    # A visitor's own work list: nothing of a region in it; tested with visitors in tanfang/schedule/tests.
    "schedule:worklist",
    "api-1:get_worklist",
    "schedule:home",  # redirects to the user's own region
    "alerts:duty_home",  # the user's own townships' rosters: a link to each (alerts/tests/test_duty.py)
    "api-1:list_form_templates",  # the forms themselves: no one's data
    "api-1:create_visits",  # names elders in its body: test_a_batch_for_another_countys_elder_is_refused_as_missing
    "api-1:create_follow_up",  # names the elder in its body: care/tests/test_follow_up_api.py
    "care:deadlines_home",  # the user's own top region: a redirect to care:deadlines
    "care:provider_new",  # names a region: care/tests/test_providers.py (another county's area is refused)
}


NORTH_MARKERS = ("武陟", "worker_jianshe", "officer_wuzhi", "建设社区", "410823", "王建国", "台账.csv", "网格员王建军")


@pytest.mark.parametrize("case", LIST_CASES, ids=lambda c: c.url)
def test_lists_show_an_officer_of_another_county_nothing_of_this_one(
    case, north_records, officer_county_south, as_user
):
    response = as_user(officer_county_south).get(case.url)

    assert response.status_code == 200
    text = response.content.decode()
    for marker in NORTH_MARKERS:
        assert marker not in text, f"{marker} leaked into {case.url}"


@pytest.mark.parametrize("case", LIST_CASES, ids=lambda c: c.url)
def test_lists_show_the_owning_officer_its_records(case, north_records, officer_county_north, as_user):
    response = as_user(officer_county_north).get(case.url)

    assert response.status_code == 200
    text = response.content.decode()
    assert any(marker in text for marker in NORTH_MARKERS)


def test_creating_records_in_another_county_is_refused_and_changes_nothing(tree, officer_county_south, as_user):
    client = as_user(officer_county_south)
    before = fingerprint()

    page = client.post(
        "/users/new/",
        {
            "username": "sneaky",
            "display_name": "x",
            "role": "village_worker",
            "region_codes": "410823001001",
            "password": "Cunwei2026abc",
        },
    )
    api = client.post(
        "/api/v1/users",
        {
            "username": "sneaky",
            "display_name": "x",
            "role": "village_worker",
            "region_codes": ["410823001001"],
            "password": "Cunwei2026abc",
        },
        content_type="application/json",
    )

    assert page.status_code == 200 and "区划代码不存在或不在您的辖区内" in page.content.decode()
    assert api.status_code == 404
    assert fingerprint() == before
