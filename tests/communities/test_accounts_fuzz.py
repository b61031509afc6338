"""Hostile input on every account form and its `next`/`page` parameters: a 4xx, never a 500
(PostgreSQL refuses NUL bytes; SQLite integers overflow; redirect() takes non-paths for URL
names)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communities.models import Invitation, hash_invitation_token

pytestmark = pytest.mark.django_db

HOSTILE = [
    "\x00",
    "a" * 5000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\ufffd\u202e",
    "-1",
    "9" * 30,
    "",
    " ",
    "//evil.example.org/",
    "javascript:alert(1)",
]


def test_hostile_input_is_never_a_server_error(admin, facilitator, community, settings):  # type: ignore[no-untyped-def]
    settings.SMM_PASSWORD_RESETS_PER_HOUR = 10_000
    Invitation.objects.create(
        token_hash=hash_invitation_token("tok"),
        email="i@example.org",
        role="facilitator",
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    anonymous = Client()
    forms = [
        (admin, reverse("accounts:invite"), ["email", "role", "communities"]),
        (admin, reverse("accounts:user_role", kwargs={"username": "fac"}), ["role"]),
        (admin, reverse("communities:create"), ["name", "slug", "nation", "description"]),
        (
            admin,
            reverse("communities:membership_add", kwargs={"slug": "halton"}),
            ["user", "is_local_lead"],
        ),
        (
            anonymous,
            reverse("accounts:invitation", kwargs={"token": "tok"}),
            ["username", "first_name", "last_name", "password1", "password2"],
        ),
        (anonymous, reverse("password_reset"), ["email"]),
        (facilitator, reverse("password_change"), ["old_password", "new_password1"]),
        (facilitator, reverse("accounts:two_factor_setup"), ["code", "next"]),
        (facilitator, reverse("accounts:two_factor_verify"), ["code", "next"]),
    ]
    for client in (admin, anonymous, facilitator):
        client.raise_request_exception = False
    errors = []
    for client, url, fields in forms:
        for value in HOSTILE:
            response = client.post(url, dict.fromkeys(fields, value))
            if response.status_code >= 500:
                errors.append(f"POST {url} {value[:20]!r}")
            response = client.get(url, {"next": value[:200], "page": value[:50]})
            if response.status_code >= 500:
                errors.append(f"GET {url} {value[:20]!r}")
            elif response.status_code == 302:
                assert not response["Location"].startswith(("//", "javascript:")), url
    assert not errors, errors
