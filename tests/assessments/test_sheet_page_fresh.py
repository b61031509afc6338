"""The stakeholder's sheet: the link's holder's own answers only, new after their own writes and
after any facilitator's, from any device."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Participant
from tests.assessments.test_stakeholder import save_url, sheet_url
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'nonce="([^"]+)"')


def save(client: Client, participant: Participant, reason: str, **extra: str):  # type: ignore[no-untyped-def]
    dimension = participant.assessment.rubric.dimensions.order_by("number").first()
    data = {"dimension": dimension.pk, "level": "4", "reason": reason}
    return client.post(save_url(participant.token), data, **extra)


def test_a_kept_sheet_works_from_a_second_device(participant):
    Client().get(sheet_url(participant.token))  # kept, with the first device's token replaced
    laptop = Client(enforce_csrf_checks=True)
    html = laptop.get(sheet_url(participant.token)).content.decode()
    tokens = set(CSRF.findall(html))
    assert len(tokens) == 1
    ok = save(laptop, participant, "from the laptop", HTTP_X_CSRFTOKEN=tokens.pop())
    assert ok.status_code in (200, 303)
    assert save(laptop, participant, "no token").status_code == 403  # the check is on


def test_own_writes_show_at_once_and_never_on_anothers_sheet(participant):
    other = ParticipantFactory(assessment=participant.assessment)
    client = Client()
    client.get(sheet_url(participant.token))
    client.get(sheet_url(other.token))
    assert save(client, participant, "PRIVATE-REASON-A").status_code in (200, 303)
    assert "PRIVATE-REASON-A" in client.get(sheet_url(participant.token)).content.decode()
    assert "PRIVATE-REASON-A" not in client.get(sheet_url(other.token)).content.decode()


def test_closing_collection_through_the_app_shows_at_once(facilitator, participant):
    assert "hx-post" in Client().get(sheet_url(participant.token)).content.decode()
    url = reverse("assessments:round_status", kwargs={"code": participant.assessment.code})
    assert facilitator.post(url, {"to": "workshop"}).status_code == 303
    html = Client().get(sheet_url(participant.token)).content.decode()
    assert "hx-post" not in html and html.count("<fieldset disabled>") == 9


def test_a_revoked_link_stops_at_once(facilitator, participant):
    old = participant.token
    assert Client().get(sheet_url(old)).status_code == 200  # kept
    url = reverse(
        "assessments:participant_link_revoke",
        kwargs={"code": participant.assessment.code, "participant": participant.code},
    )
    assert facilitator.post(url).status_code == 303
    assert Client().get(sheet_url(old)).status_code == 410


def test_an_unknown_link_is_never_served_a_kept_page(participant):
    Client().get(sheet_url(participant.token))
    assert Client().get(sheet_url(participant.token + "x")).status_code == 404


def test_a_signed_in_visit_is_never_kept(facilitator, participant):
    # A facilitator with a message pending looks at the link: the message is theirs alone.
    url = reverse("assessments:round_remind", kwargs={"code": participant.assessment.code})
    facilitator.post(url)  # "0 reminders sent": leaves a message, not yet shown
    assert 'class="messages"' in facilitator.get(sheet_url(participant.token)).content.decode()
    for _ in range(2):  # rendered, then (were it kept) from the cache
        assert 'class="messages"' not in Client().get(sheet_url(participant.token)).content.decode()


@pytest.mark.parametrize("dimension", ["²", "9" * 5000, "-1", ""])
def test_a_strange_dimension_without_javascript_is_a_400(participant, dimension):
    url = reverse("assessments:sheet_save", kwargs={"token": participant.token})
    response = Client().post(url, {"dimension": dimension, "level": "3", "reason": "kept text"})
    assert response.status_code == 400
    assert "kept text" in response.content.decode()
