"""Production settings: Django's deployment check passes without a warning, the public demo keys
and debugging are refused at start-up, and PostgreSQL cancels runaway statements."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from config.database import DEFAULT_STATEMENT_TIMEOUT_MS, database_settings, statement_timeout_from
from config.production_checks import (
    DEMO_BLIND_INDEX_KEY,
    DEMO_FIELD_KEYS,
    DEMO_SECRET_KEY,
    production_problems,
    refuse_unsafe_production,
)

BASE_DIR = Path(settings.BASE_DIR)
PG_URL = "postgres://tanfang:secret@db.example:5432/tanfang"


def real_keys() -> dict[str, str]:
    return {
        "TANFANG_SECRET_KEY": secrets.token_urlsafe(50),
        "TANFANG_FIELD_KEYS": f"k2:{secrets.token_hex(16)},k1:{secrets.token_hex(16)}",
        "TANFANG_BLIND_INDEX_KEY": secrets.token_hex(32),
    }


def problems(**changes: object) -> list[str]:
    keys = real_keys()
    values: dict = {
        "debug": False,
        "secret_key": keys["TANFANG_SECRET_KEY"],
        "field_keys": keys["TANFANG_FIELD_KEYS"],
        "blind_index_key": keys["TANFANG_BLIND_INDEX_KEY"],
    }
    return production_problems(**(values | changes))


def run_production(code: str, **environ: str) -> subprocess.CompletedProcess[str]:
    """Run Python with production settings and nothing of this test run's environment."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TANFANG_", "DJANGO_", "DATABASE_URL", "CELERY_"))
    }
    env = inherited | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TANFANG_ENV": "production",
        "TANFANG_ALLOWED_HOSTS": "tanfang.example.gov.cn",
        "TANFANG_SMS_CHANNEL": "aliyun_sms",
        "TANFANG_VAR_DIR": environ.pop("TANFANG_VAR_DIR"),
        **real_keys(),
        **environ,
    }
    return subprocess.run(  # noqa: S603 — our own interpreter, fixed arguments
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


# --- the deployment check, under production settings ---------------------------------------


def test_the_deployment_check_passes_without_a_warning_in_production(tmp_path):
    # when
    result = run_production(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['tanfang', 'check', '--deploy', '--fail-level', 'WARNING'])",
        TANFANG_VAR_DIR=str(tmp_path),
    )

    # then
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output
    assert "System check identified no issues" in output


def test_production_settings_turn_on_https_only_and_secure_cookies(tmp_path):
    # when
    result = run_production(
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'hsts': s.SECURE_HSTS_SECONDS, 'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "'preload': s.SECURE_HSTS_PRELOAD, 'redirect': s.SECURE_SSL_REDIRECT, "
        "'exempt': s.SECURE_REDIRECT_EXEMPT, 'proxy': s.SECURE_PROXY_SSL_HEADER, "
        "'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE, "
        "'debug': s.DEBUG, 'options': s.DATABASES['default']['OPTIONS'], "
        "'health_checks': s.DATABASES['default']['CONN_HEALTH_CHECKS']}))",
        TANFANG_VAR_DIR=str(tmp_path),
        DATABASE_URL=PG_URL,
        TANFANG_DB_STATEMENT_TIMEOUT_MS="45000",
    )

    # then
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "hsts": 365 * 24 * 3600,
        "subdomains": True,
        "preload": False,
        "redirect": True,
        "exempt": ["^healthz$"],
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
        "session_secure": True,
        "csrf_secure": True,
        "debug": False,
        "options": {"server_side_binding": False, "options": "-c statement_timeout=45000"},
        "health_checks": True,
    }


