"""Separation of duties (三员分立), no escalation, password and 2FA resets, per-IP throttling, encrypted phones."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings

from tanfang.accounts.models import ApiToken, TwoFactor, User
from tanfang.accounts.services import (
    UserInput,
    create_user,
    issue_token,
    reset_password,
    reset_two_factor,
    unlock_user,
    update_user,
)
from tanfang.accounts.two_factor import confirm_enrolment, start_enrolment
from tanfang.audit.models import AuditEvent
from tanfang.core.errors import PermissionDenied
from tanfang.core.roles import ROLE_PERMISSIONS, Permission, Role, rights_within
from tanfang.devtools.factories import DEFAULT_PASSWORD
from tanfang.notifications.models import Notification

NEW_PASSWORD = "Xinmima2026abc"
START = dt.datetime(2026, 12, 31, 16, 5, tzinfo=dt.UTC)  # 00:05 on New Year's Day in Beijing


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_none_of_the_three_administrators_reads_elders(role):
    rights = ROLE_PERMISSIONS[role]
    assert not rights & {
        Permission.VIEW_ELDERS,
        Permission.REVEAL_PERSONAL_DATA,
        Permission.EXPORT_ELDERS,
        Permission.VISIT,
        Permission.VIEW_FIGURES,
    }


def test_the_audit_administrator_reads_the_audit_log_and_nothing_else():
    assert ROLE_PERMISSIONS[Role.AUDIT_ADMIN] == {Permission.VIEW_AUDIT, Permission.EXPORT_AUDIT}


@pytest.mark.parametrize(
    ("manager", "target", "within"),
    [
        (Role.COUNTY_OFFICER, Role.TOWNSHIP_OFFICER, True),
        (Role.COUNTY_OFFICER, Role.VILLAGE_WORKER, True),  # VISIT is carried by MANAGE_VISITORS
        (Role.TOWNSHIP_OFFICER, Role.VISITOR, True),
        (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, True),
        (Role.PROVINCE_OFFICER, Role.COUNTY_OFFICER, False),  # the county keeps the registry; the province does not
        (Role.CITY_OFFICER, Role.TOWNSHIP_OFFICER, False),
        (Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER, False),  # merging elders
        (Role.SYSTEM_ADMIN, Role.VILLAGE_WORKER, False),
        (Role.SYSTEM_ADMIN, "", True),
        (Role.COUNTY_OFFICER, Role.SYSTEM_ADMIN, False),
        (Role.VILLAGE_WORKER, Role.VISITOR, False),  # may not manage accounts at all
    ],
)
def test_rights_within_ones_own(manager, target, within):
    assert rights_within(manager, target) is within


def test_a_province_officer_cannot_create_a_county_officer(officer_province):
    with pytest.raises(PermissionDenied, match="权限超出您自己的权限"):
        create_user(
            actor=officer_province,
            username="new_county",
            password=NEW_PASSWORD,
            data=UserInput(display_name="县干部", role=Role.COUNTY_OFFICER, region_codes=["410823"]),
        )
    assert not User.objects.filter(username="new_county").exists()


def test_the_system_administrator_opens_accounts_and_the_security_administrator_grants_roles(
    admin_province, security_admin
):
    # when the system administrator opens an account without a role
    user = create_user(
        actor=admin_province,
        username="new_county",
        password=NEW_PASSWORD,
        data=UserInput(display_name="县干部", role="", region_codes=["410823"]),
    )
    # then it carries no rights yet
    assert user.role == "" and user.role_label == "待授权"
    # and the system administrator may not give it a role
    with pytest.raises(PermissionDenied):
        update_user(
            actor=admin_province,
            user=user,
            data=UserInput(display_name="县干部", role=Role.COUNTY_OFFICER, region_codes=["410823"]),
        )
    user.refresh_from_db()
    assert user.role == ""
    refusal = AuditEvent.objects.get(action="access.refused")
    assert refusal.details == {"attempted": "grant_role", "role": "county_officer"}

    # when the security administrator grants the role
    update_user(
        actor=security_admin,
        user=user,
        data=UserInput(display_name="县干部", role=Role.COUNTY_OFFICER, region_codes=["410823"]),
    )

    # then
    user.refresh_from_db()
    assert user.role == Role.COUNTY_OFFICER
    grant = AuditEvent.objects.get(action="user.role_granted")
    assert grant.actor == security_admin
    assert grant.changes["role"] == {"old": "", "new": "county_officer"}


def test_nobody_grants_an_administrators_role_in_the_application(security_admin, officer_county_north):
    with pytest.raises(PermissionDenied):
        update_user(
            actor=security_admin,
            user=officer_county_north,
            data=UserInput(display_name="x", role=Role.SECURITY_ADMIN, region_codes=["410000"]),
        )
    officer_county_north.refresh_from_db()
    assert officer_county_north.role == Role.COUNTY_OFFICER


def test_a_reset_of_an_account_above_ones_own_rights_is_refused_audited_and_changes_nothing(
    officer_province, officer_county_north
):
    # given
    old_hash = officer_county_north.password

    # when
    with pytest.raises(PermissionDenied, match="超出您自己的权限"):
        reset_password(actor=officer_province, user=officer_county_north, new_password=NEW_PASSWORD)

    # then
    officer_county_north.refresh_from_db()
    assert officer_county_north.password == old_hash and not officer_county_north.must_change_password
    refusal = AuditEvent.objects.get(action="access.refused")
    assert (refusal.actor, refusal.subject_id, refusal.details) == (
        officer_province,
        str(officer_county_north.pk),
        {"attempted": "reset_password"},
    )
    assert not AuditEvent.objects.filter(action="auth.password_reset").exists()
    assert Notification.objects.count() == 0


def test_the_page_refuses_the_reset_too(officer_province, officer_county_north, as_user):
    response = as_user(officer_province).post(
        f"/users/{officer_county_north.pk}/reset-password/", {"new_password": NEW_PASSWORD}
    )

    assert response.status_code == 403
    assert "超出您自己的权限" in response.content.decode()
    assert AuditEvent.objects.filter(action="access.refused").count() == 1


@time_machine.travel(START, tick=False)
def test_a_password_reset_forces_a_change_revokes_tokens_and_sessions_is_audited_and_tells_the_user(
    officer_county_north, worker_village_north
):
    # given the worker has a phone, a token and an open session
    update_user(
        actor=officer_county_north,
        user=worker_village_north,
        data=UserInput(
            display_name="刘委员", role=Role.VILLAGE_WORKER, region_codes=["410823001001"], phone="13912345678"
        ),
    )
    _token, raw = issue_token(user=worker_village_north)
    session = Client()
    assert session.login(username="worker_jianshe", password=DEFAULT_PASSWORD)
    assert session.get("/").status_code == 200

    # when
    reset_password(actor=officer_county_north, user=worker_village_north, new_password=NEW_PASSWORD)

    # then
    worker_village_north.refresh_from_db()
    assert worker_village_north.must_change_password
    assert ApiToken.objects.get().revoked_at == START
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert session.get("/")["Location"].startswith("/accounts/login/")  # the open session ended
    event = AuditEvent.objects.get(action="auth.password_reset")
    assert (event.actor, event.details) == (officer_county_north, {"tokens_revoked": 1})
    message = Notification.objects.get()
    assert message.recipient == "139*****678" and message.state == "pending"  # the full number only encrypted
    assert "2027-01-01 00:05" in message.body and "重置" in message.body
    # and at the next log-in the new password leads to the change page
    client = Client()
    client.post("/accounts/login/", {"username": "worker_jianshe", "password": NEW_PASSWORD})
    assert client.get("/elders/")["Location"] == "/accounts/password/"


@time_machine.travel(START, tick=False)
def test_the_security_administrator_resets_a_lost_authenticator(security_admin, officer_county_north):
    # given
    secret = pyotp.parse_uri(start_enrolment(user=officer_county_north)).secret
    confirm_enrolment(user=officer_county_north, code=pyotp.TOTP(secret).now())
    issue_token(user=officer_county_north)

    # when
    reset_two_factor(actor=security_admin, user=officer_county_north)

    # then
    assert not TwoFactor.objects.filter(user=officer_county_north).exists()
    assert ApiToken.objects.get().revoked_at is not None
    event = AuditEvent.objects.get(action="auth.2fa_reset")
    assert event.details == {"had_authenticator": True, "tokens_revoked": 1}


def test_a_county_officer_cannot_reset_anyones_authenticator(officer_county_north, worker_village_north):
    with pytest.raises(PermissionDenied):
        reset_two_factor(actor=officer_county_north, user=worker_village_north)


def test_the_system_administrator_cannot_unlock_or_reset_an_officer(admin_province, officer_county_north):
    for attempt in (
        lambda: unlock_user(actor=admin_province, user=officer_county_north),
        lambda: reset_password(actor=admin_province, user=officer_county_north, new_password=NEW_PASSWORD),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert AuditEvent.objects.filter(action="access.refused").count() == 2


@override_settings(TANFANG_LOGIN_IP_MAX_ATTEMPTS=3, TANFANG_LOGIN_IP_WINDOW_SECONDS=600)
def test_log_ins_are_throttled_per_ip_whatever_the_account(officer_county_north, worker_village_north):
    # given three failures from one address, against different accounts
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("officer_wuzhi", "worker_jianshe", "nobody"):
        attacker.post("/accounts/login/", {"username": name, "password": "wrong-password-1"})

    # when the right password comes from the same address
    response = attacker.post("/accounts/login/", {"username": "officer_wuzhi", "password": DEFAULT_PASSWORD})

    # then it is refused before anything is checked, and audited
    assert "登录尝试过于频繁" in response.content.decode()
    assert attacker.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.throttled", ip_address="203.0.113.9").count() == 1
    # while another address logs in
    other = Client(REMOTE_ADDR="198.51.100.7")
    other.post("/accounts/login/", {"username": "officer_wuzhi", "password": DEFAULT_PASSWORD})
    assert other.get("/").status_code == 200
    officer_county_north.refresh_from_db()
    assert officer_county_north.failed_logins == 0


def test_users_phone_numbers_are_stored_encrypted_and_shown_masked(officer_county_north, as_user):
    user = create_user(
        actor=officer_county_north,
        username="wang",
        password=NEW_PASSWORD,
        data=UserInput(
            display_name="王村委", role=Role.VILLAGE_WORKER, region_codes=["410823001001"], phone="13912345678"
        ),
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
        row = cursor.fetchone()
    assert not any("13912345678" in str(bytes(v) if isinstance(v, memoryview) else v) for v in row)
    detail = as_user(officer_county_north).get(f"/users/{user.pk}/").content.decode()
    api = as_user(officer_county_north).get(f"/api/v1/users/{user.pk}").json()
    assert "13912345678" not in detail and api["phone"] == user.phone_masked != ""
    assert "13912345678" not in str(AuditEvent.objects.get(action="user.created").changes)


def test_an_empty_phone_on_edit_keeps_the_number(officer_county_north, worker_village_north):
    data = UserInput(display_name="刘委员", role=Role.VILLAGE_WORKER, region_codes=["410823001001"])
    update_user(
        actor=officer_county_north,
        user=worker_village_north,
        data=UserInput(
            display_name="刘委员", role=Role.VILLAGE_WORKER, region_codes=["410823001001"], phone="13912345678"
        ),
    )
    masked = User.objects.get(pk=worker_village_north.pk).phone_masked

    update_user(actor=officer_county_north, user=worker_village_north, data=data)

    assert User.objects.get(pk=worker_village_north.pk).phone_masked == masked != ""


def test_a_visitor_account_is_made_by_the_township(officer_township_north, tree):
    visitor = create_user(
        actor=officer_township_north,
        username="v2",
        password=NEW_PASSWORD,
        data=UserInput(display_name="志愿者", role=Role.VISITOR, region_codes=["410823001002"]),
    )
    assert visitor.role == Role.VISITOR


@override_settings(TANFANG_CLIENT_IP_HEADER="X-Forwarded-For", TANFANG_TRUSTED_PROXY_COUNT=1)
def test_log_ins_are_audited_with_the_address_the_trusted_proxy_saw(officer_county_north):
    # given a client that forges the left-most entry; the proxy appended the real address
    client = Client(REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.50"})

    client.post("/accounts/login/", {"username": "officer_wuzhi", "password": "wrong-password-1"})
    client.post("/accounts/login/", {"username": "officer_wuzhi", "password": DEFAULT_PASSWORD})

    events = AuditEvent.objects.filter(action__in=["auth.login_failed", "auth.login"]).order_by("id")
    assert [(e.action, e.ip_address) for e in events] == [
        ("auth.login_failed", "203.0.113.50"),
        ("auth.login", "203.0.113.50"),
    ]
