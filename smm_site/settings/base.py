"""Settings shared by every environment. Deploy-specific values come from the environment."""

import json
import os
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks_db",
    "communities",
    "assessments",
    "insight",
]

MIDDLEWARE = [
    # First, so that every response (redirects and errors included) carries the id.
    "smm_site.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "smm_site.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's chosen language over the browser's (smm_site/i18n.py).
    "smm_site.i18n.UserLanguageMiddleware",
    # request.user.is_verified(): whether this session passed the second step of signing in.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sends a user who has not passed (or must set up) the second step there before any page.
    "communities.two_factor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "smm_site.urls"
WSGI_APPLICATION = "smm_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "communities.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "communities:dashboard"
LOGOUT_REDIRECT_URL = "login"
# A password reset link works for this long, and once (Django signs it with the password hash).
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Reset emails asked for from one client address per hour, and sent to one account per hour:
# beyond them the page answers 429 (address) or, for an account, just as for any other address
# without sending again, so the limit tells nobody whether an account exists.
SMM_PASSWORD_RESETS_PER_HOUR = int(os.environ.get("SMM_PASSWORD_RESETS_PER_HOUR", "10"))
SMM_PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR = 3
# An invitation to open an account works once, for this many days.
SMM_INVITATION_DAYS = 7
# Two-factor authentication (django-otp: an authenticator app, and recovery codes). Admins and
# evaluators must use it; with SMM_REQUIRE_2FA_FOR_ALL everyone must (facilitators may choose to
# otherwise). SMM_REQUIRE_2FA=false is for benchmarks and tests, never a real site.
SMM_REQUIRE_2FA = env_bool("SMM_REQUIRE_2FA", True)
SMM_REQUIRE_2FA_FOR_ALL = env_bool("SMM_REQUIRE_2FA_FOR_ALL", False)
OTP_TOTP_ISSUER = "smm"

# Sessions live in the database so that any app process can serve any request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English")), ("cy", _("Welsh"))]
# The switcher's choice, for a year; read by LocaleMiddleware (smm_site/i18n.py has the rest).
LANGUAGE_COOKIE_NAME = "smm_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"
# Uploaded and generated files (the cached PDF reports) go through Django's storage API, so
# several app hosts can share them. The default is a local directory (MEDIA_ROOT: point it at a
# shared mount, or) set STORAGE_BACKEND and STORAGE_OPTIONS (JSON) to use e.g. S3-compatible
# storage with django-storages, which is then installed by the operator: see docs/deploy.md.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": os.environ.get("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(os.environ.get("STORAGE_OPTIONS") or "{}"),
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Background jobs (the evaluator pack PDF) are rows in the database, run by a separate
# `manage.py db_worker` process (docs/deploy.md), so web workers never render long PDFs.
TASKS: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}

# Lay out a round's report PDF in the background as soon as it is finalised (assessments/tasks.py).
SMM_PRERENDER_REPORTS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Django 6.1 configures email through MAILERS (the EMAIL_* settings are deprecated and may not
# be mixed with it). Development prints mail to the console; test.py swaps in the in-memory
# backend and production.py builds an SMTP mailer from the environment.
MAILERS: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "smm <noreply@localhost>")
# Used to build absolute personal links in invitation emails.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Redis is a helper, never a dependency: the link rate limit counts there when REDIS_URL is set
# (shared by every process) and falls back to this process's memory when it is unreachable.
# Sessions stay in the database either way.
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "smm"},
}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        # A Redis that does not answer must not hold a page up.
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }

# A strict policy: only our own files, scripts by nonce, nothing from other hosts.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Sent by smm_site.middleware.PermissionsPolicyMiddleware: every powerful feature off.
SMM_PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failures count per (client address, username) pair, so one client's failures never lock anyone
# else out. Listed apart, as they were, "username" locked an account for everyone after five
# guesses from anywhere (anyone could lock a facilitator out), and "ip_address" locks out everyone
# sharing one address, such as a venue's wifi. The address is the real client's, not our proxy's
# (SMM_TRUSTED_PROXIES).
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_CLIENT_IP_CALLABLE = "smm_site.clients.client_ip"

# The reverse proxies whose X-Forwarded-For names the client (smm_site/clients.py): IP addresses or
# CIDR networks, comma-separated. Behind a proxy not listed, every client has the proxy's address.
SMM_TRUSTED_PROXIES = [ip_network(entry, strict=False) for entry in env_list("SMM_TRUSTED_PROXIES")]

# Personal-link lookups per client IP per minute before we answer 429.
SMM_TOKEN_LOOKUPS_PER_MINUTE = int(os.environ.get("SMM_TOKEN_LOOKUPS_PER_MINUTE", "120"))
# Personal and room links are an HMAC under this key (assessments/link_tokens.py), so they can be
# shown again. Empty: derived from SECRET_KEY with a salt of its own. Links made under an older
# key keep working while it is listed in SMM_LINK_KEY_FALLBACKS (comma-separated).
SMM_LINK_KEY = os.environ.get("SMM_LINK_KEY", "")
SMM_LINK_KEY_FALLBACKS = env_list("SMM_LINK_KEY_FALLBACKS")
SMM_NEXT_REVIEW_MONTHS = 18

# Logs go to stdout (gunicorn, systemd and containers collect them from there). Every record
# carries the request id; LOG_FORMAT=json (the production default) writes one JSON object a line.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "smm_site.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "smm_site.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT if LOG_FORMAT in {"plain", "json"} else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
