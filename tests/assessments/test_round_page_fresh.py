"""The round page shows every write at once, stakeholders' too, and each user their own page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Dimension, Participant
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _round(assessment) -> str:  # type: ignore[no-untyped-def]
    return reverse("assessments:round", kwargs={"code": assessment.code})


def _progress(client: Client, assessment) -> str:  # type: ignore[no-untyped-def]
    html = client.get(_round(assessment)).content.decode()
    return re.search(r"\d+ people · .*? submitted", html).group(0)  # type: ignore[union-attr]


def _autosave(participant: Participant, dimension: Dimension, level: str) -> None:
    url = reverse("assessments:sheet_save", kwargs={"token": participant.token})
    response = Client().post(url, {"dimension": dimension.pk, "level": level, "reason": ""})
    assert response.status_code in (200, 303)


def test_stakeholders_saving_and_submitting_show_at_once(facilitator, assessment):
    participant = ParticipantFactory(assessment=assessment)
    assert _progress(facilitator, assessment).endswith("0 saved a draft · 0 submitted")
    dimensions = list(assessment.rubric.dimensions.order_by("number"))
    _autosave(participant, dimensions[0], "3")
    assert _progress(facilitator, assessment).endswith("1 saved a draft · 0 submitted")
    for dimension in dimensions[1:]:
        _autosave(participant, dimension, "2")
    submit = reverse("assessments:sheet_submit", kwargs={"token": participant.token})
    assert Client().post(submit).status_code == 303
    assert _progress(facilitator, assessment).endswith("0 saved a draft · 1 submitted")


def test_a_stakeholder_opening_their_link_shows_at_once(facilitator, assessment):
    participant = ParticipantFactory(assessment=assessment)
    assert "0 opened their link" in _progress(facilitator, assessment)
    sheet = reverse("assessments:sheet", kwargs={"token": participant.token})
    assert Client().get(sheet).status_code == 200  # a GET, yet it records the opening
    assert "1 opened their link" in _progress(facilitator, assessment)


def test_a_facilitators_change_shows_at_once(facilitator, assessment):
    participant = ParticipantFactory(assessment=assessment, invited_at=None)
    assert "Not yet invited" in facilitator.get(_round(assessment)).content.decode()
    url = reverse(
        "assessments:participant_link",
        kwargs={"code": assessment.code, "participant": participant.code},
    )
    assert facilitator.post(url).status_code == 303  # "I have sent them this link"
    html = facilitator.get(_round(assessment)).content.decode()
    assert "Not yet invited" not in html and "Invited" in html


def test_each_user_gets_their_own_part(
    facilitator, evaluator, other_facilitator, admin, assessment
):
    participant = ParticipantFactory(assessment=assessment)
    name = participant.stakeholder.name
    html = facilitator.get(_round(assessment)).content.decode()
    assert "Show link" in html and name in html
    # Read-only and counts only for the evaluator: no action, nobody's name.
    html = evaluator.get(_round(assessment)).content.decode()
    assert "1 people" in html and "Show link" not in html and "Next step" not in html
    assert name not in html
    assert other_facilitator.get(_round(assessment)).status_code == 404
    assert "Show link" in admin.get(_round(assessment)).content.decode()
