"""Convergence and the split flag: the rule's cases, the small-number rule, and where it shows
(analysis page, presenter, round report page and PDF data)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from assessments import convergence as conv
from assessments.aggregation import spread
from assessments.models import Assessment, RoomVote
from assessments.reports.data import round_report
from tests.assessments.test_reports_data import make_round
from tests.assessments.test_workshop import add_participant, make_workshop_round, url
from tests.factories import ConsensusScoreFactory, submit_sheet

RULE = "The split rule: a dimension is split when the private scores span 3 or more levels"


def tally(number: int = 1, not_sure: int = 0, **levels: int) -> conv.VoteTally:
    counts = {level: levels.get(f"l{level}", 0) for level in range(1, 6)}
    return conv.VoteTally(number=number, counts=counts, not_sure=not_sure)


# --- the rule ----------------------------------------------------------------------------------


def test_close_private_scores_a_clear_vote_and_a_near_agreement_are_not_split():
    c = conv.convergence(private=spread([3, 3, 4, 3]), votes=[tally(l3=5, l4=2)], agreed=3)
    assert not c.split and c.reasons == ()


def test_private_scores_spanning_three_levels_are_split():
    c = conv.convergence(private=spread([2, 3, 4]), votes=[], agreed=3)
    assert c.reasons == (conv.PRIVATE_SPAN,)
    assert not conv.convergence(private=spread([2, 3, 3]), votes=[], agreed=3).split


def test_a_last_vote_without_half_on_one_level_is_split():
    no_half = tally(l2=2, l3=2, l4=1)  # 2 of 5
    half = tally(number=2, l3=3, l4=3)  # 3 of 6 is half
    assert conv.convergence(private=None, votes=[no_half], agreed=None).reasons == (conv.NO_HALF,)
    # Only the last vote counts: the room came together after discussion.
    assert not conv.convergence(private=None, votes=[no_half, half], agreed=None).split
    assert conv.convergence(private=None, votes=[half, no_half], agreed=None).no_half


def test_not_sure_counts_as_a_vote_for_the_half():
    assert conv.convergence(private=None, votes=[tally(l3=2, not_sure=3)], agreed=None).no_half


def test_an_agreed_level_two_from_the_private_median_is_split():
    c = conv.convergence(private=spread([2, 2, 2]), votes=[], agreed=4)
    assert c.reasons == (conv.AGREED_FAR,) and c.distance == 2
    assert not conv.convergence(private=spread([2, 3, 2]), votes=[], agreed=3).split


def test_without_the_private_spread_only_the_vote_can_split():
    c = conv.convergence(private=None, votes=[tally(l3=3)], agreed=5)
    assert not c.split  # the agreed level is not compared with a withheld median


def test_every_reason_at_once():
    c = conv.convergence(private=spread([1, 3, 5]), votes=[tally(l1=1, l3=1, l5=1)], agreed=5)
    assert c.reasons == (conv.PRIVATE_SPAN, conv.NO_HALF, conv.AGREED_FAR)


@given(
    levels=st.lists(st.integers(1, 5), min_size=1, max_size=40),
    counts=st.lists(st.integers(0, 30), min_size=6, max_size=6),
    agreed=st.none() | st.integers(1, 5),
)
def test_the_flag_is_exactly_the_stated_rule(levels, counts, agreed):
    vote = tally(not_sure=counts[5], **{f"l{level}": counts[level - 1] for level in range(1, 6)})
    votes = [vote] if vote.total else []
    c = conv.convergence(private=spread(levels), votes=votes, agreed=agreed)
    median = sorted(levels)[len(levels) // 2] if len(levels) % 2 else None
    expected = (
        max(levels) - min(levels) >= 2
        or bool(votes and 2 * max(counts[:5]) < vote.total)
        or (agreed is not None and abs(agreed - c.private.median) >= 2)  # type: ignore[union-attr]
    )
    assert c.split == expected
    if median is not None:
        assert c.private.median == median  # type: ignore[union-attr]


# --- on the pages ------------------------------------------------------------------------------


@pytest.fixture
def workshop_round(assessment):
    return make_workshop_round(assessment)


def shown_vote(assessment: Assessment, number: int = 1, **levels: int) -> RoomVote:
    return RoomVote.objects.create(
        assessment=assessment,
        dimension=assessment.rubric.dimensions.get(number=number),
        closed_at=assessment.collection_opened_at,
        revealed=True,
        **{f"level_{k[1:]}": v for k, v in levels.items()},
    )


def test_the_analysis_page_states_the_rule_and_flags_a_split(facilitator, workshop_round):
    # Dimension 1's private scores are 1, 3, 5, 3: a span of five levels.
    ConsensusScoreFactory(
        assessment=workshop_round, dimension=workshop_round.rubric.dimensions.get(number=1)
    )
    shown_vote(workshop_round, l2=2, l3=2, l4=2)
    page = facilitator.get(url("analysis", workshop_round)).content.decode()
    assert RULE in page
    assert "the private scores span 3 or more levels." in page
    assert "no level had half of the last room vote." in page
    assert "Vote 1 (before discussion): most votes for level 2 (2 of 6)" in page


def test_under_three_sheets_the_private_scores_are_not_used(facilitator, assessment):
    for levels in ([1] * 9, [5] * 9):
        submit_sheet(add_participant(assessment), levels)
    assessment.status = Assessment.Status.WORKSHOP
    assessment.save()
    page = facilitator.get(url("analysis", assessment)).content.decode()
    assert "Private scores: not used (fewer than 3 sheets)" in page
    assert "the private scores span 3 or more levels." not in page


def test_an_unshown_vote_does_not_count(facilitator, workshop_round):
    RoomVote.objects.create(
        assessment=workshop_round,
        dimension=workshop_round.rubric.dimensions.get(number=2),
        revealed=False,
        level_1=2,
        level_5=2,
    )
    shown_vote(workshop_round, number=3, l1=1, l5=1)  # revealed, but only 2 votes
    page = facilitator.get(url("analysis", workshop_round)).content.decode()
    assert "Room vote: none shown" in page
    assert "most votes for level" not in page


def test_the_presenter_shows_convergence_with_the_spread(facilitator, workshop_round):
    shown_vote(workshop_round, l3=4)
    page = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert "From private scores to the agreed level" not in page
    workshop_round.spread_revealed = True
    workshop_round.save()
    page = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert "From private scores to the agreed level" in page and RULE in page


def test_the_round_report_carries_convergence_to_page_and_pdf(facilitator, community):
    finalised = make_round(community, participants=3)
    shown_vote(finalised, number=1, l1=1, l4=1, l5=1)
    row = round_report(finalised).rows[0]
    assert row.convergence is not None and row.convergence.no_half
    page = facilitator.get(
        reverse("assessments:report", kwargs={"code": finalised.code})
    ).content.decode()
    assert RULE in page and "no level had half of the last room vote." in page
