"""GET /healthz: the database's and the cache's states; 503 only when the database is down."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

REDIS = "django.core.cache.backends.redis.RedisCache"
TIMEOUTS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}


@pytest.mark.django_db
def test_healthz_is_200_with_database_ok_and_the_local_cache(anonymous):
    response = anonymous.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "local"}
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_unreachable(anonymous):
    with mock.patch(
        "smm_site.views.connection.cursor",
        side_effect=OperationalError("could not connect to server: secret-host:5432"),
    ):
        response = anonymous.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "unavailable", "cache": "local"}
    assert b"secret-host" not in response.content


@pytest.mark.django_db
def test_healthz_is_503_when_the_query_fails(anonymous):
    cursor = mock.MagicMock()
    cursor.__enter__.return_value.execute.side_effect = OperationalError("server closed")
    with mock.patch("smm_site.views.connection.cursor", return_value=cursor):
        response = anonymous.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


# Database 8: 9 and up belong to test_writes_from_anywhere.py, whose workers empty theirs
# before every test.
@pytest.mark.django_db
def test_healthz_says_the_cache_is_ok_when_redis_answers(anonymous, settings):
    settings.CACHES = {
        "default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:6379/8", "OPTIONS": TIMEOUTS}
    }
    response = anonymous.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_healthz_is_200_but_degraded_when_redis_does_not_answer(anonymous, settings):
    # Nothing listens on port 1.
    settings.CACHES = {
        "default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:1/0", "OPTIONS": TIMEOUTS}
    }
    response = anonymous.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}


@pytest.mark.django_db
def test_healthz_answers_only_reads(anonymous):
    assert anonymous.head(reverse("healthz")).status_code == 200
    assert anonymous.post(reverse("healthz")).status_code == 405
