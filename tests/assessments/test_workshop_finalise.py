"""Priorities, finalise, reopen, and the immutability of a finalised round."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    Assessment,
    AuditEvent,
    ConsensusScore,
    PriorityAction,
    add_months,
)
from tests.assessments.test_workshop import add_participant, make_workshop_round, url
from tests.factories import ConsensusScoreFactory, PriorityActionFactory


@pytest.fixture
def workshop_round(assessment):
    return make_workshop_round(assessment)


def agree_all(assessment, *, priorities=(3,)):
    scores = []
    for dimension in assessment.rubric.dimensions.order_by("number"):
        scores.append(
            ConsensusScore.objects.create(
                assessment=assessment,
                dimension=dimension,
                level=dimension.number % 5 + 1,
                reason=f"Agreed reason {dimension.number}",
                is_priority=dimension.number in priorities,
            )
        )
    return scores


@pytest.fixture
def agreed_round(workshop_round):
    agree_all(workshop_round)
    return workshop_round


@pytest.fixture
def finalised_round(agreed_round):
    PriorityActionFactory(consensus=agreed_round.consensus_scores.get(dimension__number=3))
    agreed_round.finalise()
    return agreed_round


# --- priorities --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("facilitator", 200), ("admin", 200), ("other_facilitator", 404), ("evaluator", 403)],
)
def test_priorities_page_per_role(request, persona, status, agreed_round):
    client = request.getfixturevalue(persona)
    assert client.get(url("priorities", agreed_round)).status_code == status


def test_priorities_page_sends_anonymous_to_log_in(anonymous, agreed_round):
    assert anonymous.get(url("priorities", agreed_round)).status_code == 302
    assert anonymous.post(url("priorities", agreed_round), {"dimensions": [1]}).status_code == 302


def test_choosing_two_priorities_is_saved_and_audited(facilitator, agreed_round):
    response = facilitator.post(url("priorities", agreed_round), {"dimensions": ["1", "5"]})
    assert response.status_code == 302
    chosen = set(
        ConsensusScore.objects.filter(assessment=agreed_round, is_priority=True).values_list(
            "dimension__number", flat=True
        )
    )
    assert chosen == {1, 5}
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.PRIORITY_SAVED)
    assert event.detail == {"before": [3], "after": [1, 5]}


def test_more_than_two_priorities_needs_confirmation(facilitator, agreed_round):
    response = facilitator.post(url("priorities", agreed_round), {"dimensions": ["1", "2", "4"]})
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    assert set(
        ConsensusScore.objects.filter(is_priority=True).values_list("dimension__number", flat=True)
    ) == {3}
    response = facilitator.post(
        url("priorities", agreed_round), {"dimensions": ["1", "2", "4"], "confirm_more": "on"}
    )
    assert response.status_code == 302
    assert ConsensusScore.objects.filter(is_priority=True).count() == 3


def test_a_dimension_without_an_agreed_score_cannot_be_a_priority(facilitator, workshop_round):
    ConsensusScoreFactory(assessment=workshop_round)  # dimension 1 only
    response = facilitator.post(url("priorities", workshop_round), {"dimensions": ["2"]})
    assert response.status_code == 400
    assert not ConsensusScore.objects.filter(is_priority=True).exists()


def test_evaluator_cannot_choose_priorities(evaluator, agreed_round):
    assert evaluator.post(url("priorities", agreed_round), {"dimensions": ["1"]}).status_code == 403
    assert ConsensusScore.objects.get(is_priority=True).dimension.number == 3


def test_next_steps_can_be_added_edited_and_deleted(facilitator, agreed_round):
    consensus = agreed_round.consensus_scores.get(dimension__number=3)
    prefix = f"d{consensus.pk}"
    response = facilitator.post(
        url("priority_action_add", agreed_round, number=3),
        {
            f"{prefix}-action": "Joint training day",
            f"{prefix}-owner": "LIL",
            f"{prefix}-review_date": "2027-03-01",
        },
    )
    assert response.status_code == 302
    action = PriorityAction.objects.get()
    assert (action.action, action.owner, action.review_date) == (
        "Joint training day",
        "LIL",
        datetime.date(2027, 3, 1),
    )
    html = facilitator.get(url("priorities", agreed_round)).content.decode()
    assert "Joint training day" in html

    response = facilitator.post(
        url("priority_action_edit", agreed_round, pk=action.pk),
        {"action": "Two training days", "owner": "Council", "review_date": ""},
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.action, action.owner, action.review_date) == (
        "Two training days",
        "Council",
        None,
    )

    response = facilitator.post(url("priority_action_delete", agreed_round, pk=action.pk))
    assert response.status_code == 302
    assert not PriorityAction.objects.exists()
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.PRIORITY_SAVED).count() == 3


def test_next_step_needs_an_action_and_owner_and_keeps_what_was_typed(facilitator, agreed_round):
    consensus = agreed_round.consensus_scores.get(dimension__number=3)
    prefix = f"d{consensus.pk}"
    response = facilitator.post(
        url("priority_action_add", agreed_round, number=3),
        {f"{prefix}-action": "Kept text", f"{prefix}-owner": "", f"{prefix}-review_date": "nope"},
    )
    assert response.status_code == 400
    assert "Kept text" in response.content.decode()
    assert not PriorityAction.objects.exists()


def test_next_steps_only_for_priority_dimensions(facilitator, agreed_round):
    consensus = agreed_round.consensus_scores.get(dimension__number=1)
    prefix = f"d{consensus.pk}"
    response = facilitator.post(
        url("priority_action_add", agreed_round, number=1),
        {f"{prefix}-action": "X", f"{prefix}-owner": "Y"},
    )
    assert response.status_code == 400
    assert not PriorityAction.objects.exists()


def test_next_steps_of_another_round_are_not_reachable(
    facilitator, agreed_round, other_round_participant
):
    other = other_round_participant.assessment
    action = PriorityActionFactory(
        consensus=ConsensusScoreFactory(assessment=other, is_priority=True)
    )
    assert (
        facilitator.get(url("priority_action_edit", agreed_round, pk=action.pk)).status_code == 404
    )
    assert (
        facilitator.post(url("priority_action_delete", agreed_round, pk=action.pk)).status_code
        == 404
    )
    assert PriorityAction.objects.filter(pk=action.pk).exists()


# --- finalise ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("facilitator", 200), ("admin", 200), ("other_facilitator", 404), ("evaluator", 403)],
)
def test_summary_page_per_role(request, persona, status, agreed_round):
    client = request.getfixturevalue(persona)
    assert client.get(url("finalise", agreed_round)).status_code == status


def test_finalise_is_refused_until_every_dimension_is_agreed(facilitator, workshop_round):
    ConsensusScoreFactory(assessment=workshop_round)
    html = facilitator.get(url("finalise", workshop_round)).content.decode()
    assert "Still missing" in html
    assert "Finalise the round</button>" not in html
    response = facilitator.post(url("finalise", workshop_round), {"next_review_due": "2030-01-01"})
    assert response.status_code == 409
    assert "Collaboration" in response.content.decode()
    workshop_round.refresh_from_db()
    assert workshop_round.status == Assessment.Status.WORKSHOP


def test_finalise_defaults_to_a_review_in_18_months_and_is_audited(facilitator, agreed_round):
    form = facilitator.get(url("finalise", agreed_round)).context["form"]
    expected = add_months(timezone.localdate(), 18)
    assert form["next_review_due"].value() == expected
    response = facilitator.post(url("finalise", agreed_round), {"next_review_due": "2028-05-31"})
    assert response.status_code == 302
    agreed_round.refresh_from_db()
    assert agreed_round.status == Assessment.Status.FINALISED
    assert agreed_round.next_review_due == datetime.date(2028, 5, 31)
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.STATUS_CHANGED)
    assert event.detail["after"] == "finalised"


def test_finalise_refuses_a_past_review_date(facilitator, agreed_round):
    response = facilitator.post(url("finalise", agreed_round), {"next_review_due": "2001-01-01"})
    assert response.status_code == 400
    assert "after today" in response.content.decode()
    agreed_round.refresh_from_db()
    assert agreed_round.status == Assessment.Status.WORKSHOP


def test_evaluator_cannot_finalise(evaluator, agreed_round):
    assert (
        evaluator.post(url("finalise", agreed_round), {"next_review_due": "2030-01-01"}).status_code
        == 403
    )
    agreed_round.refresh_from_db()
    assert agreed_round.status == Assessment.Status.WORKSHOP


# --- a finalised round is immutable ------------------------------------------------------------


def _snapshot(assessment):
    assessment.refresh_from_db()
    return (
        list(ConsensusScore.objects.order_by("pk").values()),
        list(PriorityAction.objects.order_by("pk").values()),
        (
            assessment.status,
            assessment.current_dimension,
            assessment.spread_revealed,
            assessment.room_token_hash,
            assessment.next_review_due,
        ),
    )


def test_every_workshop_write_on_a_finalised_round_is_refused(facilitator, finalised_round):
    before = _snapshot(finalised_round)
    action = PriorityAction.objects.get()
    score3 = finalised_round.consensus_scores.get(dimension__number=3)
    posts = [
        (
            url("consensus_record", finalised_round, number=1),
            {"level": "5", "reason": "Changed", "version": "1"},
        ),
        (url("presenter_move", finalised_round), {"number": "4"}),
        (url("presenter_reveal", finalised_round, number=1), {"revealed": "on"}),
        (url("room_link", finalised_round), {}),
        (url("priorities", finalised_round), {"dimensions": ["1"]}),
        (
            url("priority_action_add", finalised_round, number=3),
            {f"d{score3.pk}-action": "New", f"d{score3.pk}-owner": "Me"},
        ),
        (
            url("priority_action_edit", finalised_round, pk=action.pk),
            {"action": "Edited", "owner": "Me"},
        ),
        (url("priority_action_delete", finalised_round, pk=action.pk), {}),
        (url("finalise", finalised_round), {"next_review_due": "2031-01-01"}),
    ]
    for path, data in posts:
        response = facilitator.post(path, data)
        assert response.status_code == 409, path
        assert "finalised" in response.content.decode()
    assert _snapshot(finalised_round) == before
    assert not AuditEvent.objects.exists()


def test_a_finalised_round_renders_no_edit_controls(facilitator, finalised_round):
    presenter = facilitator.get(url("presenter", finalised_round, number=1)).content.decode()
    # The language switcher is a form on every page; the room's content has none.
    assert "<form" not in presenter.split('id="main"')[1]
    assert "Agreed reason 1" in presenter
    priorities = facilitator.get(url("priorities", finalised_round)).content.decode()
    assert "<form" not in priorities.split('id="main"')[1]
    summary = facilitator.get(url("finalise", finalised_round)).content.decode()
    assert "Finalise the round" not in summary
    assert "Reopen this round" in summary


# --- reopen ------------------------------------------------------------------------------------


def test_reopen_needs_a_reason_and_is_audited(facilitator, finalised_round):
    response = facilitator.post(url("reopen", finalised_round), {"reason": "  "})
    assert response.status_code == 400
    finalised_round.refresh_from_db()
    assert finalised_round.is_finalised

    response = facilitator.post(url("reopen", finalised_round), {"reason": "Typo in dimension 4"})
    assert response.status_code == 302
    finalised_round.refresh_from_db()
    assert finalised_round.status == Assessment.Status.WORKSHOP
    assert finalised_round.finalised_at is None
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.REOPENED)
    assert event.detail["reason"] == "Typo in dimension 4"
    assert event.actor.username == "fac"
    # And the workshop is writable again.
    assert (
        facilitator.post(
            url("consensus_record", finalised_round, number=1),
            {"level": "5", "reason": "Corrected", "version": "1"},
        ).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("other_facilitator", 404), ("evaluator", 403), ("anonymous", 302)],
)
def test_reopen_page_per_role(request, persona, status, finalised_round):
    client = request.getfixturevalue(persona)
    assert client.get(url("reopen", finalised_round)).status_code == status
    assert client.post(url("reopen", finalised_round), {"reason": "x"}).status_code in {status, 302}
    finalised_round.refresh_from_db()
    if persona != "admin":
        assert finalised_round.is_finalised
        assert not AuditEvent.objects.filter(verb=AuditEvent.Verb.REOPENED).exists()


def test_an_unfinalised_round_cannot_be_reopened(facilitator, agreed_round):
    response = facilitator.post(url("reopen", agreed_round), {"reason": "why not"})
    assert response.status_code == 409
    assert not AuditEvent.objects.filter(verb=AuditEvent.Verb.REOPENED).exists()


def test_follow_link_of_a_finalised_round_says_it_is_over(anonymous, finalised_round):
    participant = add_participant(finalised_round)
    html = anonymous.get(reverse("assessments:follow", args=[participant.token])).content.decode()
    assert "finalised" in html
