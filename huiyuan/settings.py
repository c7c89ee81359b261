"""Django settings for huiyuan.

Everything that differs between a trial on a laptop and a chain's deployment comes from
the environment: ``DATABASE_URL``, ``HUIYUAN_SECRET_KEY``, ``HUIYUAN_PII_KEY``,
``HUIYUAN_DEBUG``, ``HUIYUAN_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("HUIYUAN_VAR_DIR", PROJECT_DIR / "var"))

DEBUG = os.environ.get("HUIYUAN_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get(
    "HUIYUAN_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789"
)
# Key for personal data encrypted at rest (ID numbers, addresses, mobiles) and for the
# keyed hashes that make them searchable. Separate from SECRET_KEY so it can be rotated
# on its own; defaults to a key derived from SECRET_KEY for trials.
PII_KEY = os.environ.get("HUIYUAN_PII_KEY", "")
ALLOWED_HOSTS = os.environ.get("HUIYUAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("HUIYUAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "template_partials",
    "huiyuan.core",
    "huiyuan.audit",
    "huiyuan.stores",
    "huiyuan.members",
    "huiyuan.ledger",
    "huiyuan.cards",
    "huiyuan.wallet",
    "huiyuan.points",
    "huiyuan.tiers",
    "huiyuan.checkout",
    "huiyuan.jobs",
    "huiyuan.api",
    "huiyuan.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "huiyuan.api.middleware.ApiMethodNotAllowedMiddleware",
]

ROOT_URLCONF = "huiyuan.urls"
WSGI_APPLICATION = "huiyuan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "huiyuan.console.context.console",
            ],
        },
    },
]


def _database_from_url(url: str) -> dict[str, object]:
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL for concurrent readers, IMMEDIATE so a writing transaction takes the write
        # lock at BEGIN (no lock upgrades that deadlock), FULL sync so a committed sale
        # survives a power cut.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA foreign_keys=ON;"
            ),
        }
    return config


VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'huiyuan.sqlite3'}")
DATABASES = {"default": _database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "stores.Staff"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:dashboard"
SESSION_COOKIE_AGE = 12 * 3600

# Staff login throttling: this many failures for one username (or one address) within
# the window lock further attempts until the window passes.
LOGIN_FAILURE_LIMIT = int(os.environ.get("HUIYUAN_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("HUIYUAN_LOGIN_FAILURE_WINDOW", "900"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
_NODE = PROJECT_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/tabler", _NODE / "@tabler" / "core" / "dist"),
    ("vendor/htmx", _NODE / "htmx.org" / "dist"),
    ("vendor/alpinejs", _NODE / "alpinejs" / "dist"),
    ("vendor/echarts", _NODE / "echarts" / "dist"),
    ("vendor/tabler-icons", _NODE / "@tabler" / "icons-webfont" / "dist"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
# Production serves collected files (``huiyuan serve`` runs collectstatic); finders scan
# node_modules on every start, which only development wants.
WHITENOISE_USE_FINDERS = DEBUG or os.environ.get("HUIYUAN_STATIC_FINDERS") == "1"

# Request limits: an oversized body is refused before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Background work: the database backend by default (one shop, no extra services);
# HUIYUAN_TASKS_IMMEDIATE=1 runs tasks inline (tests, demos).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("HUIYUAN_TASKS_IMMEDIATE") == "1"
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HUIYUAN_LOG_LEVEL", "WARNING")},
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_HTTPONLY = False
    X_FRAME_OPTIONS = "DENY"
