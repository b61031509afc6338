"""Brute-force protection: log-in lockout (django-axes) and personal-link rate limits."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments.links import LinkError, check_rate_limit, participant_for_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
LOCKED_TEXT = "Too many failed log-in attempts"


@pytest.fixture
def user(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="target")


def attempt(client: Client, password: str, username: str = "target", ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_a_correct_password_logs_in(user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = attempt(client, PASSWORD)
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_five_wrong_passwords_then_the_sixth_is_locked_out(user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for _ in range(4):
        response = attempt(client, "wrong-password")
        assert response.status_code == 200
        assert LOCKED_TEXT not in response.content.decode()
    # The fifth failure reaches AXES_FAILURE_LIMIT and is answered with the lockout page
    # already; the sixth and later attempts stay locked out.
    for _ in range(2):
        response = attempt(client, "wrong-password")
        assert response.status_code == 429
        assert LOCKED_TEXT in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_correct_password_does_not_log_in_once_locked(user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for _ in range(6):
        attempt(client, "wrong-password")
    response = attempt(client, PASSWORD)
    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Not logged in: a page that needs a login still sends us to the log-in page.
    dashboard = client.get(reverse("communities:dashboard"))
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith(reverse("login"))


def test_failures_lock_out_only_that_username_from_that_address(user) -> None:  # type: ignore[no-untyped-def]
    bystander = UserFactory(username="bystander")
    for _ in range(6):
        attempt(Client(), "wrong-password")
    # The account's owner, from anywhere else, is not locked out by someone else's guesses...
    assert attempt(Client(), PASSWORD, ip="10.0.0.2").status_code == 302
    # ...nor is anyone else on the guesser's address (a venue's wifi).
    assert attempt(Client(), PASSWORD, username=bystander.username).status_code == 302
    # The guesser still is.
    assert attempt(Client(), PASSWORD).status_code == 429


def test_four_failures_then_success_still_logs_in(user) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for _ in range(4):
        attempt(client, "wrong-password")
    assert attempt(client, PASSWORD).status_code == 302


# --- personal-link lookups --------------------------------------------------------------------


def test_valid_links_are_never_throttled_but_guesses_lock_the_address(
    settings, rf, participant
) -> None:  # type: ignore[no-untyped-def]
    # A room of people on one venue's wifi autosaving their sheets must not hit the limit.
    settings.SMM_TOKEN_LOOKUPS_PER_MINUTE = 3
    request = rf.get("/", REMOTE_ADDR="192.0.2.7")
    for _ in range(10):
        assert participant_for_token(request, participant.token) == participant
    for _ in range(3):
        with pytest.raises(LinkError):
            participant_for_token(request, "guessed-token")
    # Once the guesses are used up, even a valid link is refused from that address.
    with pytest.raises(LinkError) as error:
        participant_for_token(request, participant.token)
    assert error.value.status == 429
    # Another address is not affected.
    other = rf.get("/", REMOTE_ADDR="192.0.2.8")
    assert participant_for_token(other, participant.token) == participant


def test_unknown_link_guesses_count_against_the_limit(settings, rf) -> None:  # type: ignore[no-untyped-def]
    settings.SMM_TOKEN_LOOKUPS_PER_MINUTE = 3
    request = rf.get("/", REMOTE_ADDR="192.0.2.9")
    for _ in range(3):
        with pytest.raises(LinkError) as error:
            participant_for_token(request, "not-a-real-token")
        assert error.value.status == 404
    with pytest.raises(LinkError) as error:
        participant_for_token(request, "not-a-real-token")
    assert error.value.status == 429


def test_forwarded_for_header_does_not_escape_the_limit(settings, rf) -> None:  # type: ignore[no-untyped-def]
    # No trusted proxies (the default): X-Forwarded-For is the client's own, and ignored.
    settings.SMM_TOKEN_LOOKUPS_PER_MINUTE = 2
    for i in range(2):
        check_rate_limit(rf.get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}"))
    with pytest.raises(LinkError):
        check_rate_limit(rf.get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="10.9.9.99"))


def test_sheet_page_answers_429_after_guessing(settings, anonymous, participant) -> None:  # type: ignore[no-untyped-def]
    settings.SMM_TOKEN_LOOKUPS_PER_MINUTE = 2
    url = f"/s/{participant.token}/"
    for _ in range(5):
        assert anonymous.get(url).status_code == 200
    for n in range(2):
        assert anonymous.get(f"/s/guess-{n}/").status_code == 404
    assert anonymous.get(url).status_code == 429
