"""Settings of the emergency workstation's pages (`lifeline station serve`): a small Django
project of its own, not the server's. No database (the station's data is its journal and base
data, `lifeline.workstation`), no server apps; sessions in signed cookies; CSRF; zh-Hans first
with the project's catalog; static files served by the process itself (WhiteNoise, from the
package's static directory: no collectstatic, no outside host); the server's Content-Security-
Policy.

Read from the environment `serve` sets: LIFELINE_STATION_DIR (the station's directory),
LIFELINE_STATION_KEYS (its key store file: decrypts the data at rest, verifies the operators
list) and LIFELINE_STATION_CODE (the station's name in its events). The session key is derived
from the key store, so every worker of a station signs alike and no secret is stored apart.
"""
import hashlib
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
STATION_DIR = Path(os.environ.get("LIFELINE_STATION_DIR", "."))
STATION_KEYS = Path(os.environ.get("LIFELINE_STATION_KEYS", STATION_DIR / "station-keys.json"))
STATION_CODE = os.environ.get("LIFELINE_STATION_CODE") or STATION_DIR.resolve().name


def _secret() -> str:
    try:
        material = STATION_KEYS.read_bytes()
    except OSError:
        material = b""
    return hashlib.sha256(b"lifeline workstation sessions v1\0" + material).hexdigest()


SECRET_KEY = _secret()
DEBUG = False
ALLOWED_HOSTS = ["*"]  # serves 127.0.0.1, or a floor's LAN with --bind: the address is the operator's choice

INSTALLED_APPS = ["django.contrib.staticfiles", "lifeline.workstation.web"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lifeline.core.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "lifeline.workstation.web.urls"
WSGI_APPLICATION = "lifeline.workstation.web.wsgi.application"
DATABASES = {}
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [PACKAGE_DIR / "templates"],
    "APP_DIRS": False,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                       "django.template.context_processors.csrf",
                                       "lifeline.workstation.web.views.station_context"]},
}]

# Two stations on one PC (or one browser) keep apart: cookies are per host, not per port.
_COOKIE = hashlib.sha256(str(STATION_DIR.resolve()).encode()).hexdigest()[:8]
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_NAME = f"ws_{_COOKIE}"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_NAME = f"wscsrf_{_COOKIE}"
CSRF_COOKIE_SAMESITE = "Strict"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Hashes from the server's hasher list (the credentials are made there).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher",
                    "django.contrib.auth.hashers.PBKDF2PasswordHasher"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR.parent / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("LIFELINE_TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
