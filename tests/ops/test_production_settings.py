"""Production settings: refuse to start half-configured, and pass Django's deployment checks.

Each test imports the settings in a fresh interpreter, because they read the environment once.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

DUMP_SETTINGS = """
import json
from django.conf import settings
import django
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "CSRF_COOKIE_HTTPONLY": settings.CSRF_COOKIE_HTTPONLY,
    "SESSION_ENGINE": settings.SESSION_ENGINE,
    "PASSWORD_HASHERS": settings.PASSWORD_HASHERS,
    "AUTH_PASSWORD_VALIDATORS": [v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS],
    "X_FRAME_OPTIONS": settings.X_FRAME_OPTIONS,
    "SECURE_REFERRER_POLICY": settings.SECURE_REFERRER_POLICY,
    "CONN_MAX_AGE": db["CONN_MAX_AGE"],
    "CONN_HEALTH_CHECKS": db["CONN_HEALTH_CHECKS"],
    "STORAGES": settings.STORAGES,
    "MAILERS": settings.MAILERS,
    "LOG_FORMATTER": settings.LOGGING["handlers"]["console"]["formatter"],
    "CACHE_BACKENDS": {alias: c["BACKEND"] for alias, c in settings.CACHES.items()},
}))
"""


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests in the same worker process.
        if not key.startswith(
            (
                "SECRET_KEY",
                "DATABASE_URL",
                "ALLOWED_HOSTS",
                "EMAIL_",
                "STORAGE_",
                "DJANGO_ALLOW_ASYNC_UNSAFE",
            )
        )
    }
    env.update(
        DJANGO_SETTINGS_MODULE="smm_site.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=os.environ.get("DATABASE_URL") or "sqlite:////tmp/smm-ops-unused.sqlite3",
        ALLOWED_HOSTS="smm.example.org",
        PYTHONWARNINGS="error::DeprecationWarning:django.conf",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def load_settings(**overrides: str | None) -> dict:
    result = run_python(DUMP_SETTINGS, production_env(**overrides))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "dev-" + "x" * 60}, "SECRET_KEY must be set"),
        ({"DATABASE_URL": None}, "DATABASE_URL must be set"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must list"),
    ],
    ids=["no-secret", "short-secret", "dev-secret", "no-database", "no-hosts"],
)
def test_production_settings_refuse_to_start_without_required_environment(missing, message):
    result = run_python("import smm_site.settings.production", production_env(**missing))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_settings_start_with_the_required_environment():
    result = run_python("import smm_site.settings.production", production_env())
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_a_real_secret():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_on_a_weak_configuration():
    """The check above can fail: turn off HSTS and it does."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(SECURE_HSTS_SECONDS="0"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_production_security_settings():
    settings = load_settings()
    assert settings["DEBUG"] is False
    assert settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True
    for cookie in ("SESSION_COOKIE", "CSRF_COOKIE"):
        assert settings[f"{cookie}_SECURE"] is True
        assert settings[f"{cookie}_HTTPONLY"] is True
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert settings["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert len(settings["AUTH_PASSWORD_VALIDATORS"]) == 4
    assert settings["X_FRAME_OPTIONS"] == "DENY"
    assert settings["SECURE_REFERRER_POLICY"] == "same-origin"


def test_production_database_static_files_and_logging():
    settings = load_settings()
    assert settings["CONN_MAX_AGE"] == 60
    assert settings["CONN_HEALTH_CHECKS"] is True
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == "smm_site.storage.StaticFilesStorage"
    assert settings["STORAGES"]["default"]["BACKEND"] == (
        "django.core.files.storage.FileSystemStorage"
    )
    assert settings["LOG_FORMATTER"] == "json"


def test_production_email_is_smtp_from_the_environment():
    settings = load_settings(
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="587",
        EMAIL_HOST_USER="smm",
        EMAIL_HOST_PASSWORD="app-password",
        EMAIL_USE_TLS="true",
    )
    mailer = settings["MAILERS"]["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] == {
        "host": "smtp.example.org",
        "port": 587,
        "username": "smm",
        "password": "app-password",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 10,
    }


def test_shared_file_storage_is_chosen_from_the_environment():
    settings = load_settings(
        STORAGE_BACKEND="storages.backends.s3.S3Storage",
        STORAGE_OPTIONS='{"bucket_name": "smm-reports", "endpoint_url": "https://s3.example.org"}',
    )
    assert settings["STORAGES"]["default"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "smm-reports", "endpoint_url": "https://s3.example.org"},
    }


@pytest.mark.parametrize("module", ["dev", "test", "production"])
def test_email_settings_use_mailers_without_deprecation_warnings(module):
    """Django 6.1 deprecates EMAIL_BACKEND/EMAIL_HOST...; the warning is an error here."""
    env = production_env(
        DJANGO_SETTINGS_MODULE=f"smm_site.settings.{module}",
        PYTHONWARNINGS="error::DeprecationWarning,error::PendingDeprecationWarning",
    )
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.MAILERS['default']['BACKEND'])"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    expected = {
        "dev": "django.core.mail.backends.console.EmailBackend",
        "test": "django.core.mail.backends.locmem.EmailBackend",
        "production": "django.core.mail.backends.smtp.EmailBackend",
    }[module]
    assert result.stdout.strip() == expected


def test_redis_is_only_the_cache_and_sessions_stay_in_the_database():
    alone = load_settings(REDIS_URL=None)
    assert alone["CACHE_BACKENDS"] == {"default": "django.core.cache.backends.locmem.LocMemCache"}
    assert alone["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"

    shared = load_settings(REDIS_URL="redis://127.0.0.1:6379/0")
    assert shared["CACHE_BACKENDS"] == {"default": "django.core.cache.backends.redis.RedisCache"}
    # A Redis that goes away must not sign anyone out.
    assert shared["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
