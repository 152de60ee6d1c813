"""Lifeline settings. Everything comes from LIFELINE_* environment variables.

LIFELINE_DATABASE_URL   default sqlite:///<data dir>/lifeline.sqlite3
LIFELINE_SECRET_KEY     default: a random key kept in <data dir>/secret_key
LIFELINE_DATA_DIR       default ./var
LIFELINE_TIME_ZONE      default Asia/Shanghai
LIFELINE_LANGUAGE       default zh-hans (en available by the switch in the page header; not from the browser)
LIFELINE_DEBUG          default off
LIFELINE_ALLOWED_HOSTS  comma separated, default 127.0.0.1,localhost
LIFELINE_HTTPS          served over HTTPS (behind a reverse proxy that sets X-Forwarded-Proto): secure
                        session, CSRF and language cookies, HSTS (LIFELINE_HSTS_SECONDS, default one
                        year) and SECURE_PROXY_SSL_HEADER; default on when LIFELINE_BASE_URL is https://
LIFELINE_FRAME_ANCESTORS  the sites that may frame the public banner /status/banner/ (space or comma
                        separated, e.g. https://www.hospital.cn); default any site. No other page may
                        be framed (lifeline/core/security.py: the Content-Security-Policy)
LIFELINE_AUDIT_KEY      the key that signs the audit log (at least 32 characters; the same on every host);
                        default: a random key kept in <data dir>/audit_key (LIFELINE_AUDIT_KEY_FILE)
LIFELINE_AUDIT_ANCHOR_FILE  where the audit log's signed checkpoints go, default <data dir>/audit-anchors.log
LIFELINE_AUDIT_ANCHOR_MINUTES  how often the worker anchors the audit log, default 1440 (daily)
LIFELINE_AUDIT_SYSLOG   also send each anchor to this syslog: a socket path (/dev/log) or host:port (UDP)
LIFELINE_WORKDAYS_FILE  the hospital's own holidays and adjusted working days (调休), on top of the
                        chinesecalendar package, default <data dir>/workdays.yaml (lifeline.core.workdays)

Monitoring Lifeline itself (/metrics, Prometheus text format; lifeline/site/metrics.py):
LIFELINE_METRICS_TOKEN  the scraper sends `Authorization: Bearer <token>`; default none
LIFELINE_METRICS_ALLOW  comma separated addresses or networks the scraper connects from
                        (10.0.5.0/24,127.0.0.1), checked against the direct peer's address (behind a
                        reverse proxy, use the token); default none. Each one set must be met; with
                        neither set /metrics answers 403.

Notifications (lifeline.notify):
LIFELINE_BASE_URL       the address people open links at (acknowledgement links), default http://127.0.0.1:8000
LIFELINE_WECOM_API_BASE / LIFELINE_DINGTALK_API_BASE / LIFELINE_FEISHU_API_BASE
                        the vendor's API address, replaced by a proxy or gateway where the
                        intranet reaches it through one; defaults https://qyapi.weixin.qq.com,
                        https://oapi.dingtalk.com, https://open.feishu.cn
LIFELINE_NOTIFY_EMAIL_URL  Apprise mailto(s):// URL for contacts left as an email address,
                        {to} stands for the address; default none (such contacts undeliverable)
LIFELINE_NOTIFY_SMS_URL    Apprise URL of the SMS gateway (json:// or form://), {to} stands for the
                        phone number; default none
LIFELINE_NOTIFY_TIMEOUT    seconds to connect to / wait for a channel, default 5
LIFELINE_NOTIFY_RETRY_SECONDS  waits before the 2nd, 3rd … attempt on one channel, default 10,30
LIFELINE_ACK_LINK_HOURS    how long an acknowledgement link works, default 24
"""
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env(name, default=None):
    return os.environ.get(f"LIFELINE_{name}", default)


def env_flag(name, default=False):
    value = env(name)
    return default if value is None else value.lower() in ("1", "true", "yes", "on")


DATA_DIR = Path(env("DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key():
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    # A generated key is kept so sessions survive a restart of `make run`.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_flag("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "import_export",
    "ninja",  # serves the API docs' Swagger UI from this server (without it, from a CDN)
    "lifeline.core",
    "lifeline.accounts",
    "lifeline.audit",
    "lifeline.plans",
    "lifeline.people",
    "lifeline.incidents",
    "lifeline.continuity",  # only the migration history from before the split (its __init__ says why)
    "lifeline.snapshots",
    "lifeline.stations",
    "lifeline.recovery",
    "lifeline.reconciliation",
    "lifeline.analysis",
    "lifeline.detection",
    "lifeline.notify",
    "lifeline.status",
    "lifeline.cutover",
    "lifeline.inspections",
    "lifeline.backups",
    "lifeline.drills",
    "lifeline.site",  # on top: `lifeline demo`, which loads every app's demo data
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lifeline.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lifeline.core.middleware.HospitalLanguageMiddleware",  # the hospital's language, not the browser's
    "django.middleware.locale.LocaleMiddleware",
    "lifeline.core.middleware.NoNulCharactersMiddleware",  # PostgreSQL text holds no NUL: refused up front
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lifeline.accounts.middleware.LoginRequiredMiddleware",
    "lifeline.audit.middleware.ActorMiddleware",
    # Axes goes last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lifeline.urls"
WSGI_APPLICATION = "lifeline.wsgi.application"

# One form style for the whole site (lifeline/core/forms.py, core/templates/forms/lifeline.html).
FORM_RENDERER = "lifeline.core.forms.SiteFormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lifeline.accounts.context.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'lifeline.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The worker and the web server share one file: wait for locks instead of failing.
    # WAL: readers do not block the writer (README: when to move to PostgreSQL).
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE",
                                                           "init_command": "PRAGMA journal_mode=WAL;"})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A request's changes and their audit entries commit together or not at all.
