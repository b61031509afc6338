"""Redis is a helper, never a dependency: with it unreachable every page and write still works,
and the personal-link rate limit counts in this process instead (assessments/links.py)."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from assessments import links

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def redis_down(settings, monkeypatch):  # type: ignore[no-untyped-def]
    # Nothing listens on port 1, so every call to the cache fails at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    # This process has not yet seen the cache fail, and has counted nothing.
    monkeypatch.setattr(links, "_shared_failed_at", None)
    links.local_counts.clear()
    yield
    links.local_counts.clear()


def test_a_whole_round_works_without_redis(facilitator_user, participant, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="assessments.links")
    facilitator = Client()
    logged_in = facilitator.post(
        reverse("login"), {"username": facilitator_user.username, "password": "pw-for-tests-only"}
    )
    assert logged_in.status_code == 302
    assert facilitator.get(reverse("communities:dashboard")).status_code == 200

    assessment = participant.assessment
    round_page = reverse("assessments:round", kwargs={"code": assessment.code})
    assert facilitator.get(round_page).status_code == 200

    stakeholder = Client()
    sheet = reverse("assessments:sheet", kwargs={"token": participant.token})
    assert stakeholder.get(sheet).status_code == 200
    save = reverse("assessments:sheet_save", kwargs={"token": participant.token})
    for dimension in assessment.rubric.dimensions.order_by("number"):
        response = stakeholder.post(
            save, {"dimension": dimension.pk, "level": "3", "reason": "because"}, **HTMX
        )
        assert response.status_code == 200
    submit = reverse("assessments:sheet_submit", kwargs={"token": participant.token})
    assert stakeholder.post(submit).status_code == 303
    participant.refresh_from_db()
    assert participant.submitted_at is not None

    html = facilitator.get(round_page).content.decode()
    assert "1 submitted" in html
    # The fallback was used, and said so once rather than on every request.
    warnings = [r for r in caplog.records if "count in this process" in r.getMessage()]
    assert len(warnings) == 1


def test_link_guesses_are_still_limited_in_this_process(settings, anonymous, participant) -> None:  # type: ignore[no-untyped-def]
    settings.SMM_TOKEN_LOOKUPS_PER_MINUTE = 3
    for n in range(3):
        assert anonymous.get(f"/s/guess-{n}/").status_code == 404
    assert anonymous.get(f"/s/{participant.token}/").status_code == 429
    assert links.local_counts.get("ratelimit:link:127.0.0.1:0") == 3


def test_redis_is_tried_again_after_a_pause(monkeypatch, rf) -> None:  # type: ignore[no-untyped-def]
    request = rf.get("/")
    links.check_rate_limit(request)
    failed_at = links._shared_failed_at
    assert failed_at is not None
    links.check_rate_limit(request)
    assert links._shared_failed_at == failed_at  # not tried again yet
    monkeypatch.setattr(links, "_shared_failed_at", failed_at - links.RETRY_SHARED_AFTER)
    links.check_rate_limit(request)
    assert links._shared_failed_at > failed_at  # tried, and failed again
    assert links.local_counts.get("ratelimit:link:127.0.0.1:0") == 3


def test_healthz_is_200_and_says_the_cache_is_unavailable(anonymous) -> None:  # type: ignore[no-untyped-def]
    response = anonymous.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}
