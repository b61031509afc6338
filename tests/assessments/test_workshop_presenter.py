"""Presenter mode: roles, recording agreed scores, the conflict case, moving the room."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment, AuditEvent, ConsensusScore
from tests.assessments.test_workshop import add_participant, make_workshop_round, url
from tests.factories import AssessmentFactory, ConsensusScoreFactory, submit_sheet


@pytest.fixture
def workshop_round(assessment):
    return make_workshop_round(assessment)


def record(client, assessment, number=1, **data):
    payload = {"level": "3", "reason": "Shared examples from the housing forum", "dissent": ""}
    payload.update({"version": "0"}, **{k: str(v) for k, v in data.items()})
    return client.post(url("consensus_record", assessment, number=number), payload)


# --- roles -------------------------------------------------------------------------------------


def test_presenter_opens_on_the_rooms_current_dimension(facilitator, workshop_round):
    workshop_round.current_dimension = 4
    workshop_round.save()
    response = facilitator.get(url("presenter", workshop_round))
    assert response.status_code == 302
    assert response["Location"] == url("presenter", workshop_round, number=4)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("facilitator", 200), ("admin", 200), ("other_facilitator", 404), ("evaluator", 403)],
)
def test_presenter_page_per_role(request, persona, status, workshop_round):
    client = request.getfixturevalue(persona)
    assert client.get(url("presenter", workshop_round, number=1)).status_code == status


def test_presenter_sends_anonymous_and_stakeholder_links_to_log_in(
    anonymous, participant, workshop_round
):
    anonymous.get(reverse("assessments:follow", args=[participant.token]))
    response = anonymous.get(url("presenter", workshop_round, number=1))
    assert response.status_code == 302
    assert record(anonymous, workshop_round).status_code == 302
    assert not ConsensusScore.objects.exists()


def test_unknown_dimension_is_not_found(facilitator, workshop_round):
    assert facilitator.get(url("presenter", workshop_round, number=10)).status_code == 404
    assert record(facilitator, workshop_round, number=10).status_code == 404


def test_presenter_shows_the_five_levels_in_a_full_screen_layout(facilitator, workshop_round):
    html = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert 'class="presenter"' in html
    assert "navbar" not in html
    assert "There is no clear shared vision for the future" in html
    assert "js/presenter.js" in html
    assert 'data-nav="next"' in html
    assert html.count('name="number"') == 9 + 2  # jump list plus previous/next


def test_spread_is_hidden_until_revealed_and_hidden_again_after_moving(facilitator, workshop_round):
    html = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert "Reveal the spread" in html and "Ratings for Vision" not in html

    response = facilitator.post(
        url("presenter_reveal", workshop_round, number=1), {"revealed": "on"}
    )
    assert response.status_code == 302
    workshop_round.refresh_from_db()
    assert workshop_round.spread_revealed
    html = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert "Ratings for Vision" in html and "Hide the spread" in html

    response = facilitator.post(url("presenter_move", workshop_round), {"number": "2"})
    assert response["Location"] == url("presenter", workshop_round, number=2)
    workshop_round.refresh_from_db()
    assert (workshop_round.current_dimension, workshop_round.spread_revealed) == (2, False)


def test_moving_to_a_dimension_that_does_not_exist_is_refused(facilitator, workshop_round):
    response = facilitator.post(url("presenter_move", workshop_round), {"number": "12"})
    assert response.status_code == 400
    response = facilitator.post(url("presenter_move", workshop_round), {"number": "abc"})
    assert response.status_code == 400
    workshop_round.refresh_from_db()
    assert workshop_round.current_dimension == 1


def test_previous_rounds_agreed_level_and_reason_are_shown(facilitator, workshop_round):
    previous = AssessmentFactory(
        community=workshop_round.community,
        focal_issue=workshop_round.focal_issue,
        title="2019 baseline",
        status=Assessment.Status.WORKSHOP,
    )
    ConsensusScoreFactory(assessment=previous, level=2, reason="Back then we had no forum.")
    previous.finalise()
    workshop_round.previous = previous
    workshop_round.save()
    workshop_round.current_dimension = 1
    workshop_round.save()
    html = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    # Hidden until the reveal, like the spread: last time's level would anchor the talk too.
    assert "Last time (2019 baseline)" in html
    assert "Back then we had no forum." not in html and "Agreed level 2" not in html
    facilitator.post(url("presenter_reveal", workshop_round, number=1), {"revealed": "on"})
    html = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert "Back then we had no forum." in html and "Agreed level 2" in html


def test_presenter_has_the_anonymous_reasons_behind_a_toggle_and_ticks_agreed(
    facilitator, workshop_round
):
    html = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert 'aria-expanded="false" aria-controls="reasons-list"' in html
    assert '<ul id="reasons-list" class="reasons presenter-reasons mt-3" hidden>' in html
    assert "<li>" in html.split('id="reasons-list"')[1].split("</ul>")[0]
    ConsensusScoreFactory(assessment=workshop_round, level=3)  # dimension 1
    html = facilitator.get(url("presenter", workshop_round, number=2)).content.decode()
    assert html.count('class="agreed-mark" aria-hidden="true">✓') == 1
    assert "✓ = agreed (1 of 9)." in html


# --- recording ---------------------------------------------------------------------------------


def test_facilitator_records_an_agreed_score_and_it_is_audited(facilitator, workshop_round):
    response = record(facilitator, workshop_round, level=4, dissent="Police saw it as a 3")
    assert response.status_code == 302
    score = ConsensusScore.objects.get(assessment=workshop_round)
    assert (score.level, score.version, score.dissent) == (4, 1, "Police saw it as a 3")
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.CONSENSUS_SAVED)
    assert event.detail["before"] is None
    assert event.detail["after"]["level"] == 4

    response = record(facilitator, workshop_round, level=2, version=1, reason="Changed our minds")
    assert response.status_code == 302
    score.refresh_from_db()
    assert (score.level, score.version) == (2, 2)
    latest = AuditEvent.objects.filter(verb=AuditEvent.Verb.CONSENSUS_SAVED).first()
    assert latest.detail["before"]["level"] == 4
    assert latest.detail["after"] == {
        "level": 2,
        "reason": "Changed our minds",
        "dissent": "",
        "is_priority": False,
        "version": 2,
    }


def test_reason_is_required_and_typed_text_is_kept(facilitator, workshop_round):
    response = record(facilitator, workshop_round, reason="   ", dissent="Kept dissent text")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Write why the group scored it this way" in html
    assert "Kept dissent text" in html
    assert not ConsensusScore.objects.exists()


def test_level_outside_one_to_five_is_refused(facilitator, workshop_round):
    assert record(facilitator, workshop_round, level=6).status_code == 400
    assert record(facilitator, workshop_round, level="x").status_code == 400
    assert not ConsensusScore.objects.exists()


def test_evaluator_cannot_record(evaluator, workshop_round):
    assert record(evaluator, workshop_round).status_code == 403
    assert evaluator.post(url("presenter_move", workshop_round), {"number": 3}).status_code == 403
    assert (
        evaluator.post(
            url("presenter_reveal", workshop_round, number=1), {"revealed": "on"}
        ).status_code
        == 403
    )
    assert evaluator.post(url("room_link", workshop_round)).status_code == 403
    workshop_round.refresh_from_db()
    assert not ConsensusScore.objects.exists()
    assert (workshop_round.current_dimension, workshop_round.spread_revealed) == (1, False)
    assert not workshop_round.has_room_link


def test_other_facilitator_cannot_record(other_facilitator, workshop_round):
    assert record(other_facilitator, workshop_round).status_code == 404
    assert not ConsensusScore.objects.exists()


def test_recording_waits_for_the_workshop_stage(facilitator, assessment):
    assert assessment.status == Assessment.Status.COLLECTING
    response = record(facilitator, assessment)
    assert response.status_code == 409
    assert "Close private scoring first" in response.content.decode()
    assert not ConsensusScore.objects.exists()


def test_second_facilitator_with_a_stale_form_sees_both_texts_and_nothing_is_overwritten(
    facilitator, admin, workshop_round
):
    # Both loaded the page when nothing was saved (version 0).
    first = record(facilitator, workshop_round, level=3, reason="Their text: the forum works")
    assert first.status_code == 302
    second = record(admin, workshop_round, level=5, reason="Your text: it is excellent")
    assert second.status_code == 409
    html = second.content.decode()
    assert "Their text: the forum works" in html
    assert "Your text: it is excellent" in html
    assert "Someone else saved this dimension" in html
    score = ConsensusScore.objects.get(assessment=workshop_round)
    assert (score.level, score.reason, score.version) == (3, "Their text: the forum works", 1)
    # The re-shown form now carries the stored version: saving again is a deliberate overwrite.
    assert second.context["form"]["version"].value() == "1"
    third = record(admin, workshop_round, level=5, reason="Merged text", version=1)
    assert third.status_code == 302
    score.refresh_from_db()
    assert (score.level, score.reason, score.version) == (5, "Merged text", 2)


def test_a_stale_version_after_an_edit_is_also_a_conflict(facilitator, workshop_round):
    ConsensusScoreFactory(assessment=workshop_round, level=2, reason="Stored", version=3)
    response = record(facilitator, workshop_round, version=2, reason="Mine")
    assert response.status_code == 409
    assert ConsensusScore.objects.get().reason == "Stored"


def test_room_link_is_shown_as_a_qr_code_and_nothing_secret_is_stored(facilitator, workshop_round):
    response = facilitator.post(url("room_link", workshop_round), {"from": "4"})
    assert response.status_code == 302
    assert response["Location"].endswith("?from=4")
    page = facilitator.get(response["Location"])
    link = page.context["link"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    workshop_round.refresh_from_db()
    assert workshop_round.room_token_hash == "" and workshop_round.room_link_version == 1
    assert 'class="room-qr' in page.content.decode() and link in page.content.decode()
    # Shown again, the same link.
    assert facilitator.get(url("room_link", workshop_round)).context["link"] == link
    assert token == workshop_round.room_token
    assert facilitator.get(link).status_code == 200


def test_presenter_query_count_does_not_grow_with_participants(facilitator, assessment):
    assessment.status = Assessment.Status.WORKSHOP
    assessment.spread_revealed = True
    assessment.save()
    for _ in range(3):
        submit_sheet(add_participant(assessment), [2] * 9)
    ConsensusScoreFactory(assessment=assessment)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert facilitator.get(url("presenter", assessment, number=1)).status_code == 200
        return len(queries)

    count()  # the rubric's dimensions and levels are then kept by the process
    small = count()
    for index in range(57):
        submit_sheet(add_participant(assessment), [index % 5 + 1] * 9)
    # Session, user, round; the dimension's submitted scores, the agreed scores, the submitted
    # count, the room votes; the previous round to compare with (none here).
    assert count() == small == 8


def test_follow_query_count_does_not_grow_with_participants(anonymous, assessment):
    assessment.status = Assessment.Status.WORKSHOP
    assessment.spread_revealed = True
    assessment.save()
    participants = [add_participant(assessment) for _ in range(3)]
    for p in participants:
        submit_sheet(p, [2] * 9)
    path = reverse("assessments:follow", args=[participants[0].token])
    anonymous.get(path)  # the first visit checks the link; polls after it are what we measure

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert anonymous.get(path).status_code == 200
        return len(queries)

    small = count()
    for _ in range(57):
        submit_sheet(add_participant(assessment), [4] * 9)
    assert count() == small