DATABASES["default"]["ATOMIC_REQUESTS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed-login throttling (django-axes): lock a username+IP after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False

LANGUAGE_CODE = env("LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint and fontTools narrate every step of a PDF at INFO.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}

# The audit log's key and anchors (lifeline/audit/keys.py, anchors.py; docs/audit.md).
AUDIT_KEY = env("AUDIT_KEY", "")
AUDIT_KEY_FILE = env("AUDIT_KEY_FILE")
AUDIT_ANCHOR_FILE = env("AUDIT_ANCHOR_FILE")
AUDIT_ANCHOR_MINUTES = float(env("AUDIT_ANCHOR_MINUTES", "1440"))
AUDIT_SYSLOG = env("AUDIT_SYSLOG", "")

# The hospital's own holidays and adjusted working days (lifeline/core/workdays.py).
WORKDAYS_FILE = env("WORKDAYS_FILE")

# Who may scrape /metrics (lifeline/site/metrics.py), see the docstring.
METRICS_TOKEN = env("METRICS_TOKEN", "")
METRICS_ALLOW = env("METRICS_ALLOW", "")

# Shown on pages and printed documents.
SITE_TITLE = _("Lifeline")

# Snapshot packages of the HIS base data (lifeline/snapshots/builder.py). No schedule
# without a mapping file; keys in <data dir>/keys unless one key file is named.
SNAPSHOT_DIR = Path(env("SNAPSHOT_DIR", DATA_DIR / "snapshots"))
SNAPSHOT_KEY_FILE = env("SNAPSHOT_KEY_FILE")
SNAPSHOT_MAPPING = env("SNAPSHOT_MAPPING")
SNAPSHOT_KEEP = int(env("SNAPSHOT_KEEP", "3"))  # full chains kept
SNAPSHOT_INCREMENTAL_MINUTES = int(env("SNAPSHOT_INCREMENTAL_MINUTES", "15"))
SNAPSHOT_FULL_AT = env("SNAPSHOT_FULL_AT", "02:00")  # local time of the nightly full build
SNAPSHOT_STALE_MINUTES = int(env("SNAPSHOT_STALE_MINUTES", "60"))
# Emergency workstations' number leases start at the HIS's next number plus this offset (seed
# 003: +100,000; no plan field holds it), clear of the numbers the HIS issues meanwhile.
STATION_NUMBER_OFFSET = int(env("STATION_NUMBER_OFFSET", "100000"))
# A station in downtime that has not sent its journal back for this long is flagged on the
# send-back page (回写) and raises an alarm: its network is down, or it is switched off.
SENDBACK_SILENT_MINUTES = int(env("SENDBACK_SILENT_MINUTES", "10"))
# Insurance settlements left pending during a downtime are refunded and re-settled within this
# many working days of its end (the hospital's rule with its insurance bureau; 对账, reconciliation).
RESETTLEMENT_WORKDAYS = int(env("RESETTLEMENT_WORKDAYS", "3"))

# Notifications (lifeline.notify), see the docstring.
LIFELINE_BASE_URL = env("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
LIFELINE_WECOM_API_BASE = env("WECOM_API_BASE", "https://qyapi.weixin.qq.com").rstrip("/")
LIFELINE_DINGTALK_API_BASE = env("DINGTALK_API_BASE", "https://oapi.dingtalk.com").rstrip("/")
LIFELINE_FEISHU_API_BASE = env("FEISHU_API_BASE", "https://open.feishu.cn").rstrip("/")
LIFELINE_NOTIFY_EMAIL_URL = env("NOTIFY_EMAIL_URL", "")
LIFELINE_NOTIFY_SMS_URL = env("NOTIFY_SMS_URL", "")
LIFELINE_NOTIFY_TIMEOUT = float(env("NOTIFY_TIMEOUT", "5"))
LIFELINE_NOTIFY_RETRY_SECONDS = [int(s) for s in env("NOTIFY_RETRY_SECONDS", "10,30").split(",") if s.strip()]
LIFELINE_ACK_LINK_HOURS = float(env("ACK_LINK_HOURS", "24"))

# HTTPS deployment (see the docstring). The proxy must set X-Forwarded-Proto itself and drop
# any the client sent: Django trusts the header once HTTPS is on.
HTTPS = env_flag("HTTPS", LIFELINE_BASE_URL.startswith("https://"))
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "31536000"))
LIFELINE_FRAME_ANCESTORS = " ".join(env("FRAME_ANCESTORS", "").replace(",", " ").split())
