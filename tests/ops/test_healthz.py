"""GET /healthz: 200 with the database's state, 503 when the database is unreachable."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_is_200_with_database_ok(anonymous):
    response = anonymous.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_unreachable(anonymous):
    with mock.patch(
        "smm_site.views.connection.cursor",
        side_effect=OperationalError("could not connect to server: secret-host:5432"),
    ):
        response = anonymous.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "unavailable"}
    assert b"secret-host" not in response.content


@pytest.mark.django_db
def test_healthz_is_503_when_the_query_fails(anonymous):
    cursor = mock.MagicMock()
    cursor.__enter__.return_value.execute.side_effect = OperationalError("server closed")
    with mock.patch("smm_site.views.connection.cursor", return_value=cursor):
        response = anonymous.get(reverse("healthz"))
    assert response.status_code == 503


@pytest.mark.django_db
def test_healthz_answers_only_reads(anonymous):
    assert anonymous.head(reverse("healthz")).status_code == 200
    assert anonymous.post(reverse("healthz")).status_code == 405
