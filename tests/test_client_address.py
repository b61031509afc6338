"""The real client address behind our reverse proxy (smm_site/clients.py), and what uses it:
the log-in lockout (django-axes) and the personal-link rate limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from ipaddress import ip_network
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from smm_site.clients import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def behind_proxy(settings):  # type: ignore[no-untyped-def]
    settings.SMM_TRUSTED_PROXIES = [ip_network(PROXY), ip_network("10.1.0.0/16")]


def via_proxy(forwarded_for: str) -> dict[str, str]:
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded_for}


@pytest.mark.parametrize(
    ("remote", "forwarded_for", "client"),
    [
        (PROXY, "203.0.113.5", "203.0.113.5"),
        (PROXY, " 203.0.113.5 ", "203.0.113.5"),
        # A second trusted proxy in the chain is skipped.
        (PROXY, "203.0.113.5, 10.1.2.3", "203.0.113.5"),
        # Whatever the client wrote itself, to the left of what our proxy saw, is ignored.
        (PROXY, "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        (PROXY, "2001:db8::7", "2001:db8::7"),
        # Only trusted proxies: the leftmost of them is as far as we can see.
        (PROXY, "10.1.2.3", "10.1.2.3"),
        # Malformed entries: the nearest address a trusted proxy vouched for.
        (PROXY, "", PROXY),
        (PROXY, "not-an-address", PROXY),
        (PROXY, "203.0.113.5:4711", PROXY),
        (PROXY, "garbage, 10.1.2.3", "10.1.2.3"),
        # IPv4 peers on a dual-stack socket.
        (f"::ffff:{PROXY}", "203.0.113.5", "203.0.113.5"),
        # Not from a trusted proxy: X-Forwarded-For is anyone's to forge.
        ("192.0.2.50", "203.0.113.5", "192.0.2.50"),
        ("192.0.2.50", "", "192.0.2.50"),
    ],
)
def test_client_ip_believes_only_trusted_proxies(
    rf, behind_proxy, remote: str, forwarded_for: str, client: str
) -> None:  # type: ignore[no-untyped-def]
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_ip(request) == client


def test_without_trusted_proxies_the_client_is_remote_addr(rf) -> None:  # type: ignore[no-untyped-def]
    request = rf.get("/", **via_proxy("203.0.113.5"))
    assert client_ip(request) == PROXY


def test_trusted_proxies_come_from_the_environment() -> None:
    code = (
        "import json; from smm_site.settings import base; "
        "print(json.dumps([str(n) for n in base.SMM_TRUSTED_PROXIES]))"
    )
    env = {**os.environ, "SMM_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16,2001:db8::/32"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == ["10.0.0.1/32", "10.1.0.0/16", "2001:db8::/32"]


# --- log-in lockout ----------------------------------------------------------------------------


def log_in(client: Client, password: str, **meta: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": "target", "password": password}, **meta)


def test_one_clients_failed_logins_do_not_lock_out_another_behind_the_proxy(
    behind_proxy,
) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(username="target")
    guesser = Client()
    for _ in range(4):
        assert log_in(guesser, "wrong", **via_proxy("198.51.100.1")).status_code == 200
    assert log_in(guesser, "wrong", **via_proxy("198.51.100.1")).status_code == 429
    assert log_in(guesser, "pw-for-tests-only", **via_proxy("198.51.100.1")).status_code == 429
    assert AccessAttempt.objects.get().ip_address == "198.51.100.1"

    owner = Client()
    assert log_in(owner, "pw-for-tests-only", **via_proxy("198.51.100.2")).status_code == 302
    assert owner.session["_auth_user_id"] == str(user.pk)


def test_forged_forwarded_for_does_not_escape_the_lockout(behind_proxy) -> None:  # type: ignore[no-untyped-def]
    UserFactory(username="target")
    guesser = Client()
    for n in range(4):
        meta = {"REMOTE_ADDR": "192.0.2.50", "HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"}
        assert log_in(guesser, "wrong", **meta).status_code == 200
    meta = {"REMOTE_ADDR": "192.0.2.50", "HTTP_X_FORWARDED_FOR": "198.51.100.99"}
    assert log_in(guesser, "wrong", **meta).status_code == 429
    assert AccessAttempt.objects.get().ip_address == "192.0.2.50"


# --- personal-link rate limit ------------------------------------------------------------------


def test_one_clients_link_guesses_do_not_stop_another_behind_the_proxy(
    settings, behind_proxy, participant
) -> None:  # type: ignore[no-untyped-def]
    guesser, stakeholder = Client(), Client()
    limit = settings.SMM_TOKEN_LOOKUPS_PER_MINUTE
    assert limit >= 120
    for n in range(limit):
        assert guesser.get(f"/s/guess-{n}/", **via_proxy("198.51.100.1")).status_code == 404
    assert guesser.get("/s/guess-last/", **via_proxy("198.51.100.1")).status_code == 429
    sheet = reverse("assessments:sheet", kwargs={"token": participant.token})
    assert guesser.get(sheet, **via_proxy("198.51.100.1")).status_code == 429

    assert stakeholder.get(sheet, **via_proxy("198.51.100.2")).status_code == 200
    dimension = participant.assessment.rubric.dimensions.order_by("number").first()
    saved = stakeholder.post(
        reverse("assessments:sheet_save", kwargs={"token": participant.token}),
        {"dimension": dimension.pk, "level": "3", "reason": "we meet monthly"},
        **via_proxy("198.51.100.2"),
        **HTMX,
    )
    assert saved.status_code == 200
    assert participant.scores.get().level == 3


def test_forged_forwarded_for_does_not_escape_the_link_limit(
    settings, behind_proxy, anonymous
) -> None:  # type: ignore[no-untyped-def]
    settings.SMM_TOKEN_LOOKUPS_PER_MINUTE = 3
    for n in range(3):
        meta = {"REMOTE_ADDR": "192.0.2.50", "HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"}
        assert anonymous.get(f"/s/guess-{n}/", **meta).status_code == 404
    meta = {"REMOTE_ADDR": "192.0.2.50", "HTTP_X_FORWARDED_FOR": "198.51.100.99"}
    assert anonymous.get("/s/guess-last/", **meta).status_code == 429
