"""The analysis and presenter pages show every write at once (stakeholders' too while the round
collects), and refuse whoever may not see them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.assessments.test_workshop import add_participant, make_workshop_round, url
from tests.factories import submit_sheet

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def workshop_round(assessment):  # type: ignore[no-untyped-def]
    return make_workshop_round(assessment)


def _submit_through_the_link(participant) -> None:  # type: ignore[no-untyped-def]
    submit_sheet(participant, [3] * 9, submitted=False)
    submit = reverse("assessments:sheet_submit", kwargs={"token": participant.token})
    assert Client().post(submit).status_code == 303


def test_analysis_of_a_collecting_round_follows_submissions(facilitator, assessment):
    participants = [add_participant(assessment) for _ in range(4)]
    for participant in participants[:3]:
        submit_sheet(participant, [2] * 9)
    assert "Based on 3 submitted sheets." in facilitator.get(url("analysis", assessment)).text
    _submit_through_the_link(participants[3])
    assert "Based on 4 submitted sheets." in facilitator.get(url("analysis", assessment)).text


def test_analysis_orders_are_cached_apart(facilitator, workshop_round):
    by_number = facilitator.get(url("analysis", workshop_round)).text
    by_disagreement = facilitator.get(url("analysis", workshop_round) + "?sort=disagreement").text
    assert "Sort by disagreement (plan the agenda)" in by_number
    assert "Most disagreement first" in by_disagreement


def test_analysis_and_presenter_refuse_others_even_when_cached(
    facilitator, evaluator, other_facilitator, workshop_round
):
    for page in (url("analysis", workshop_round), url("presenter", workshop_round, number=1)):
        assert facilitator.get(page).status_code == 200
        assert evaluator.get(page).status_code == 403
        assert other_facilitator.get(page).status_code == 404


def test_presenter_shows_a_recorded_score_and_a_reveal_at_once(facilitator, workshop_round):
    page = url("presenter", workshop_round, number=1)
    html = facilitator.get(page).text
    assert "We agreed on four" not in html and "Reveal the spread" in html
    record = url("consensus_record", workshop_round, number=1)
    form = {"level": "4", "reason": "We agreed on four", "dissent": "", "version": "0"}
    assert facilitator.post(record, form).status_code == 302
    html = facilitator.get(page).text
    assert "We agreed on four" in html and "Last saved" in html
    reveal = url("presenter_reveal", workshop_round, number=1)
    assert facilitator.post(reveal, {"revealed": "on"}).status_code == 302
    assert "Hide the spread" in facilitator.get(page).text


def test_a_form_with_errors_is_this_requests_and_not_cached(facilitator, workshop_round):
    record = url("consensus_record", workshop_round, number=1)
    response = facilitator.post(record, {"level": "9", "reason": "typed text kept"})
    assert response.status_code == 400
    assert "typed text kept" in response.text
    assert "typed text kept" not in facilitator.get(url("presenter", workshop_round, number=1)).text
