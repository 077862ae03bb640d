"""Two-factor log-in (TOTP, RFC 6238): enrolment, log-in with a code or a recovery code, refusals, the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyotp
import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings

from tanfang.accounts.models import ApiToken, RecoveryCode, TwoFactor, User
from tanfang.accounts.two_factor import confirm_enrolment, start_enrolment
from tanfang.audit.models import AuditEvent
from tanfang.devtools.factories import DEFAULT_PASSWORD

START = dt.datetime(2027, 2, 28, 15, 59, 40, tzinfo=dt.UTC)  # 23:59:40 in Beijing, the last day of February


def enrol(user: User) -> tuple[str, list[str]]:
    """Enrol the user's authenticator as a person would: scan, then type the code the app shows."""
    secret = pyotp.parse_uri(start_enrolment(user=user)).secret
    codes = confirm_enrolment(user=user, code=pyotp.TOTP(secret).now())
    return secret, codes


def code_at(secret: str, moment: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def password_step(client: Client, username: str = "officer_wuzhi") -> Any:
    return client.post("/accounts/login/", {"username": username, "password": DEFAULT_PASSWORD})


@time_machine.travel(START, tick=False)
def test_enrolment_keeps_the_secret_encrypted_and_gives_ten_single_use_recovery_codes(officer_county_north):
    # when
    secret, codes = enrol(officer_county_north)

    # then
    assert len(codes) == 10 and len(set(codes)) == 10
    device = TwoFactor.objects.get(user=officer_county_north)
    assert device.confirmed_at is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_cipher FROM accounts_twofactor WHERE id = %s", [device.pk])
        stored = bytes(cursor.fetchone()[0])
    assert secret.encode() not in stored
    assert RecoveryCode.objects.filter(user=officer_county_north, used_at__isnull=True).count() == 10
    assert not any(c.replace("-", "") in str(list(RecoveryCode.objects.values())) for c in codes)
    assert AuditEvent.objects.filter(action="auth.2fa_enrolled", actor=officer_county_north).count() == 1


@time_machine.travel(START, tick=False)
def test_a_wrong_code_at_enrolment_enrols_nothing(officer_county_north):
    start_enrolment(user=officer_county_north)

    with pytest.raises(Exception, match="验证码不正确"):
        confirm_enrolment(user=officer_county_north, code="000000")

    assert TwoFactor.objects.get(user=officer_county_north).confirmed_at is None


@time_machine.travel(START, tick=False)
def test_log_in_asks_for_the_code_after_the_password_and_logs_in_with_it(officer_county_north):
    # given
    secret, _codes = enrol(officer_county_north)
    client = Client()

    # when the password is right
    response = password_step(client)

    # then the second step is asked for, and nobody is logged in yet
    assert response.status_code == 302 and response["Location"] == "/accounts/login/verify/"
    assert client.get("/").status_code == 302
    # when the code is right
    with time_machine.travel(START + dt.timedelta(seconds=30), tick=False):
        response = client.post("/accounts/login/verify/", {"code": code_at(secret, START + dt.timedelta(seconds=30))})
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.get("/").status_code == 200
    event = AuditEvent.objects.filter(action="auth.login").get()
    assert event.details == {"second_factor": "totp"}


@time_machine.travel(START, tick=False)
def test_a_code_used_once_is_refused_the_second_time_within_its_window(officer_county_north):
    # given a log-in with the current code
    secret, _codes = enrol(officer_county_north)
    later = START + dt.timedelta(seconds=40)
    with time_machine.travel(later, tick=False):
        client = Client()
        password_step(client)
        client.post("/accounts/login/verify/", {"code": code_at(secret, later)})

        # when someone replays the same code at once
        other = Client()
        password_step(other)
        response = other.post("/accounts/login/verify/", {"code": code_at(secret, later)})

    # then
    assert response.status_code == 200
    assert "该验证码已经使用过" in response.content.decode()
    assert other.get("/").status_code == 302
    refusal = AuditEvent.objects.filter(action="auth.2fa_failed").get()
    assert refusal.details == {"reason": "totp_reused"}


@time_machine.travel(START, tick=False)
def test_a_wrong_code_counts_towards_the_lock_out(officer_county_north):
    enrol(officer_county_north)
    client = Client()
    password_step(client)

    for _ in range(5):
        response = client.post("/accounts/login/verify/", {"code": "123456"})
        assert "验证码不正确" in response.content.decode()

    officer_county_north.refresh_from_db()
    assert officer_county_north.locked_until == START + dt.timedelta(minutes=15)
    assert AuditEvent.objects.filter(action="auth.2fa_failed").count() == 5
    assert AuditEvent.objects.filter(action="auth.locked").count() == 1
    # and while locked, even the password step answers as for a wrong password
    response = password_step(Client())
    assert "用户名或密码错误，或账号已被暂时锁定" in response.content.decode()


@time_machine.travel(START, tick=False)
def test_a_recovery_code_logs_in_once_and_is_refused_the_second_time(officer_county_north):
    # given
    _secret, codes = enrol(officer_county_north)
    first = Client()
    password_step(first)

    # when
    response = first.post("/accounts/login/verify/", {"code": codes[3].upper()})

    # then
    assert response.status_code == 302
    assert first.get("/").status_code == 200
    again = Client()
    password_step(again)
    response = again.post("/accounts/login/verify/", {"code": codes[3]})
    assert "该恢复码已经使用过" in response.content.decode()
    assert AuditEvent.objects.filter(action="auth.recovery_used").count() == 1
    assert AuditEvent.objects.filter(action="auth.2fa_failed").get().details == {"reason": "recovery_reused"}


@time_machine.travel(START, tick=False)
def test_the_second_step_expires_after_five_minutes(officer_county_north):
    secret, _codes = enrol(officer_county_north)
    client = Client()
    password_step(client)

    late = START + dt.timedelta(minutes=5, seconds=30)
    with time_machine.travel(late, tick=False):
        response = client.post("/accounts/login/verify/", {"code": code_at(secret, late)})

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


@override_settings(TANFANG_TWO_FACTOR_REQUIRED_ROLES=frozenset({"county_officer"}))
def test_a_role_that_requires_a_second_factor_can_only_enrol_until_it_has_one(officer_county_north, as_user):
    client = as_user(officer_county_north)

    assert client.get("/elders/")["Location"] == "/accounts/security/two-factor/"
    assert client.get("/api/v1/me").status_code == 401  # the session does not open the API either
    page = client.get("/accounts/security/two-factor/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()  # the QR code, drawn inline
    assert "您的角色必须启用两步验证" in page.content.decode()


@override_settings(TANFANG_TWO_FACTOR_REQUIRED_ROLES=frozenset({"county_officer"}))
def test_no_token_for_a_role_that_must_enrol_first(officer_county_north):
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "officer_wuzhi", "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "second_factor_required"
    assert ApiToken.objects.count() == 0


@time_machine.travel(START, tick=False)
def test_a_token_needs_the_code_of_an_enrolled_user(officer_county_north):
    secret, _codes = enrol(officer_county_north)
    body = {"username": "officer_wuzhi", "password": DEFAULT_PASSWORD}

    without = Client().post("/api/v1/auth/token", body, content_type="application/json")
    wrong = Client().post("/api/v1/auth/token", body | {"otp": "000000"}, content_type="application/json")
    later = START + dt.timedelta(seconds=31)
    with time_machine.travel(later, tick=False):
        right = Client().post(
            "/api/v1/auth/token", body | {"otp": code_at(secret, later)}, content_type="application/json"
        )

    assert without.status_code == 401 and without.json()["code"] == "second_factor_required"
    assert wrong.status_code == 401 and wrong.json()["code"] == "second_factor_refused"
    assert right.status_code == 201 and right.json()["token"].startswith("tf_")
    assert ApiToken.objects.count() == 1


def test_no_token_while_the_password_must_be_changed(officer_county_north):
    User.objects.filter(pk=officer_county_north.pk).update(must_change_password=True)

    response = Client().post(
        "/api/v1/auth/token",
        {"username": "officer_wuzhi", "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"
    assert ApiToken.objects.count() == 0


@time_machine.travel(START, tick=False)
def test_the_user_renews_its_recovery_codes_and_the_old_ones_stop_working(officer_county_north, as_user):
    _secret, old = enrol(officer_county_north)
    client = as_user(officer_county_north)

    page = client.post("/accounts/security/recovery-codes/")

    assert page.status_code == 200
    assert old[0] not in page.content.decode()
    other = Client()
    password_step(other)
    assert "恢复码不正确" in other.post("/accounts/login/verify/", {"code": old[0]}).content.decode()
    assert AuditEvent.objects.filter(action="auth.recovery_renewed").count() == 1
