"""Security headers on every response: strict CSP with nonces, Permissions-Policy, framing, referrer."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.csp import CSP

# Only our own origin, nonces and 'none'; data: for Bootstrap's inline SVG icons and fonts.
ALLOWED_SOURCES = {CSP.SELF, CSP.NONCE, CSP.NONE, "data:"}


def parse_csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_csp_setting_is_strict():
    policy = settings.SECURE_CSP
    for directive, sources in policy.items():
        assert set(sources) <= ALLOWED_SOURCES, f"{directive} allows {sources}"
    assert policy["script-src"] == [CSP.SELF, CSP.NONCE]
    assert policy["default-src"] == [CSP.SELF]
    assert policy["object-src"] == [CSP.NONE]
    assert policy["base-uri"] == [CSP.NONE]
    assert policy["frame-ancestors"] == [CSP.NONE]


@pytest.mark.django_db
def test_login_page_has_security_headers(anonymous):
    response = anonymous.get(reverse("login"))
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert not re.search(r"https?:|\*", csp), csp
    assert parse_csp(csp)["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


@pytest.mark.urls("tests.ops.urls_errors")
def test_csp_nonce_in_header_matches_the_page_and_changes_per_request(client):
    nonces = []
    for _ in range(2):
        response = client.get("/ops-test/nonce/")
        body_nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
        script_src = parse_csp(response.headers["Content-Security-Policy"])["script-src"]
        assert script_src == ["'self'", f"'nonce-{body_nonce}'"]
        nonces.append(body_nonce)
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_permissions_policy_is_on_error_responses_too(anonymous):
    response = anonymous.get("/no-such-page/")
    assert response.status_code == 404
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_permissions_policy_follows_the_setting(anonymous, settings):
    settings.SMM_PERMISSIONS_POLICY = {"camera": ["self"], "usb": []}
    response = anonymous.get(reverse("login"))
    assert response.headers["Permissions-Policy"] == "camera=(self), usb=()"
