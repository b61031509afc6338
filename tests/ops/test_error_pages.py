"""Our 400/403/404/500 pages render with DEBUG off and give nothing away."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.ops.urls_errors import SECRET_MARKER

LEAKS = [SECRET_MARKER, "Traceback", "RuntimeError", "SECRET_KEY", "DATABASES", "settings.py"]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ops.urls_errors")]


@pytest.fixture(autouse=True)
def _debug_off(settings):
    settings.DEBUG = False


def assert_leaks_nothing(html: str) -> None:
    for leak in LEAKS:
        assert leak not in html


def test_500_page_is_ours_and_leaks_nothing():
    client = Client(raise_request_exception=False)
    response = client.get("/ops-test/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert '<a href="/">' in html
    assert_leaks_nothing(html)


def test_500_is_logged_with_the_traceback_for_the_operator(caplog):
    client = Client(raise_request_exception=False)
    response = client.get("/ops-test/boom/")
    records = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert records and records[-1].exc_info is not None
    assert records[-1].status_code == 500
    assert response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/ops-test/suspicious/", 400, "Something in that request was not right"),
        ("/ops-test/forbidden/", 403, "You do not have permission to do that"),
        ("/no-such-page/", 404, "Page not found"),
    ],
)
def test_4xx_pages_are_ours_and_leak_nothing(anonymous, url, status, heading):
    response = anonymous.get(url)
    assert response.status_code == status
    html = response.content.decode()
    assert heading in html
    assert "<title>" in html and "smm" in html  # the site's own layout, not Django's
    assert_leaks_nothing(html)


def test_404_page_for_a_logged_in_user_keeps_the_navigation(facilitator):
    response = facilitator.get("/no-such-page/")
    assert response.status_code == 404
    assert reverse("communities:dashboard") in response.content.decode()


def test_csrf_failure_page_explains_and_leaks_nothing():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "This form has expired" in html
    assert "CSRF cookie not set" not in html  # Django's reason, shown only with DEBUG on
    assert_leaks_nothing(html)
