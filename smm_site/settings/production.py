"""Production: every secret from the environment; refuse to start without them.

Environment variables (docs/deploy.md has a complete example):
  SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS           required
  CSRF_TRUSTED_ORIGINS, SITE_URL                    the public https:// address
  CONN_MAX_AGE                                      seconds a DB connection is reused (60)
  EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL,
  EMAIL_TIMEOUT, DEFAULT_FROM_EMAIL, SERVER_EMAIL   SMTP (a local MTA on port 25 by default)
  STORAGE_BACKEND, STORAGE_OPTIONS, MEDIA_ROOT      where cached PDFs live (see base.py)
  REDIS_URL                                         optional: link rate limits shared by processes
  SMM_TRUSTED_PROXIES                               proxies whose X-Forwarded-For names the client
  LOG_FORMAT (json|plain), LOG_LEVEL                logging to stdout
  SECURE_SSL_REDIRECT, SECURE_HSTS_SECONDS          TLS behind the proxy
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, SECURE_CSP, env_bool, env_list

DEBUG = False

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("dev-", "test-")):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in the environment to a random value of at least 50 "
        "characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
# Old keys keep existing sessions and links signed before a key rotation valid.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured(
        "DATABASE_URL must be set in production, e.g. postgres://smm:PASSWORD@127.0.0.1:5432/smm."
    )
if not os.environ.get("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names, comma-separated.")

# Persistent connections (one per gunicorn worker thread), checked before reuse so a restarted
# database or a dropped connection costs one reconnect rather than an error page.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "smm_site.storage.StaticFilesStorage",
}
# Hashed file names never change content, so browsers may keep them for a year.
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 365

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ["EMAIL_PORT"]) if os.environ.get("EMAIL_PORT") else None,
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS"),
            "use_ssl": env_bool("EMAIL_USE_SSL"),
            "timeout": int(os.environ.get("EMAIL_TIMEOUT", "10")),
        },
    }
}
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)  # noqa: F405

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# The proxy in front (caddy/nginx) terminates TLS and must set this header itself.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CSP = {**SECURE_CSP, "upgrade-insecure-requests": True}
# /healthz is probed over plain HTTP by load balancers on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING["handlers"]["console"]["formatter"] = (
    "plain" if os.environ.get("LOG_FORMAT") == "plain" else "json"
)
