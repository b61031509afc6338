"""Property-based fuzzing of every view that accepts POST: whatever is sent, never a 500.

The views come from the permission matrix (every entry whose POST is not 405 for the role that
may use it), so a new form view is fuzzed as soon as it has a matrix entry. Field names are
harvested from the view's own GET page (every `name="..."` in it) plus a few known fields of
POST-only views; hypothesis then sends any mix of them, missing fields and extra ones, with
arbitrary text (NUL bytes, huge strings, any unicode), numbers, dates, lists and files.

Every request runs in a rolled-back savepoint, so each example meets the same scenario.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scenario import Route, Scenario, all_routes, build_scenario
from tests.test_permission_matrix import ACCOUNT_ROLES, MATRIX

# Fields of POST-only views (there is no GET page to harvest them from).
KNOWN_FIELDS: dict[str, list[str]] = {
    "assessments:round_status": ["to"],
    "assessments:round_invite": ["participant"],
    "assessments:presenter_move": ["number"],
    "assessments:presenter_reveal": ["revealed"],
    "assessments:consensus_record": ["level", "reason", "dissent", "version"],
    "assessments:sheet_save": ["dimension", "level", "reason"],
    "assessments:sheet_submit": [],
    "assessments:import_confirm": [],
    "communities:import_confirm": ["confirm"],
    "assessments:priority_action_add": ["action", "owner", "review_date"],
}
# Where to harvest field names for a POST-only view: another page showing its form.
HARVEST_FROM = {
    "assessments:consensus_record": "assessments:presenter[code,number]",
    "assessments:presenter_move": "assessments:presenter[code,number]",
    "assessments:presenter_reveal": "assessments:presenter[code,number]",
    "assessments:priority_action_add": "assessments:priorities",
    "assessments:sheet_save": "assessments:sheet",
    "assessments:round_status": "assessments:round",
    "assessments:round_invite": "assessments:round",
}
IGNORED_FIELDS = {"csrfmiddlewaretoken"}


def _poster(key: str) -> str | None:
    """The role that may POST to the view (it gets past the guard), or None."""
    entry = MATRIX[key]
    for role in ("anonymous", "facilitator", "link_this"):
        if entry.post[role] not in (405, 404, 403, "login"):
            return role
    return None


ROUTES = {route.key: route for route in all_routes()}
POST_ROUTES = [route for key, route in ROUTES.items() if _poster(key) and key != "logout"]

TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            " ",
            "0",
            "-1",
            "99999999999999999999",
            "1e309",
            "NaN",
            "2025-02-30",
            "9999-12-31",
            "0001-01-01",
            "not-sure",
            "00000000-0000-0000-0000-000000000000",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "\u202e\ufeff\U0001f600",
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
    st.integers(min_value=1, max_value=50_000).map(lambda n: "x" * n),
)
VALUE = st.one_of(TEXT, st.lists(TEXT, min_size=2, max_size=3))
EXTRA_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-[]0123456789", min_size=1, max_size=12)


def harvest(client: Client, url: str) -> tuple[list[str], list[str]]:
    """Field names (and file-field names) of the forms on a page."""
    cache.clear()
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return [], []
    html = response.content.decode()
    files = re.findall(r'<input[^>]*type="file"[^>]*name="([^"]+)"', html)
    files += re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="file"', html)
    controls = re.findall(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"', html)
    names = {n for n in controls if n not in IGNORED_FIELDS}
    return sorted(names - set(files)), sorted(set(files))


def _url(route: Route, scenario: Scenario, role: str) -> str:
    return reverse(route.name, kwargs=MATRIX[route.key].kwargs(scenario, role) or None)


@pytest.fixture
def scenario(community, other_community) -> Scenario:  # type: ignore[no-untyped-def]
    return build_scenario(community, other_community)


def _client(role: str, request: Any) -> Client:
    client = request.getfixturevalue(role) if role in ACCOUNT_ROLES else Client()
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("route", POST_ROUTES, ids=lambda r: r.key)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzzed_posts_never_500(route: Route, scenario, request, data):  # type: ignore[no-untyped-def]
    role = _poster(route.key)
    assert role is not None
    client = _client(role, request)
    url = _url(route, scenario, role)
    source = HARVEST_FROM.get(route.key)
    page = _url(ROUTES[source], scenario, role) if source else url
    names, files = harvest(client, page)
    names = sorted(set(names) | set(KNOWN_FIELDS.get(route.key, [])))

    fields = data.draw(
        st.dictionaries(st.sampled_from(names), VALUE) if names else st.just({}), "fields"
    )
    extra = data.draw(st.dictionaries(EXTRA_NAMES, TEXT, max_size=3), "extra")
    payload: dict[str, Any] = {**extra, **fields}
    for name in files:
        if data.draw(st.booleans(), f"send {name}"):
            content = data.draw(st.binary(max_size=2000), f"{name} bytes")
            payload[name] = SimpleUploadedFile("fuzz.csv", content, content_type="text/csv")
    htmx = data.draw(st.booleans(), "htmx")
    headers = {"HX-Request": "true"} if htmx else {}

    cache.clear()  # rate-limit counters and the log-in lockout
    with transaction.atomic():
        response = client.post(url, payload, headers=headers)
        transaction.set_rollback(True)
    assert response.status_code < 500, (
        f"POST {url} [{route.key}] as {role} with {payload!r} → {response.status_code}"
    )


def test_every_post_view_is_fuzzed():
    keys = {route.key for route in POST_ROUTES}
    assert {"assessments:consensus_record", "assessments:sheet_save", "login"} <= keys
    assert _poster("login") == "anonymous"
    assert _poster("assessments:sheet_save") == "link_this"
    assert "communities:stakeholder_create" in keys


def test_an_over_long_username_is_a_form_error_not_a_500(db):  # type: ignore[no-untyped-def]
    """Found by the fuzzer on PostgreSQL: django-axes could not store a 300-character username
    of a failed attempt (varchar 255), so the log-in page answered 500."""
    client = Client(raise_request_exception=False)
    response = client.post(reverse("login"), {"username": "x" * 300, "password": "0"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
