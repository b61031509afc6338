"""Signed-in pages kept whole (page_cache.keep_whole): served again without the view, but only
to the session and user they were rendered for, with fresh per-response values, and never
after a write, a logout, an expired session or a change to the user."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from smm_site import page_cache

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'nonce="([^"]+)"')


def _round(assessment) -> str:  # type: ignore[no-untyped-def]
    return reverse("assessments:round", kwargs={"code": assessment.code})


def _get(client: Client, url: str):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)


def _kept(client: Client, url: str):  # type: ignore[no-untyped-def]
    """The page as served the second time, once it is kept."""
    first, _ = _get(client, url)
    assert first.status_code == 200
    # Rendered with placeholders to be kept, and sent with them filled in.
    assert page_cache.nonce_placeholder() not in first.content.decode()
    assert page_cache.csrf_placeholder() not in first.content.decode()
    again, queries = _get(client, url)
    assert queries == 1, "kept whole: only the session is read"
    return first, again


def test_a_kept_page_is_the_page_with_new_per_response_values(facilitator, assessment):
    first, again = _kept(facilitator, _round(assessment))
    assert again.status_code == 200
    html = again.content.decode()
    # No placeholder leaks, and the nonce is new and the one the CSP header allows.
    assert page_cache.nonce_placeholder() not in html
    assert page_cache.csrf_placeholder() not in html
    nonces = set(NONCE.findall(html))
    assert len(nonces) == 1
    assert f"'nonce-{nonces.pop()}'" in again["Content-Security-Policy"]
    assert set(NONCE.findall(first.content.decode())).isdisjoint(NONCE.findall(html))
    assert again["Content-Type"] == first["Content-Type"]
    assert "Cookie" in again["Vary"]
    # The same page apart from those values.
    strip = lambda h: NONCE.sub("", TOKEN.sub("", h.decode()))  # noqa: E731
    assert strip(again.content).replace(
        re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1),  # type: ignore[union-attr]
        "",
    ) == strip(first.content).replace(
        re.search(r'"X-CSRFToken": "([^"]+)"', first.content.decode()).group(1),  # type: ignore[union-attr]
        "",
    )


def test_the_csrf_token_of_a_kept_page_is_accepted(facilitator_user, assessment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator_user)
    _first, again = _kept(client, _round(assessment))
    token = TOKEN.search(again.content.decode()).group(1)  # type: ignore[union-attr]
    url = reverse("assessments:round_status", kwargs={"code": assessment.code})
    response = client.post(url, {"to": "collecting", "csrfmiddlewaretoken": token})
    assert response.status_code != 403


def test_another_session_of_another_user_gets_its_own_answer(
    facilitator, other_facilitator, evaluator, assessment
):
    url = _round(assessment)
    _kept(facilitator, url)
    assert other_facilitator.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login
    assert evaluator.get(url).status_code == 200  # a read-only page of its own
    assert "Open collection" not in evaluator.get(url).content.decode()


def test_a_stolen_cookie_of_a_logged_out_session_gets_the_login(facilitator, assessment):
    url = _round(assessment)
    _kept(facilitator, url)
    cookie = facilitator.cookies["sessionid"].value
    facilitator.post(reverse("logout"))
    thief = Client()
    thief.cookies["sessionid"] = cookie
    response = thief.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_expired_session_gets_the_login(facilitator, assessment):
    url = _round(assessment)
    _kept(facilitator, url)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert facilitator.get(url).status_code == 302


def test_a_user_switched_off_anywhere_is_not_served(facilitator, facilitator_user, assessment):
    url = _round(assessment)
    _kept(facilitator, url)
    facilitator_user.is_active = False
    facilitator_user.save()  # as the admin or a command would, without a request of theirs
    assert facilitator.get(url).status_code == 302


def test_a_signed_in_write_renders_it_again(facilitator, community, assessment):
    url = reverse("communities:detail", kwargs={"slug": community.slug})
    _kept(facilitator, url)
    add = reverse("communities:organisation_create", kwargs={"slug": community.slug})
    assert facilitator.post(add, {"name": "Halton Food Bank", "sector": "vcs"}).status_code == 302
    page, queries = _get(facilitator, url)
    assert queries > 1
    html = page.content.decode()
    assert "Halton Food Bank" in html
    assert "Organisation “Halton Food Bank” added." in html  # the message, shown once...
    again, _ = _get(facilitator, url)
    assert "Halton Food Bank" in again.content.decode()
    assert "added." not in again.content.decode()  # ...and never kept


def test_a_page_waiting_with_a_message_is_not_served_from_the_cache(facilitator, community):
    url = reverse("communities:detail", kwargs={"slug": community.slug})
    _kept(facilitator, url)
    facilitator.cookies["messages"] = "anything"
    _, queries = _get(facilitator, url)
    assert queries > 1


def test_pages_are_kept_per_language(facilitator, community):
    url = reverse("communities:detail", kwargs={"slug": community.slug})
    _kept(facilitator, url)
    welsh = facilitator.get(url, headers={"accept-language": "cy"})
    assert welsh["Content-Language"] == "cy"
    assert '<html lang="cy"' in welsh.content.decode()
    english = facilitator.get(url)
    assert '<html lang="en-gb"' in english.content.decode()


def test_an_error_page_gets_real_values_not_placeholders(facilitator):
    response = facilitator.get(reverse("communities:detail", kwargs={"slug": "nowhere"}))
    assert response.status_code == 404
    html = response.content.decode()
    assert page_cache.nonce_placeholder() not in html
    assert page_cache.csrf_placeholder() not in html
