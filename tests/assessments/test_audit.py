"""The audit trail page of a round: who may see it, what it shows, and what it never shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import AuditEvent, audit
from tests.factories import AssessmentFactory, MembershipFactory, ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def url(assessment) -> str:  # type: ignore[no-untyped-def]
    return reverse("assessments:audit", kwargs={"code": assessment.code})


@pytest.fixture
def consensus_event(assessment, community):  # type: ignore[no-untyped-def]
    actor = UserFactory(username="carol-lead")
    MembershipFactory(user=actor, community=community)
    return audit(
        verb=AuditEvent.Verb.CONSENSUS_SAVED,
        summary="Agreed score for “Shared vision” saved: level 4",
        actor=actor,
        assessment=assessment,
        detail={
            "dimension": 2,
            "before": {"level": 3, "reason": "Old agreed reason", "dissent": "", "version": 1},
            "after": {"level": 4, "reason": "New agreed reason", "dissent": "", "version": 2},
        },
    )


def test_anonymous_is_sent_to_log_in(anonymous, url) -> None:  # type: ignore[no-untyped-def]
    response = anonymous.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("which", ["this_round", "other_round", "revoked"])
def test_stakeholder_links_do_not_open_the_audit_trail(  # type: ignore[no-untyped-def]
    anonymous, url, participant, other_round_participant, which
) -> None:
    if which == "this_round":
        token = participant.token
    elif which == "other_round":
        token = other_round_participant.token
    else:
        token = participant.token
        participant.issue_token()
    anonymous.get(f"/s/{token}/")  # whatever the link page does, it logs nobody in
    response = anonymous.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_facilitator_of_the_community_sees_the_trail(  # type: ignore[no-untyped-def]
    facilitator, url, consensus_event
) -> None:
    response = facilitator.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Agreed score for “Shared vision” saved: level 4" in text
    assert "Agreed score saved" in text  # the verb label
    assert "carol-lead" in text  # who
    # before/after rendered readably
    assert "Old agreed reason" in text and "New agreed reason" in text
    assert "Agreed level" in text


def test_admin_sees_the_trail(admin, url, consensus_event) -> None:  # type: ignore[no-untyped-def]
    response = admin.get(url)
    assert response.status_code == 200
    assert "New agreed reason" in response.content.decode()


def test_evaluator_is_refused(evaluator, url, consensus_event) -> None:  # type: ignore[no-untyped-def]
    assert evaluator.get(url).status_code == 403


def test_facilitator_of_another_community_gets_not_found(  # type: ignore[no-untyped-def]
    other_facilitator, url
) -> None:
    assert other_facilitator.get(url).status_code == 404


def test_unknown_round_is_not_found(facilitator) -> None:  # type: ignore[no-untyped-def]
    url = reverse("assessments:audit", kwargs={"code": "00000000-0000-0000-0000-000000000000"})
    assert facilitator.get(url).status_code == 404


def test_events_of_other_rounds_are_not_listed(  # type: ignore[no-untyped-def]
    facilitator, url, community, assessment
) -> None:
    other = AssessmentFactory(community=community, focal_issue=community.current_focal_issue)
    audit(verb=AuditEvent.Verb.ROUND_CREATED, summary="Other round event", assessment=other)
    audit(verb=AuditEvent.Verb.ROUND_CREATED, summary="This round event", assessment=assessment)
    text = facilitator.get(url).content.decode()
    assert "This round event" in text
    assert "Other round event" not in text


def test_unlisted_detail_keys_are_never_rendered(  # type: ignore[no-untyped-def]
    facilitator, url, assessment, participant
) -> None:
    # A service that one day writes individual scores into an event must not leak them here.
    audit(
        verb=AuditEvent.Verb.PAPER_ENTRY,
        summary="Paper sheet entered",
        assessment=assessment,
        detail={
            "participant": str(participant.code),
            "scores": {"1": "SECRET-LEVEL-MARKER"},
            "token": "SECRET-TOKEN-MARKER",
            "after": {"level": 2, "individual_reason": "SECRET-REASON-MARKER"},
        },
    )
    text = facilitator.get(url).content.decode()
    assert "Paper sheet entered" in text
    for marker in ("SECRET-LEVEL-MARKER", "SECRET-TOKEN-MARKER", "SECRET-REASON-MARKER"):
        assert marker not in text
    assert str(participant.code) not in text
    assert "Some technical details of this entry are not shown." in text


def test_status_change_and_reopen_reason_are_readable(  # type: ignore[no-untyped-def]
    facilitator, url, assessment
) -> None:
    audit(
        verb=AuditEvent.Verb.REOPENED,
        summary="Round reopened",
        assessment=assessment,
        detail={"before": "finalised", "after": "workshop", "reason": "Typo in dimension 3"},
    )
    text = facilitator.get(url).content.decode()
    assert "Typo in dimension 3" in text
    assert "Finalised" in text and "Consensus workshop" in text  # status labels, not codes


def test_free_text_is_escaped(facilitator, url, assessment) -> None:  # type: ignore[no-untyped-def]
    audit(
        verb=AuditEvent.Verb.REOPENED,
        summary="<script>alert(1)</script>",
        assessment=assessment,
        detail={"reason": "<img src=x onerror=alert(2)>"},
    )
    text = facilitator.get(url).content.decode()
    assert "<script>alert(1)</script>" not in text
    assert "<img src=x onerror=alert(2)>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_empty_trail_says_so(facilitator, url) -> None:  # type: ignore[no-untyped-def]
    assert "Nothing has been recorded for this round yet." in facilitator.get(url).content.decode()


def test_trail_is_paginated_newest_first(facilitator, url, assessment) -> None:  # type: ignore[no-untyped-def]
    for i in range(60):
        audit(verb=AuditEvent.Verb.EXPORTED, summary=f"event number {i:03d}", assessment=assessment)
    first = facilitator.get(url).content.decode()
    assert "event number 059" in first and "event number 010" in first
    assert "event number 009" not in first
    assert "Page 1 of 2" in first
    second = facilitator.get(url, {"page": 2}).content.decode()
    assert "event number 009" in second and "event number 000" in second
    assert "event number 010" not in second
    # A page number out of range or garbage shows a page, not an error.
    assert facilitator.get(url, {"page": "999"}).status_code == 200
    assert facilitator.get(url, {"page": "abc"}).status_code == 200


def _queries(client, url) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_query_count_does_not_grow_with_events(  # type: ignore[no-untyped-def]
    facilitator, url, assessment, facilitator_user, community
) -> None:
    actors = [facilitator_user, None]
    for i in range(5):
        audit(
            verb=AuditEvent.Verb.CONSENSUS_SAVED,
            summary=f"small {i}",
            actor=actors[i % 2],
            assessment=assessment,
            detail={"before": None, "after": {"level": 3, "reason": "r"}},
        )
    small = _queries(facilitator, url)
    many_actors = [UserFactory() for _ in range(10)]
    for i in range(95):
        audit(
            verb=AuditEvent.Verb.CONSENSUS_SAVED,
            summary=f"large {i}",
            actor=many_actors[i % 10],
            assessment=assessment,
            detail={"before": {"level": 2}, "after": {"level": 3}},
        )
    ParticipantFactory.create_batch(5, assessment=assessment)
    large = _queries(facilitator, url)
    assert small == large


def test_next_step_event_shows_the_change_without_a_hidden_details_note(  # type: ignore[no-untyped-def]
    facilitator, url, assessment
) -> None:
    audit(
        verb=AuditEvent.Verb.PRIORITY_SAVED,
        summary="Next step saved",
        assessment=assessment,
        detail={
            "action": 17,
            "before": None,
            "after": {"action": "Joint commissioning day", "owner": "Lead", "review_date": None},
        },
    )
    audit(
        verb=AuditEvent.Verb.PRIORITY_SAVED,
        summary="Priorities set",
        assessment=assessment,
        detail={"before": [1], "after": [2, 7]},
    )
    text = facilitator.get(url).content.decode()
    assert "Joint commissioning day" in text and "Next step" in text
    assert "Priority dimensions" in text and "2, 7" in text
    assert "Some technical details of this entry are not shown." not in text


def test_events_written_by_the_real_services_render_readably(  # type: ignore[no-untyped-def]
    facilitator, url, assessment, participant, facilitator_user
) -> None:
    """The shapes other services write (consensus before/after, finalise, reopen, link shown
    and revoked) come out readable, and no private score (nor the link) appears."""
    import datetime

    rounds = pytest.importorskip("assessments.rounds")
    workshop = pytest.importorskip("assessments.workshop")
    from tests.factories import submit_sheet

    submit_sheet(participant, [5] * 9, ["PRIVATE-MARKER"] * 9)
    rounds.participant_link_show(participant=participant, by=facilitator_user)
    rounds.participant_link_revoke(participant=participant, by=facilitator_user)
    assessment.status = assessment.Status.WORKSHOP
    assessment.save()
    dimensions = list(assessment.rubric.dimensions.all())
    for dimension in dimensions:
        workshop.consensus_save(
            assessment=assessment,
            dimension=dimension,
            level=2,
            reason="First view",
            dissent="",
            loaded_version=0,
            by=facilitator_user,
        )
    workshop.consensus_save(
        assessment=assessment,
        dimension=dimensions[0],
        level=4,
        reason="Second view",
        dissent="Police disagreed",
        loaded_version=1,
        by=facilitator_user,
    )
    workshop.round_finalise(
        assessment=assessment, next_review_due=datetime.date(2027, 6, 1), by=facilitator_user
    )
    workshop.round_reopen(assessment=assessment, reason="Wrong date", by=facilitator_user)
    text = facilitator.get(url).content.decode()
    assert "First view" in text and "Second view" in text and "Police disagreed" in text
    assert "Wrong date" in text and "2027-06-01" in text
    assert "Personal link shown" in text and "Personal link revoked" in text
    assert participant.link_token not in text
    assert "PRIVATE-MARKER" not in text
    assert "Some technical details of this entry are not shown." not in text
