import pytest
from django.core.management import CommandError, call_command

from tanfang.accounts.models import User
from tanfang.audit.models import AuditEvent
from tanfang.core.roles import Role


def test_create_admin_makes_an_audited_administrator_of_a_province(tree, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "Guanliyuan2026x")

    call_command("create_admin", "--username", "root_henan", "--region", "410000", "--password-env", "ADMIN_PASSWORD")

    user = User.objects.get(username="root_henan")
    assert user.role == Role.SYSTEM_ADMIN
    assert user.check_password("Guanliyuan2026x")
    assert user.region_paths() == ("410000/",)
    assert AuditEvent.objects.get().details == {"source": "create_admin"}


@pytest.mark.parametrize(
    ("region", "password", "message"),
    [
        ("410823", "Guanliyuan2026x", "管理员须分配到省级区划，例如 410000"),
        ("410000", "short", "密码太短，至少需要 10 个字符。"),
    ],
)
def test_create_admin_refuses_bad_input_and_creates_nothing(tree, monkeypatch, region, password, message):
    monkeypatch.setenv("ADMIN_PASSWORD", password)

    with pytest.raises(CommandError) as error:
        call_command("create_admin", "--username", "root_henan", "--region", region, "--password-env", "ADMIN_PASSWORD")

    assert message in str(error.value)
    assert not User.objects.filter(username="root_henan").exists()
