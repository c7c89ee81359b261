"""Django settings for huiyuan.

Everything that differs between a trial on a laptop and a chain's deployment comes from
the environment: ``DATABASE_URL``, ``HUIYUAN_SECRET_KEY``, ``HUIYUAN_PII_KEY``,
``HUIYUAN_DEBUG``, ``HUIYUAN_ALLOWED_HOSTS``; behind HTTPS set ``HUIYUAN_HTTPS=1`` (see
"Transport and browser policy" below and ``docs/security.md``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

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
    "django_rq",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "huiyuan.core",
    "huiyuan.audit",
    "huiyuan.events",
    "huiyuan.stores",
    "huiyuan.members",
    "huiyuan.ledger",
    "huiyuan.cards",
    "huiyuan.wallet",
    "huiyuan.points",
    "huiyuan.tiers",
    "huiyuan.catalog",
    "huiyuan.checkout",
    "huiyuan.coupons",
    "huiyuan.stock",
    "huiyuan.gifts",
    "huiyuan.checkin",
    "huiyuan.shifts",
    "huiyuan.commission",
    "huiyuan.settlement",
    "huiyuan.packages",
    "huiyuan.jobs",
    "huiyuan.imports",
    "huiyuan.webhooks",
    "huiyuan.benefits",
    "huiyuan.activities",
    "huiyuan.referrals",
    "huiyuan.selfservice",
    "huiyuan.payments",
    "huiyuan.care",
    "huiyuan.followups",
    "huiyuan.surveys",
    "huiyuan.segments",
    "huiyuan.analytics",
    "huiyuan.api",
    "huiyuan.console",
    "huiyuan.portal",
]

# Error pages in the console's layout and language (huiyuan/console/errors.py).
CSRF_FAILURE_VIEW = "huiyuan.console.errors.csrf_failure"

MIDDLEWARE = [
    # First: a request id, timing, the request log line and the request metrics cover
    # every response, redirects and refusals included (huiyuan/core/observability.py).
    "huiyuan.core.observability.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
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
    # Last, as django-axes asks: it turns a lockout flagged during the view into a response.
    "axes.middleware.AxesMiddleware",
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
    elif os.environ.get("HUIYUAN_PGBOUNCER", "0") == "1":
        # Behind PgBouncer in transaction pooling no session outlives a transaction: no
        # server-side cursors (``.iterator()`` would open them outside a transaction), no
        # prepared statements (Django's default with psycopg 3, said again here).
        # docs/deploy.md "PgBouncer" lists what was checked.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
        options = dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]
        options["prepare_threshold"] = None
        config["OPTIONS"] = options
    return config


VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'huiyuan.sqlite3'}")
DATABASES = {"default": _database_from_url(DATABASE_URL)}
# A streaming replica for reports, analytics and exports (never money paths): the router
# sends reads made inside ``huiyuan.core.replica.on_replica`` there (docs/scale.md).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **_database_from_url(DATABASE_REPLICA_URL),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["huiyuan.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "stores.Staff"
# django-axes first: it refuses a locked account before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
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

# Staff sign-in (huiyuan/stores/signin.py explains the rules; docs/security.md lists them).
# An account is locked after LOGIN_FAILURE_LIMIT failures for its user name within the
# window, from any address (django-axes, user name only); an owner or HQ admin can unlock
# it on the staff page, and it unlocks by itself when the window has passed.
LOGIN_FAILURE_LIMIT = int(os.environ.get("HUIYUAN_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("HUIYUAN_LOGIN_FAILURE_WINDOW", "900"))
# One address (a shop's tills share one public address) is never locked: after this many
# failures within the window it waits 1, 2, 4 … seconds (at most the maximum) after its
# latest failure before the next attempt is even checked.
LOGIN_ADDRESS_FREE_FAILURES = int(os.environ.get("HUIYUAN_LOGIN_ADDRESS_FREE_FAILURES", "10"))
LOGIN_ADDRESS_MAX_DELAY_SECONDS = int(os.environ.get("HUIYUAN_LOGIN_ADDRESS_MAX_DELAY", "60"))
# Reverse proxies in front of the server that append to X-Forwarded-For (0: use the
# connection's address). Only set this when every request passes through them.
TRUSTED_PROXY_COUNT = int(os.environ.get("HUIYUAN_TRUSTED_PROXIES", "0"))

# axes reads the two LOGIN_FAILURE_* settings above through these (one source of truth).
AXES_FAILURE_LIMIT = "huiyuan.console.auth.client.failure_limit"
AXES_COOLOFF_TIME = "huiyuan.console.auth.client.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failure: the per-address delay counts them
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in the audit log already
AXES_USERNAME_CALLABLE = "huiyuan.console.auth.client.axes_username"
AXES_CLIENT_IP_CALLABLE = "huiyuan.core.client.client_ip"
AXES_LOCKOUT_CALLABLE = "huiyuan.console.auth.client.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "csrfmiddlewaretoken"]
# axes.W006 asks for the address among the lockout parameters: deliberately not, since
# locking an address locks a whole shop; the address gets the progressive delay instead.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Two-factor sign-in (django-otp, TOTP plus single-use backup codes) is required for these
# roles; an empty HUIYUAN_2FA_ROLES turns the policy off (not advised).
TWO_FACTOR_ROLES = frozenset(
    r.strip() for r in os.environ.get("HUIYUAN_2FA_ROLES", "owner,hq_admin").split(",") if r.strip()
)
OTP_TOTP_ISSUER = os.environ.get("HUIYUAN_OTP_ISSUER", "huiyuan")

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
    # Alpine's CSP build: no eval, so the policy needs no 'unsafe-eval'.
    ("vendor/alpinejs", _NODE / "@alpinejs" / "csp" / "dist"),
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
# Background tasks go to the database queue (django-tasks-db, the default: nothing else to
# run) or to RQ on Redis with HUIYUAN_TASK_BACKEND=rq (HUIYUAN_REDIS_URL; several workers on
# several machines). HUIYUAN_TASKS_IMMEDIATE=1 runs tasks inline (tests, demos).
TASK_BACKEND = os.environ.get("HUIYUAN_TASK_BACKEND", "database")
if TASK_BACKEND not in ("database", "rq"):
    raise ImproperlyConfigured("HUIYUAN_TASK_BACKEND must be 'database' or 'rq'")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("HUIYUAN_TASKS_IMMEDIATE") == "1"
            else _TASK_BACKENDS[TASK_BACKEND]
        )
    }
}
# The RQ queue (django-rq). Unused with the database backend.
RQ_QUEUES = {
    "default": {
        "URL": os.environ.get("HUIYUAN_REDIS_URL") or "redis://127.0.0.1:6379/0",
        "DEFAULT_TIMEOUT": 3600,
    }
}

# Idempotency keys are kept this many days (longer than any offline POS queue), then
# purged by the daily job.
IDEMPOTENCY_RETENTION_DAYS = int(os.environ.get("HUIYUAN_IDEMPOTENCY_RETENTION_DAYS", "30"))
# Offline POS batches (huiyuan/ledger/offline.py): a sale made offline is priced at the
# prices in force when it was made ("original") or when it is sent ("submission").
OFFLINE_PRICES = os.environ.get("HUIYUAN_OFFLINE_PRICES", "original")
# Delivered domain events are kept this many days for the feed (GET /api/v1/events).
EVENTS_RETENTION_DAYS = int(os.environ.get("HUIYUAN_EVENTS_RETENTION_DAYS", "90"))

# Messages to members (docs/care.md): one backend per channel. The default keeps every
# SMS, e-mail and WeChat message in the local development outbox (no network); production
# names its providers in a JSON file (HUIYUAN_CARE_CHANNELS_FILE), e.g.
# {"sms": {"BACKEND": "huiyuan.care.channels.aliyun.AliyunSmsChannel", "OPTIONS": {...}}}.
_CARE_OUTBOX = {"BACKEND": "huiyuan.care.channels.outbox.OutboxChannel"}
HUIYUAN_CARE_CHANNELS: dict[str, Any] = {
    "sms": _CARE_OUTBOX,
    "email": _CARE_OUTBOX,
    "wechat": {"BACKEND": "huiyuan.care.channels.wechat.WechatTestDouble"},
    "inbox": {"BACKEND": "huiyuan.care.channels.inbox.InboxChannel"},
    "webhook": _CARE_OUTBOX,
}
if os.environ.get("HUIYUAN_CARE_CHANNELS_FILE"):
    HUIYUAN_CARE_CHANNELS.update(
        json.loads(Path(os.environ["HUIYUAN_CARE_CHANNELS_FILE"]).read_text(encoding="utf-8"))
    )
HUIYUAN_CARE_QUIET_HOURS = (21, 9)  # no marketing from 21:00 to 09:00 local: deferred
HUIYUAN_CARE_MARKETING_CAP = (3, 7)  # at most 3 marketing messages per member in 7 days
HUIYUAN_PUBLIC_URL = os.environ.get("HUIYUAN_PUBLIC_URL", "")  # for unsubscribe links
# The secret path part of the SMS gateway's inbound-reply callback (/care/sms/inbound/<it>/).
HUIYUAN_CARE_INBOUND_SECRET = os.environ.get("HUIYUAN_CARE_INBOUND_SECRET", "")

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Every log record is redacted as it is made: no mobile, ID number or search text in any
# log line (huiyuan/core/logredact.py). Django's loggers write through the root's handler
# (their defaults would add an unfiltered runserver handler and e-mail to admins).
LOGGING_CONFIG = "huiyuan.core.logredact.configure"
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HUIYUAN_LOG_LEVEL", "WARNING")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
# HUIYUAN_LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request
# id…), and one line per request (huiyuan.request: request id, actor and store ids, method,
# path without query, status, duration) — still redacted (huiyuan/core/observability.py).
LOG_FORMAT = os.environ.get("HUIYUAN_LOG_FORMAT", "text")
if LOG_FORMAT == "json":
    LOGGING["formatters"] = {"json": {"()": "huiyuan.core.jsonlog.JsonFormatter"}}
    LOGGING["handlers"]["console"]["formatter"] = "json"
    LOGGING["loggers"]["huiyuan.request"] = {"handlers": [], "level": "INFO", "propagate": True}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_HTTPONLY = False
    X_FRAME_OPTIONS = "DENY"

# ------------------------------------------------------- transport and browser policy
# HUIYUAN_HTTPS=1 when the site is served over HTTPS (usually by a proxy that sets
# X-Forwarded-Proto and strips it from clients): cookies only over HTTPS, HSTS, http
# redirected. Off by default, for the local http demo.
HTTPS = os.environ.get("HUIYUAN_HTTPS", "0") == "1"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Load-balancer probes and the metrics scraper may speak plain http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("HUIYUAN_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("HUIYUAN_HSTS_SUBDOMAINS", "0") == "1"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp) on every response: scripts, styles, fonts and images
# only from this server; no inline script, no eval, no inline <style>. Templates keep
# behaviour in huiyuan/console/static/ (a test refuses inline scripts and on*= handlers).
_CSP_DIRECTIVES: dict[str, list[str]] = {
    "default-src": [CSP_SELF],
    "script-src": [CSP_SELF],
    "style-src": [CSP_SELF],
    "img-src": [CSP_SELF, "data:"],  # Tabler draws form controls with data: SVGs
    "font-src": [CSP_SELF],
    "connect-src": [CSP_SELF],
    "object-src": [CSP_NONE],
    "base-uri": [CSP_NONE],
    "form-action": [CSP_SELF],
    "frame-ancestors": [CSP_NONE],
}
if HTTPS:
    _CSP_DIRECTIVES["upgrade-insecure-requests"] = []
CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}

# ------------------------------------------------------------------------------ operations
# docs/deploy.md lists every variable read here. HUIYUAN_NODES: how many machines run
# huiyuan against this database (more than one needs PostgreSQL; huiyuan check-deploy).
NODES = int(os.environ.get("HUIYUAN_NODES", "1"))
# Backups (huiyuan backup / restore): where dumps go and how long they are kept; pg_dump
# connects to BACKUP_DATABASE_URL when set (PostgreSQL itself, not PgBouncer), else to the
# default database; HUIYUAN_PG_BIN picks the directory of pg_dump/pg_restore.
BACKUP_DIR = os.environ.get("HUIYUAN_BACKUP_DIR", "")
BACKUP_DATABASE_URL = os.environ.get("HUIYUAN_BACKUP_DATABASE_URL", "")
BACKUP_KEEP_DAYS = int(os.environ.get("HUIYUAN_BACKUP_KEEP_DAYS", "30"))
BACKUP_KEEP_MONTHS = int(os.environ.get("HUIYUAN_BACKUP_KEEP_MONTHS", "12"))
BACKUP_MAX_AGE_HOURS = int(os.environ.get("HUIYUAN_BACKUP_MAX_AGE_HOURS", "26"))
PG_BIN_DIR = os.environ.get("HUIYUAN_PG_BIN", "")
# Supervision and readiness (huiyuan serve, /readyz): heartbeat files of the worker and
# scheduler under RUN_DIR, stale after HEARTBEAT_STALE_SECONDS; READY_BACKGROUND names the
# background processes /readyz requires (``huiyuan serve`` sets it for the ones it runs).
RUN_DIR = Path(os.environ.get("HUIYUAN_RUN_DIR", VAR_DIR / "run"))
HEARTBEAT_STALE_SECONDS = int(os.environ.get("HUIYUAN_HEARTBEAT_STALE", "30"))
READY_BACKGROUND = [
    r.strip() for r in os.environ.get("HUIYUAN_READY_BACKGROUND", "").split(",") if r.strip()
]
# Redis, when the deployment has one: /readyz pings it.
REDIS_URL = os.environ.get("HUIYUAN_REDIS_URL", "")
# With Redis, the cache is Redis: the API's per-key rate limits then hold across every web
# process and machine (huiyuan/stores/api_rate.py). Without it, each process counts alone.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
# /metrics answers requests from this machine without a token; others need
# ``Authorization: Bearer <HUIYUAN_METRICS_TOKEN>`` (empty: nobody else).
METRICS_TOKEN = os.environ.get("HUIYUAN_METRICS_TOKEN", "")
# Online payments (huiyuan/payments, docs/payments.md). HUIYUAN_PAYMENTS_PROVIDERS lists the
# providers offered (sandbox, wechat, alipay); the sandbox pays without money, so it is on
# by default only with DEBUG. Notifications come back to HUIYUAN_PAYMENTS_NOTIFY_BASE_URL
# (the public https origin; empty: the origin of the request that created the order).
PAYMENTS_PROVIDERS = [
    p.strip()
    for p in os.environ.get("HUIYUAN_PAYMENTS_PROVIDERS", "sandbox" if DEBUG else "").split(",")
    if p.strip()
]
PAYMENTS_NOTIFY_BASE_URL = os.environ.get("HUIYUAN_PAYMENTS_NOTIFY_BASE_URL", "")
PAYMENTS_SANDBOX_KEY = os.environ.get("HUIYUAN_PAYMENTS_SANDBOX_KEY", "")
WECHATPAY_MCHID = os.environ.get("HUIYUAN_WECHATPAY_MCHID", "")
WECHATPAY_APPID = os.environ.get("HUIYUAN_WECHATPAY_APPID", "")
WECHATPAY_PRIVATE_KEY = os.environ.get("HUIYUAN_WECHATPAY_PRIVATE_KEY", "")
WECHATPAY_CERT_SERIAL_NO = os.environ.get("HUIYUAN_WECHATPAY_CERT_SERIAL_NO", "")
WECHATPAY_APIV3_KEY = os.environ.get("HUIYUAN_WECHATPAY_APIV3_KEY", "")
WECHATPAY_PUBLIC_KEY = os.environ.get("HUIYUAN_WECHATPAY_PUBLIC_KEY", "")
WECHATPAY_PUBLIC_KEY_ID = os.environ.get("HUIYUAN_WECHATPAY_PUBLIC_KEY_ID", "")
ALIPAY_APPID = os.environ.get("HUIYUAN_ALIPAY_APPID", "")
ALIPAY_PRIVATE_KEY = os.environ.get("HUIYUAN_ALIPAY_PRIVATE_KEY", "")
ALIPAY_PUBLIC_KEY = os.environ.get("HUIYUAN_ALIPAY_PUBLIC_KEY", "")
ALIPAY_DEBUG = os.environ.get("HUIYUAN_ALIPAY_DEBUG", "0") == "1"
