import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tanfang.accounts.errors import InvalidCredentials
from tanfang.accounts.models import User
from tanfang.accounts.services import log_in
from tanfang.audit.models import AuditEvent
from tanfang.devtools.factories import DEFAULT_PASSWORD

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def _fail(username: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            log_in(username=username, password="wrong-password-1")


def test_right_password_logs_in_and_is_audited(officer_county_north):
    # when
    user = log_in(username="officer_wuzhi", password=DEFAULT_PASSWORD, ip_address="10.1.2.3")

    # then
    assert user == officer_county_north
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == officer_county_north
    assert event.ip_address == "10.1.2.3"
    assert event.region_path == "410000/410800/410823/"


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(officer_county_north):
    with pytest.raises(InvalidCredentials) as unknown:
        log_in(username="nobody_here", password="x")
    with pytest.raises(InvalidCredentials) as wrong:
        log_in(username="officer_wuzhi", password="x")

    assert unknown.value.message == wrong.value.message
    assert unknown.value.message.startswith("用户名或密码错误，或账号已被暂时锁定")


@time_machine.travel(START, tick=False)
def test_fifth_wrong_password_locks_the_account_for_fifteen_minutes(officer_county_north):
    # given
    _fail("officer_wuzhi", 4)

    # when
    with pytest.raises(InvalidCredentials) as locked:
        log_in(username="officer_wuzhi", password="wrong-password-1")
    with pytest.raises(InvalidCredentials) as unknown:
        log_in(username="nobody_here", password="wrong-password-1")

    # then
    officer_county_north.refresh_from_db()
    assert officer_county_north.locked_until == START + dt.timedelta(minutes=15)
    assert locked.value.message == unknown.value.message  # the lock does not say the account exists
    assert "锁定 15 分钟" in locked.value.message
    assert AuditEvent.objects.filter(action="auth.locked").count() == 1
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 6


def test_a_locked_account_refuses_even_the_right_password_until_the_lock_ends(officer_county_north):
    with time_machine.travel(START, tick=False):
        _fail("officer_wuzhi", 5)
        with pytest.raises(InvalidCredentials):
            log_in(username="officer_wuzhi", password=DEFAULT_PASSWORD)

    with time_machine.travel(START + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert log_in(username="officer_wuzhi", password=DEFAULT_PASSWORD) == officer_county_north


@time_machine.travel(START, tick=False)
def test_a_successful_log_in_resets_the_failure_count(officer_county_north):
    # given
    _fail("officer_wuzhi", 4)

    # when
    log_in(username="officer_wuzhi", password=DEFAULT_PASSWORD)
    _fail("officer_wuzhi", 4)

    # then
    officer_county_north.refresh_from_db()
    assert officer_county_north.locked_until is None
    assert officer_county_north.failed_logins == 4


def test_an_inactive_user_cannot_log_in(officer_county_north):
    User.objects.filter(pk=officer_county_north.pk).update(is_active=False)

    with pytest.raises(InvalidCredentials):
        log_in(username="officer_wuzhi", password=DEFAULT_PASSWORD)


def test_log_in_page_shows_the_error_in_chinese_and_stays_on_the_page(officer_county_north):
    response = Client().post("/accounts/login/", {"username": "officer_wuzhi", "password": "nope"})

    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_log_in_page_ignores_a_next_url_on_another_host(officer_county_north):
    response = Client().post(
        "/accounts/login/",
        {"username": "officer_wuzhi", "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


@override_settings(SESSION_COOKIE_AGE=1800)
def test_an_idle_session_expires_after_thirty_minutes(officer_county_north):
    client = Client()
    with time_machine.travel(START, tick=False):
        client.post("/accounts/login/", {"username": "officer_wuzhi", "password": DEFAULT_PASSWORD})
        assert client.get("/").status_code == 200
    with time_machine.travel(START + dt.timedelta(minutes=29), tick=False):
        assert client.get("/").status_code == 200  # activity pushes the expiry forward
    with time_machine.travel(START + dt.timedelta(minutes=29 + 31), tick=False):
        response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_logging_out_ends_the_session_and_is_audited(officer_county_north, as_user):
    client = as_user(officer_county_north)

    client.post("/accounts/logout/")

    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=officer_county_north).count() == 1


def test_log_out_by_get_is_refused(officer_county_north, as_user):
    client = as_user(officer_county_north)

    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200


@override_settings(SESSION_COOKIE_AGE=1800)
def test_activity_writes_the_session_at_most_once_a_minute(officer_county_north):
    client = Client()
    with time_machine.travel(START, tick=False):
        client.post("/accounts/login/", {"username": "officer_wuzhi", "password": DEFAULT_PASSWORD})
    at_61, at_90 = START + dt.timedelta(seconds=61), START + dt.timedelta(seconds=90)
    with time_machine.travel(at_61, tick=False), CaptureQueriesContext(connection) as first:
        assert client.get("/").status_code == 200
    with time_machine.travel(at_90, tick=False), CaptureQueriesContext(connection) as second:
        assert client.get("/").status_code == 200

    def writes(queries):
        return [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "django_session"')]

    assert len(writes(first)) == 1 and writes(second) == []
    assert Session.objects.get().expire_date == at_61 + dt.timedelta(seconds=1800)
