"""Settings for the test suite: the same settings, with test defaults set first."""

import os

os.environ.setdefault("TANFANG_ENV", "test")
os.environ.setdefault("TANFANG_STATIC_MANIFEST", "0")

from config.settings import *  # noqa: F403 — settings modules are the one place star imports belong

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; production keeps PBKDF2
CELERY_TASK_ALWAYS_EAGER = os.environ.get("TANFANG_TASKS_EAGER", "1") == "1"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 — whitenoise warns when the folder is missing
TANFANG_SMS_CHANNEL = "fake"
