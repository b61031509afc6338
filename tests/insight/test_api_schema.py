"""schemathesis against the schema the app serves, through the WSGI app in this process: every
operation, with generated valid and invalid input, anonymously and with an evaluator's token.
Every check of schemathesis passing means no 500, every status and body as the schema says,
valid input accepted and invalid input refused with a 4xx.

(schemathesis' own pytest plugin does not run under pytest 9, so each operation's cases are
drawn here with hypothesis from the strategy schemathesis makes for it.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from insight.api import api
from tests.insight.conftest import Places

SCHEMA_URL = "/api/v1/openapi.json"
OPERATIONS = [
    (path, method)
    for path, methods in api.get_openapi_schema()["paths"].items()
    for method in methods
]
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,  # nothing written to the working tree
    # The same cases on every run: a CI run must not pass or fail by the draw. (Negative
    # cases can be false alarms: an invalid Authorization header that our valid token then
    # replaces, or "false" for a text parameter, which is text.)
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """The WSGI app closes the database connection at the end of each request, which on
    PostgreSQL ends the test's transaction; Django's test client stops that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(places: Places, marked: str, keep_connection: None) -> Any:
    # Real data behind the API, so that lists have items and more than one page.
    return schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())


def test_the_schema_is_openapi_3_with_every_operation(api_schema):  # type: ignore[no-untyped-def]
    assert api_schema.raw_schema["openapi"].startswith("3.")
    assert {path for path, _method in OPERATIONS} == {
        "/api/v1/communities",
        "/api/v1/communities/{code}",
        "/api/v1/rounds",
        "/api/v1/rounds/{code}",
        "/api/v1/rounds/{code}/level-counts",
        "/api/v1/agreed-levels",
        "/api/v1/level-counts",
    }


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("who", ["anonymous", "evaluator"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_the_api_keeps_to_its_schema(  # type: ignore[no-untyped-def]
    path, method, who, mode, api_schema, evaluator_token
):
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {evaluator_token}"} if who == "evaluator" else {}
    statuses: set[int] = set()

    @given(case=operation.as_strategy(generation_mode=mode))
    @SETTINGS
    def run(case: Any) -> None:
        # A negative case may carry an Authorization header made invalid on purpose: sent as
        # drawn, not replaced by the valid token (which made a false alarm of it).
        mutated_auth = mode == GenerationMode.NEGATIVE and "Authorization" in (case.headers or {})
        response = case.call_and_validate(headers=None if mutated_auth else headers)
        statuses.add(response.status_code)

    run()
    if who == "anonymous":
        assert statuses <= {400, 401}
    elif mode == GenerationMode.POSITIVE:
        assert statuses & {200, 404}, statuses  # reached the data, not refused
