"""Tests: fast hashing, in-memory email, deterministic settings."""

from .base import *  # noqa: F403

SECRET_KEY = "test-only-key-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = BASE_DIR / "tmp" / "test-media"  # noqa: F405
AXES_ENABLED = True
# Tasks run inside the request that enqueues them; tests that need the real queue and worker
# switch to the database backend (tests/assessments/test_packs.py).
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# Tasks run immediately here, and most tests that finalise a round do not need its PDF laid out
# (about a second each); the tests of pre-rendering turn it on.
SMM_PRERENDER_REPORTS = False
# Most tests sign admins and evaluators in with force_login and no second factor; the
# two-factor tests (tests/communities/test_accounts_two_factor.py) turn the requirement on and
# walk every page with it, and test_production_settings checks the real default.
SMM_REQUIRE_2FA = False
