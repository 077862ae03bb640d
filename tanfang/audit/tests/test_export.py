"""Exporting the audit log: whole Beijing days, within scope, bounded, streamed, and itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tanfang.audit import exports
from tanfang.audit.actions import Action
from tanfang.audit.exports import AuditExportSpec, export_audit_events
from tanfang.audit.models import AuditEvent
from tanfang.audit.services import new_event, record_events
from tanfang.audit.tests.logs import BAJIE, EXPORTED_AT, HEADER, JIANSHE, MAY
from tanfang.core.errors import PermissionDenied, ValidationFailed
from tanfang.core.roles import Role
from tanfang.devtools.factories import make_user


def _export(actor, *, ip_address=None, **values):
    spec = AuditExportSpec(**(MAY | values))
    with time_machine.travel(EXPORTED_AT, tick=False):
        return export_audit_events(actor=actor, spec=spec, ip_address=ip_address)


def _csv_rows(export) -> list[list[str]]:
    data = b"".join(export.chunks)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED))


# --- CSV --------------------------------------------------------------------------------------------


def test_the_audit_admin_exports_whole_beijing_days_of_its_province_oldest_first(may_log, audit_admin):
    # when
    export = _export(audit_admin)

    # then
    assert export.file_name == "audit-20260501-20260531.csv"
    assert export.content_type == "text/csv; charset=utf-8"
    assert export.streamed is True
    assert _csv_rows(export) == [
        HEADER,
        [
            "2026-05-01 00:00:00",
            "officer_wuzhi",
            "修改用户",
            "accounts.user",
            "7",
            "建设社区工作人员",
            JIANSHE,
            "203.0.113.7",
            '{"display_name": {"new": "乙", "old": "甲"}}',
            "",
        ],
        [
            "2026-05-15 12:00:00",
            "system",
            "修改老年人信息",
            "elders.elder",
            "42",
            '\'=HYPERLINK("http://example.invalid")',  # shown as text, never run
            BAJIE,
            "",
            "",
            '{"reason": "核实", "source": "visit"}',
        ],
        ["2026-05-31 23:59:59", "system", "登录失败", "accounts.user", "7", "'-1", JIANSHE, "2001:db8::7", "", ""],
    ]


def test_the_export_is_recorded_before_a_byte_is_sent(may_log, audit_admin):
    # when the export is prepared but not yet read
    _export(audit_admin, ip_address="198.51.100.9")

    # then it is already in the log, with its range, format and where it was asked from
    [event] = _exports()
    assert event.at == EXPORTED_AT
    assert event.actor == audit_admin
    assert event.actor_label == "auditor_henan"
    assert event.subject_type == "audit.auditevent"
    assert event.subject_label == "审计日志 2026-05-01 至 2026-05-31"
    assert event.region_path == "410000/"
    assert event.details == {"date_from": "2026-05-01", "date_to": "2026-05-31", "format": "csv"}
    assert event.ip_address == "198.51.100.9"


def test_the_events_are_read_from_the_database_while_the_file_is_sent(may_log, audit_admin):
    # given
    export = _export(audit_admin)

    # when
    with CaptureQueriesContext(connection) as queries:
        data = b"".join(export.chunks)

    # then
    # (on PostgreSQL through a server-side cursor: DECLARE … CURSOR FOR SELECT …)
    assert any('FROM "audit_auditevent"' in q["sql"] and "SELECT" in q["sql"] for q in queries)
    assert data.count(b"\r\n") == 4  # the header and three events


def test_a_large_range_is_streamed_in_pieces_in_order(tree, audit_admin, monkeypatch):
    # given 4,500 events on 2026-05-02, more than two database chunks
    monkeypatch.setattr(exports, "ROWS_PER_WRITE", 1000)
    start = dt.datetime(2026, 5, 2, 0, 0, tzinfo=dt.UTC)
    with transaction.atomic():
        events = [new_event(actor=None, action=Action.USER_UPDATED, region_path=JIANSHE) for _ in range(4500)]
        for n, event in enumerate(events):
            event.at = start + dt.timedelta(seconds=n)
            event.subject_id = str(n)
        record_events(events)

    # when
    export = _export(audit_admin)
    chunks = list(export.chunks)

    # then five pieces of at most 1,000 rows (the header rides with the first), every event once, in time order
    assert len(chunks) == 5
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) == 4501
    assert [row[4] for row in rows[1:]] == [str(n) for n in range(4500)]
    assert rows[1][0] == "2026-05-02 08:00:00"
    assert rows[-1][0] == "2026-05-02 09:14:59"


def test_the_list_filters_narrow_the_export(may_log, audit_admin):
    export = _export(audit_admin, action=Action.LOGIN_FAILED)

    rows = _csv_rows(export)

    assert [row[2] for row in rows[1:]] == ["登录失败"]
    assert _exports()[0].details["filters"] == {"action": "auth.login_failed"}


def test_an_audit_admin_sees_its_own_subtree_only(may_log, tree):
    # given an audit reader of the south county only
    auditor_south = make_user("auditor_boai", Role.AUDIT_ADMIN, [tree.boai])

    # when
    rows = _csv_rows(_export(auditor_south))

    # then
    assert [row[5] for row in rows[1:]] == ['\'=HYPERLINK("http://example.invalid")']


def test_an_empty_range_gives_the_header_alone(tree, audit_admin):
    assert _csv_rows(_export(audit_admin)) == [HEADER]


# --- Excel ------------------------------------------------------------------------------------------


def test_the_audit_admin_exports_a_workbook_with_local_times_and_text_kept_as_text(may_log, audit_admin):
    # when
    export = _export(audit_admin, file_format="xlsx")

    # then
    assert export.file_name == "audit-20260501-20260531.xlsx"
    assert export.streamed is False
    assert export.rows == 3
    sheet = load_workbook(io.BytesIO(b"".join(export.chunks))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "审计日志"
    assert list(rows[0]) == HEADER
    assert [r[0] for r in rows[1:]] == [
        dt.datetime(2026, 5, 1, 0, 0, 0),
        dt.datetime(2026, 5, 15, 12, 0, 0),
        dt.datetime(2026, 5, 31, 23, 59, 59),
    ]
    assert list(rows[1][1:]) == [
        "officer_wuzhi",
        "修改用户",
        "accounts.user",
        "7",
        "建设社区工作人员",
        JIANSHE,
        "203.0.113.7",
        '{"display_name": {"new": "乙", "old": "甲"}}',
        None,
    ]
    formula = sheet.cell(row=3, column=6)
    assert (formula.value, formula.data_type) == ('=HYPERLINK("http://example.invalid")', "s")
    assert _exports()[0].details == {"date_from": "2026-05-01", "date_to": "2026-05-31", "format": "xlsx", "rows": 3}


def test_a_workbook_larger_than_excel_should_hold_is_refused_with_a_hint(may_log, audit_admin, monkeypatch):
    # given a limit of two rows, and three events in May
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)

    # when
    with pytest.raises(ValidationFailed) as refused:
        _export(audit_admin, file_format="xlsx")

    # then
    assert refused.value.message == "所选范围超过 2 条记录，不宜导出为 Excel：请改用 CSV 格式，或缩小日期范围"
    assert _exports() == []
    # while CSV takes them all
    assert len(_csv_rows(_export(audit_admin))) == 4


# --- refusals ---------------------------------------------------------------------------------------


def test_a_range_of_366_days_is_allowed_and_367_refused(tree, audit_admin):
    # given 2024 is a leap year: 2024-01-01 to 2024-12-31 is 366 days
    _export(audit_admin, date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31))

    with pytest.raises(ValidationFailed) as refused:
        _export(audit_admin, date_from=dt.date(2024, 1, 1), date_to=dt.date(2025, 1, 1))

    assert refused.value.message == "一次最多导出 366 天的审计日志（所选为 367 天），请缩小日期范围后分次导出"
    assert [e.field for e in refused.value.errors] == ["date_to"]
    assert len(_exports()) == 1


def test_an_end_before_the_start_is_refused(tree, audit_admin):
    with pytest.raises(ValidationFailed) as refused:
        _export(audit_admin, date_from=dt.date(2026, 5, 2), date_to=dt.date(2026, 5, 1))

    assert refused.value.message == "结束日期不能早于开始日期"
    assert _exports() == []


def test_a_single_day_is_a_range(may_log, audit_admin):
    rows = _csv_rows(_export(audit_admin, date_from=dt.date(2026, 5, 31), date_to=dt.date(2026, 5, 31)))

    assert [row[0] for row in rows[1:]] == ["2026-05-31 23:59:59"]


def test_missing_days_are_refused_by_name(tree, audit_admin):
    with pytest.raises(ValidationFailed) as refused:
        _export(audit_admin, date_from=None, date_to=None)

    assert refused.value.message == "请选择开始日期；请选择结束日期"
    assert [e.field for e in refused.value.errors] == ["date_from", "date_to"]


def test_an_unknown_format_is_refused(tree, audit_admin):
    with pytest.raises(ValidationFailed) as refused:
        _export(audit_admin, file_format="pdf")

    assert refused.value.message == "导出格式应为 CSV 或 Excel"
    assert _exports() == []


@pytest.mark.parametrize(
    "persona", ["officer_county_north", "officer_province", "supervisor_north", "admin_province", "security_admin"]
)
def test_roles_without_the_export_right_are_refused_and_nothing_is_recorded(may_log, persona, request):
    # given readers of the log (officers, supervisors) and the other two administrators
    actor = request.getfixturevalue(persona)
    before = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        _export(actor)

    assert AuditEvent.objects.count() == before


def test_the_audit_administrator_sees_failed_log_ins_under_unknown_names_and_officers_do_not(
    audit_admin, officer_county_north
):
    from django.test import Client

    from tanfang.audit.selectors import audit_events_visible_to

    Client().post("/accounts/login/", {"username": "no_such_user", "password": "wrong-password-1"})

    assert audit_events_visible_to(audit_admin).filter(subject_label="no_such_user").count() == 1
    assert audit_events_visible_to(officer_county_north).filter(subject_label="no_such_user").count() == 0
