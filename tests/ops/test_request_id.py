"""Every response carries an X-Request-ID and every log record made for it carries the same id."""

import io
import json
import logging
import re
import sys

import pytest
from django.urls import reverse

from smm_site.logging import JsonFormatter, RequestIdFilter, request_id_var


@pytest.fixture
def console_log():
    """What the configured console handler writes, while the test runs."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    old = handler.setStream(stream)
    yield stream
    handler.setStream(old)


@pytest.mark.django_db
def test_every_response_gets_a_fresh_request_id(anonymous):
    first = anonymous.get(reverse("login")).headers["X-Request-ID"]
    second = anonymous.get(reverse("login")).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.django_db
def test_a_proxys_request_id_is_kept(anonymous):
    response = anonymous.get(reverse("login"), headers={"X-Request-ID": "nginx-4f2a9c01b7"})
    assert response.headers["X-Request-ID"] == "nginx-4f2a9c01b7"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forged", ["abc", "x" * 65, "ok-looking-id\nFAKE LOG LINE", "id with spaces 123", "<script>"]
)
def test_an_unsafe_incoming_request_id_is_replaced(anonymous, forged):
    response = anonymous.get(reverse("login"), headers={"X-Request-ID": forged})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


@pytest.mark.django_db
def test_the_request_id_is_in_the_log_line_django_writes(anonymous, console_log):
    response = anonymous.get("/no-such-page/")
    request_id = response.headers["X-Request-ID"]
    lines = [line for line in console_log.getvalue().splitlines() if "Not Found" in line]
    assert lines, console_log.getvalue()
    assert f"[{request_id}]" in lines[-1]


@pytest.mark.django_db
def test_records_outside_a_request_say_so(anonymous, console_log):
    anonymous.get(reverse("login"))
    logging.getLogger("smm.ops.test").warning("after the request")
    assert "[-] after the request" in console_log.getvalue()


def test_json_formatter_writes_one_object_per_line_with_the_request_id():
    record = logging.LogRecord("smm", logging.ERROR, __file__, 1, "failed %s", ("twice",), None)
    token = request_id_var.set("abc123def456")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line  # the traceback is escaped inside the one line
    entry = json.loads(line)
    assert entry["message"] == "failed twice"
    assert entry["level"] == "ERROR"
    assert entry["request_id"] == "abc123def456"
    assert "ValueError: boom" in entry["exception"]
