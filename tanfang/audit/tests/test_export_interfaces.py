"""The audit export on the audit page and in the API: the same service, reached by the audit administrator."""

from __future__ import annotations

import csv
import io

import time_machine
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.audit.tests.logs import EXPORTED_AT, HEADER

MAY = {"date_from": "2026-05-01", "date_to": "2026-05-31"}


def _exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED))


# --- the page -----------------------------------------------------------------------------------


def test_the_audit_admin_reads_the_audit_page_and_finds_the_export_form(may_log, audit_admin, as_user):
    response = as_user(audit_admin).get("/audit/?user=officer_wuzhi&date_from=2026-05-01&date_to=2026-05-31")

    assert response.status_code == 200
    html = response.content.decode()
    assert "修改用户" in html  # the list itself
    assert 'data-testid="audit-export"' in html
    assert 'action="/audit/export/"' in html
    # the list's filters are carried into the export
    assert 'name="user" value="officer_wuzhi"' in html
    assert 'name="date_from" value="2026-05-01"' in html
    assert 'name="date_to" value="2026-05-31"' in html


def test_readers_of_the_log_without_the_export_right_see_no_export_form(may_log, officer_county_north, as_user):
    html = as_user(officer_county_north).get("/audit/").content.decode()

    assert "修改用户" in html
    assert 'data-testid="audit-export"' not in html


def test_the_page_streams_a_csv_download_and_records_it(may_log, audit_admin, as_user):
    # when
    with time_machine.travel(EXPORTED_AT, tick=False):
        response = as_user(audit_admin).post("/audit/export/", MAY | {"format": "csv", "action": "auth.login_failed"})

    # then
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-20260501-20260531.csv"'
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert [(r[0], r[2]) for r in rows[1:]] == [("2026-05-31 23:59:59", "登录失败")]
    [event] = _exports()
    assert event.actor == audit_admin
    assert event.ip_address == "127.0.0.1"
    assert event.details == {
        "date_from": "2026-05-01",
        "date_to": "2026-05-31",
        "format": "csv",
        "filters": {"action": "auth.login_failed"},
    }


def test_the_page_records_the_address_the_trusted_proxy_saw(may_log, audit_admin, as_user, settings):
    # given a deployment behind one proxy that appends to X-Forwarded-For
    settings.TANFANG_CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.TANFANG_TRUSTED_PROXY_COUNT = 1

    # when the client also wrote an address of its own in front
    as_user(audit_admin).post(
        "/audit/export/", MAY | {"format": "csv"}, headers={"X-Forwarded-For": "10.1.1.1, 203.0.113.7"}
    )

    # then
    assert _exports()[0].ip_address == "203.0.113.7"


def test_the_page_gives_a_workbook(may_log, audit_admin, as_user):
    response = as_user(audit_admin).post("/audit/export/", MAY | {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="audit-20260501-20260531.xlsx"'
    assert response["X-Row-Count"] == "3"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.max_row == 4


def test_the_page_refuses_a_range_over_a_year_in_words(may_log, audit_admin, as_user):
    response = as_user(audit_admin).post("/audit/export/", {"date_from": "2025-01-01", "date_to": "2026-05-31"})

    assert response.status_code == 422
    assert "一次最多导出 366 天的审计日志（所选为 516 天），请缩小日期范围后分次导出" in response.content.decode()
    assert _exports() == []


def test_the_page_refuses_an_end_before_the_start(may_log, audit_admin, as_user):
    response = as_user(audit_admin).post("/audit/export/", {"date_from": "2026-05-31", "date_to": "2026-05-01"})

    assert response.status_code == 422
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert _exports() == []


def test_the_page_names_a_missing_day(may_log, audit_admin, as_user):
    response = as_user(audit_admin).post("/audit/export/", {"date_from": "2026-05-01", "format": "csv"})

    assert response.status_code == 422
    assert "结束日期：" in response.content.decode()
    assert _exports() == []


def test_the_page_refuses_an_officer_and_records_nothing(may_log, officer_county_north, as_user):
    before = AuditEvent.objects.count()

    response = as_user(officer_county_north).post("/audit/export/", MAY | {"format": "csv"})

    assert response.status_code == 403
    assert AuditEvent.objects.count() == before


def test_the_export_is_not_a_link_anyone_can_be_sent_to(may_log, audit_admin, as_user):
    response = as_user(audit_admin).get("/audit/export/", MAY)

    assert response.status_code == 405
    assert _exports() == []


# --- the API ------------------------------------------------------------------------------------


def test_the_api_exports_csv_for_the_audit_admin(may_log, audit_admin, as_user):
    response = as_user(audit_admin).get("/api/v1/audit-events/export", MAY)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="audit-20260501-20260531.csv"'
    data = response.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").count("\r\n") == 4
    assert [e.details["format"] for e in _exports()] == ["csv"]


def test_the_api_exports_a_filtered_workbook(may_log, audit_admin, as_user):
    response = as_user(audit_admin).get(
        "/api/v1/audit-events/export", MAY | {"format": "xlsx", "user": "officer_wuzhi"}
    )

    assert response.status_code == 200
    assert response["X-Row-Count"] == "1"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]][1:3] == ["officer_wuzhi", "修改用户"]


def test_the_api_refuses_a_long_range_in_json(may_log, audit_admin, as_user):
    response = as_user(audit_admin).get(
        "/api/v1/audit-events/export", {"date_from": "2025-01-01", "date_to": "2026-05-31"}
    )

    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_failed",
        "message": "一次最多导出 366 天的审计日志（所选为 516 天），请缩小日期范围后分次导出",
        "errors": [
            {"field": "date_to", "message": "一次最多导出 366 天的审计日志（所选为 516 天），请缩小日期范围后分次导出"}
        ],
    }
    assert _exports() == []


def test_the_api_refuses_an_unknown_format(may_log, audit_admin, as_user):
    response = as_user(audit_admin).get("/api/v1/audit-events/export", MAY | {"format": "pdf"})

    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert _exports() == []


def test_the_api_refuses_an_officer(may_log, officer_county_north, as_user):
    response = as_user(officer_county_north).get("/api/v1/audit-events/export", MAY)

    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "message": "您没有权限执行此操作"}
    assert _exports() == []


def test_the_export_path_is_not_taken_for_an_event_id(may_log, audit_admin, as_user):
    event = may_log["first"]

    response = as_user(audit_admin).get(f"/api/v1/audit-events/{event.pk}")

    assert response.status_code == 200
    assert response.json()["action"] == "user.updated"


def test_a_nul_in_a_filter_finds_nothing_rather_than_failing(may_log, audit_admin, officer_county_north, as_user):
    # (PostgreSQL refuses to compare text with a NUL; no stored text holds one)
    listed = as_user(officer_county_north).get("/api/v1/audit-events", {"subject": "建设\x00"})
    exported = as_user(audit_admin).get("/api/v1/audit-events/export", MAY | {"subject": "建设\x00"})

    assert listed.status_code == 200
    assert listed.json()["items"] == []
    assert exported.status_code == 200
    assert exported.getvalue().decode("utf-8-sig").splitlines() == [",".join(HEADER)]
    assert _exports()[0].details["filters"] == {"subject": "建设\ufffd"}