def test_hsts_preload_is_the_operators_choice_and_then_checked_by_django(tmp_path):
    result = run_production(
        "import django; django.setup(); from django.conf import settings as s; "
        "from django.core.checks import run_checks; "
        "print(s.SECURE_HSTS_PRELOAD, s.SILENCED_SYSTEM_CHECKS, "
        "[m.id for m in run_checks(include_deployment_checks=True)])",
        TANFANG_VAR_DIR=str(tmp_path),
        TANFANG_HSTS_PRELOAD="1",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True [] []"


# --- production refuses debugging and the public demo keys --------------------------------


def test_real_keys_without_debugging_may_run():
    assert problems() == []


def test_debugging_is_refused():
    assert problems(debug=True) == [
        "生产环境不得开启调试模式 TANFANG_DEBUG=1 (TANFANG_DEBUG=1 is not allowed when TANFANG_ENV=production)"
    ]


def test_the_demo_secret_key_is_refused():
    assert problems(secret_key=DEMO_SECRET_KEY) == [
        "TANFANG_SECRET_KEY 是公开的演示密钥 (TANFANG_SECRET_KEY is the public demo key)"
    ]


@pytest.mark.parametrize(
    "secret_key",
    [secrets.token_hex(25)[:49], secrets.token_urlsafe(30), "ab" * 40, "django-insecure-" + secrets.token_urlsafe(50)],
    ids=["49 characters", "40 characters", "two distinct characters", "django-insecure prefix"],
)
def test_a_short_or_placeholder_secret_key_is_refused(secret_key):
    assert problems(secret_key=secret_key) == [
        "TANFANG_SECRET_KEY 应为至少50个字符的随机字符串 "
        "(TANFANG_SECRET_KEY must be a random string of at least 50 characters)"
    ]


def test_the_demo_field_key_is_refused_even_as_an_old_key():
    # given: a real current key in front of the demo one, as after a rotation that left data under it
    field_keys = f"k2:{secrets.token_hex(16)},{DEMO_FIELD_KEYS}"

    assert problems(field_keys=field_keys) == [
        "TANFANG_FIELD_KEYS 第2项是公开的演示密钥 (TANFANG_FIELD_KEYS entry 2 is the public demo key)"
    ]


def test_the_demo_field_key_is_refused_under_another_id_or_in_capitals():
    assert problems(field_keys="prod1:000102030405060708090A0B0C0D0E0F") == [
        "TANFANG_FIELD_KEYS 第1项是公开的演示密钥 (TANFANG_FIELD_KEYS entry 1 is the public demo key)"
    ]


@pytest.mark.parametrize(
    "field_keys",
    [f"k1:{secrets.token_hex(8)}", f"k1:{secrets.token_hex(17)}", f"k1 {secrets.token_hex(16)}", "k1:" + "g" * 32],
    ids=["16 digits", "34 digits", "no colon", "not hex"],
)
def test_a_field_key_of_the_wrong_length_or_form_is_refused(field_keys):
    assert problems(field_keys=field_keys) == [
        "TANFANG_FIELD_KEYS 第1项应为 密钥标识:32位十六进制密钥 (TANFANG_FIELD_KEYS entry 1 must be id:32 hex digits)"
    ]


def test_a_placeholder_field_key_is_refused():
    assert problems(field_keys="k1:" + "0" * 32) == [
        "TANFANG_FIELD_KEYS 第1项不是随机密钥 (TANFANG_FIELD_KEYS entry 1 is not random)"
    ]


def test_the_demo_blind_index_key_is_refused():
    assert problems(blind_index_key=DEMO_BLIND_INDEX_KEY) == [
        "TANFANG_BLIND_INDEX_KEY 是公开的演示密钥 (TANFANG_BLIND_INDEX_KEY is the public demo key)"
    ]


@pytest.mark.parametrize(
    "blind_index_key",
    [secrets.token_hex(16), secrets.token_hex(32) + "a", "z" * 64],
    ids=["32 digits (enough for the demo, not for production)", "odd number of digits", "not hex"],
)
def test_a_short_or_malformed_blind_index_key_is_refused(blind_index_key):
    assert problems(blind_index_key=blind_index_key) == [
        "TANFANG_BLIND_INDEX_KEY 应为至少64位、偶数位的十六进制 "
        "(TANFANG_BLIND_INDEX_KEY must be an even number of hex digits, at least 64)"
    ]


def test_a_placeholder_blind_index_key_is_refused():
    assert problems(blind_index_key="ab" * 32) == [
        "TANFANG_BLIND_INDEX_KEY 不是随机密钥 (TANFANG_BLIND_INDEX_KEY is not random)"
    ]


def test_the_refusal_names_every_problem_and_no_key():
    with pytest.raises(ImproperlyConfigured) as refused:
        refuse_unsafe_production(
            debug=True, secret_key=DEMO_SECRET_KEY, field_keys=DEMO_FIELD_KEYS, blind_index_key=DEMO_BLIND_INDEX_KEY
        )

    message = str(refused.value)
    assert message.splitlines() == [
        "生产环境配置不安全，拒绝启动 (unsafe production settings, refusing to start):",
        "- 生产环境不得开启调试模式 TANFANG_DEBUG=1 (TANFANG_DEBUG=1 is not allowed when TANFANG_ENV=production)",
        "- TANFANG_SECRET_KEY 是公开的演示密钥 (TANFANG_SECRET_KEY is the public demo key)",
        "- TANFANG_FIELD_KEYS 第1项是公开的演示密钥 (TANFANG_FIELD_KEYS entry 1 is the public demo key)",
        "- TANFANG_BLIND_INDEX_KEY 是公开的演示密钥 (TANFANG_BLIND_INDEX_KEY is the public demo key)",
    ]


def test_the_demo_and_test_runs_use_the_public_keys_the_checks_know():
    # the settings take their demo defaults from the checks' constants: one definition of "public"
    assert settings.SECRET_KEY == DEMO_SECRET_KEY
    assert settings.TANFANG_FIELD_KEYS == DEMO_FIELD_KEYS
    assert settings.TANFANG_BLIND_INDEX_KEY == DEMO_BLIND_INDEX_KEY


@pytest.mark.parametrize(
    ("environ", "refusal"),
    [
        ({"TANFANG_DEBUG": "1"}, "生产环境不得开启调试模式 TANFANG_DEBUG=1"),
        ({"TANFANG_SECRET_KEY": DEMO_SECRET_KEY}, "TANFANG_SECRET_KEY 是公开的演示密钥"),
        ({"TANFANG_FIELD_KEYS": DEMO_FIELD_KEYS}, "TANFANG_FIELD_KEYS 第1项是公开的演示密钥"),
        ({"TANFANG_BLIND_INDEX_KEY": DEMO_BLIND_INDEX_KEY}, "TANFANG_BLIND_INDEX_KEY 是公开的演示密钥"),
        ({"TANFANG_SECRET_KEY": ""}, "生产环境必须设置 TANFANG_SECRET_KEY"),
        ({"TANFANG_SMS_CHANNEL": ""}, "生产环境必须设置 TANFANG_SMS_CHANNEL"),  # never the log by default
        ({"TANFANG_ALLOWED_HOSTS": ""}, "生产环境必须设置 TANFANG_ALLOWED_HOSTS"),
    ],
    ids=["debug", "demo secret key", "demo field key", "demo blind index key", "no secret key", "no sms", "no hosts"],
)
def test_production_settings_refuse_to_load(tmp_path, environ, refusal):
    # when: anything that loads the settings (a web process, a worker, a command)
    result = run_production(
        "from django.conf import settings; settings.SECRET_KEY", TANFANG_VAR_DIR=str(tmp_path), **environ
    )

    # then
    assert result.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured: " in result.stderr
    assert refusal in result.stderr


# --- the database connection ----------------------------------------------------------------


def test_postgresql_gets_a_statement_timeout_and_health_checks():
    database = database_settings(PG_URL, conn_max_age=60, statement_timeout_ms=30_000, server_side_binding=False)

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["OPTIONS"] == {"server_side_binding": False, "options": "-c statement_timeout=30000"}
    assert database["CONN_HEALTH_CHECKS"] is True
    assert database["CONN_MAX_AGE"] == 60


def test_options_given_in_the_url_are_kept_beside_the_timeout():
    url = PG_URL + "?sslmode=require&options=-c%20search_path%3Dtanfang"

    database = database_settings(url, conn_max_age=60, statement_timeout_ms=0, server_side_binding=True)

    assert database["OPTIONS"] == {
        "sslmode": "require",
        "server_side_binding": True,
        "options": "-c search_path=tanfang -c statement_timeout=0",
    }


def test_no_timeout_is_sent_when_the_server_keeps_it():
    database = database_settings(PG_URL, conn_max_age=60, statement_timeout_ms=None, server_side_binding=False)

    assert database["OPTIONS"] == {"server_side_binding": False}


def test_sqlite_keeps_its_own_options():
    database = database_settings("sqlite:////tmp/x.sqlite3", conn_max_age=60, statement_timeout_ms=30_000,
                                 server_side_binding=False)  # fmt: skip

    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"] == {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }


@pytest.mark.parametrize(
    ("value", "milliseconds"),
    [(None, 30_000), ("5000", 5000), ("0", 0), ("", None), ("  ", None)],
    ids=["unset", "5 s", "no limit", "empty", "blank"],
)
def test_the_statement_timeout_setting(value, milliseconds):
    assert DEFAULT_STATEMENT_TIMEOUT_MS == 30_000
    assert statement_timeout_from(value) == milliseconds


def test_a_negative_statement_timeout_is_refused():
    with pytest.raises(ValueError, match="不能为负数"):
        statement_timeout_from("-1")


def test_the_connection_in_use_has_the_configured_options(db):
    # given: the settings of this run, built by the same function from the same environment
    configured = settings.DATABASES["default"]
    expected = database_settings(
        os.environ.get("DATABASE_URL", "sqlite:///unused.sqlite3"),
        conn_max_age=0,
        statement_timeout_ms=settings.TANFANG_DB_STATEMENT_TIMEOUT_MS,
        server_side_binding=os.environ.get("TANFANG_DB_SERVER_SIDE_BINDING", "0") == "1",
    )

    # then: the settings hold them, and on PostgreSQL the server applies the timeout
    assert configured["OPTIONS"] == expected["OPTIONS"]
    assert configured["CONN_HEALTH_CHECKS"] is True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
            (setting,) = cursor.fetchone()
        assert int(setting) == settings.TANFANG_DB_STATEMENT_TIMEOUT_MS
