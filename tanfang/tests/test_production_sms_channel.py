"""Production names its SMS channel: a real provider, or the console (the log) only when chosen explicitly."""

from __future__ import annotations

import pytest

from config.production_checks import PRODUCTION_SMS_CHANNELS, sms_channel_problems
from tanfang.notifications.channels import FACTORIES
from tanfang.tests.test_deploy_settings import run_production


def test_production_may_name_only_real_channels_or_the_console():
    assert set(PRODUCTION_SMS_CHANNELS) <= set(FACTORIES)
    assert sms_channel_problems("aliyun_sms") == sms_channel_problems("console") == []
    assert sms_channel_problems("fake") == [
        "TANFANG_SMS_CHANNEL 应为 aliyun_sms 或 console（console 只写日志、不发短信） "
        "(TANFANG_SMS_CHANNEL must be one of aliyun_sms, console)"
    ]


@pytest.mark.parametrize("named", ["fake", "aliyun", "wecom_robot"])
def test_production_refuses_to_start_with_a_channel_that_sends_no_sms(tmp_path, named):
    result = run_production(
        "from django.conf import settings; settings.SECRET_KEY",
        TANFANG_VAR_DIR=str(tmp_path),
        TANFANG_SMS_CHANNEL=named,
    )

    assert result.returncode == 1
    assert "django.core.exceptions.ImproperlyConfigured: " in result.stderr
    assert "TANFANG_SMS_CHANNEL 应为 aliyun_sms 或 console" in result.stderr


def test_production_starts_with_the_console_when_it_is_chosen_explicitly(tmp_path):
    result = run_production(
        "from django.conf import settings; print(settings.TANFANG_SMS_CHANNEL)",
        TANFANG_VAR_DIR=str(tmp_path),
        TANFANG_SMS_CHANNEL="console",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "console"
