import pytest

from tanfang.accounts.services import change_password
from tanfang.audit.models import AuditEvent
from tanfang.core.errors import ValidationFailed
from tanfang.core.roles import Role
from tanfang.devtools.factories import DEFAULT_PASSWORD, make_user


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1cdef2", "密码太短，至少需要 10 个字符。"),
        ("1234567890123", "密码只包含数字。"),
        ("abcdefghijklmn", "密码必须同时包含字母和数字。"),
        ("password123", "这个密码太常见了。"),
    ],
)
def test_weak_passwords_are_refused_with_a_chinese_reason(officer_county_north, password, message):
    with pytest.raises(ValidationFailed) as error:
        change_password(actor=officer_county_north, old_password=DEFAULT_PASSWORD, new_password=password)

    assert message in [e.message for e in error.value.errors]
    officer_county_north.refresh_from_db()
    assert officer_county_north.check_password(DEFAULT_PASSWORD)
    assert AuditEvent.objects.count() == 0


def test_wrong_old_password_is_refused(officer_county_north):
    with pytest.raises(ValidationFailed) as error:
        change_password(actor=officer_county_north, old_password="not-it", new_password="Qingshui2026xyz")

    assert error.value.errors[0].field == "old_password"
    assert error.value.errors[0].message == "原密码不正确"


def test_changing_the_password_clears_the_must_change_flag_and_is_audited(tree):
    # given
    user = make_user("new_officer", Role.COUNTY_OFFICER, [tree.wuzhi], must_change_password=True)

    # when
    change_password(actor=user, old_password=DEFAULT_PASSWORD, new_password="Qingshui2026xyz")

    # then
    user.refresh_from_db()
    assert user.check_password("Qingshui2026xyz")
    assert user.must_change_password is False
    event = AuditEvent.objects.get()
    assert event.action == "auth.password_changed"
    assert "Qingshui2026xyz" not in str(event.changes) + str(event.details)


def test_a_user_with_an_initial_password_is_sent_to_change_it_first(tree, as_user):
    user = make_user("new_officer", Role.COUNTY_OFFICER, [tree.wuzhi], must_change_password=True)
    client = as_user(user)

    assert client.get("/regions/")["Location"] == "/accounts/password/"
    assert client.get("/accounts/password/").status_code == 200
    assert client.get("/api/v1/me").status_code == 401
