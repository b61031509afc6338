"""Consensus workshop: analysis page, follow-along and room link, role checks and privacy."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment, ConsensusScore
from communities.models import Sector
from tests.factories import (
    ConsensusScoreFactory,
    OrganisationFactory,
    ParticipantFactory,
    StakeholderFactory,
    submit_sheet,
)

# Nine levels per sheet (None = not sure).
SHEETS = [
    [1, 2, 3, 4, 5, 1, 2, 3, None],
    [3, 3, 3, 3, 3, 3, 3, 3, 3],
    [5, 4, 3, 2, 1, 5, 4, 3, 2],
    [3, 2, 3, 2, 3, 2, 3, 2, 3],
]


def add_participant(assessment, sector=Sector.VCS, name=None):
    organisation = OrganisationFactory(community=assessment.community, sector=sector)
    kwargs = {"name": name} if name else {}
    stakeholder = StakeholderFactory(
        community=assessment.community, organisation=organisation, sector=sector, **kwargs
    )
    return ParticipantFactory(assessment=assessment, stakeholder=stakeholder)


def make_workshop_round(assessment):
    """`assessment` in its workshop stage with four submitted sheets (named participants)."""
    for index, levels in enumerate(SHEETS):
        participant = add_participant(assessment, name=f"Named Person {index}")
        submit_sheet(
            participant,
            levels,
            [f"Secret reason {index}-{n}" for n in range(1, 10)],
        )
    assessment.status = Assessment.Status.WORKSHOP
    assessment.collection_closed_at = assessment.collection_opened_at
    assessment.save()
    return assessment


@pytest.fixture
def workshop_round(assessment):
    return make_workshop_round(assessment)


def url(name, assessment, **kwargs):
    return reverse(f"assessments:{name}", kwargs={"code": assessment.code, **kwargs})


# --- analysis: roles ---------------------------------------------------------------------------


def test_facilitator_of_the_community_sees_the_analysis(facilitator, workshop_round):
    response = facilitator.get(url("analysis", workshop_round))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Vision" in html
    # Dimension 1: 1, 3, 5, 3 → median 3, the 1 and the 5 are far from it.
    assert "2 of 4 ratings are more than one level from the median" in html
    assert "How to read this page" in html


def test_admin_sees_the_analysis(admin, workshop_round):
    assert admin.get(url("analysis", workshop_round)).status_code == 200


def test_facilitator_of_another_community_gets_404(other_facilitator, workshop_round):
    assert other_facilitator.get(url("analysis", workshop_round)).status_code == 404


def test_evaluator_cannot_see_an_unfinished_rounds_spread(evaluator, workshop_round):
    assert evaluator.get(url("analysis", workshop_round)).status_code == 403


def test_anonymous_is_sent_to_log_in(anonymous, workshop_round):
    response = anonymous.get(url("analysis", workshop_round))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_stakeholder_link_cannot_reach_the_analysis(anonymous, participant, workshop_round):
    # Using the personal link gives no session that opens facilitator pages.
    assert anonymous.get(reverse("assessments:follow", args=[participant.token])).status_code == 200
    response = anonymous.get(url("analysis", workshop_round))
    assert response.status_code == 302
    assert anonymous.get(f"/s/{participant.token}/analysis/").status_code == 404


# --- analysis: content ---------------------------------------------------------------------


def test_analysis_shows_no_names_and_reasons_in_a_stable_shuffled_order(
    facilitator, workshop_round
):
    first = facilitator.get(url("analysis", workshop_round)).content.decode()
    assert "Named Person" not in first
    for index in range(4):
        assert f"Secret reason {index}-1" in first
    again = facilitator.get(url("analysis", workshop_round)).content.decode()
    order = [first.index(f"Secret reason {i}-1") for i in range(4)]
    assert order == [again.index(f"Secret reason {i}-1") for i in range(4)]


def test_analysis_shows_counts_median_range_and_not_sure(facilitator, workshop_round):
    response = facilitator.get(url("analysis", workshop_round))
    rows = {row.dimension.number: row for row in response.context["rows"]}
    assert rows[1].spread.counts == {1: 1, 2: 0, 3: 2, 4: 0, 5: 1}
    assert rows[1].spread.median == 3
    assert (rows[1].spread.low, rows[1].spread.high) == (1, 5)
    assert rows[9].spread.not_sure == 1
    assert rows[9].spread.rated == 3


def test_analysis_can_be_sorted_by_disagreement(facilitator, workshop_round):
    response = facilitator.get(url("analysis", workshop_round) + "?sort=disagreement")
    shares = [row.spread.disagreement for row in response.context["rows"]]
    assert shares == sorted(shares, reverse=True)
    assert response.context["rows"][0].spread.disagreement > 0
    default = facilitator.get(url("analysis", workshop_round))
    assert [r.dimension.number for r in default.context["rows"]] == list(range(1, 10))


def test_analysis_warns_when_fewer_than_three_sheets_were_submitted(facilitator, assessment):
    submit_sheet(add_participant(assessment), [3] * 9)
    html = facilitator.get(url("analysis", assessment)).content.decode()
    assert "Only 1 sheet has been submitted" in html


def test_breakdown_by_sector_group_is_suppressed_when_a_group_is_small(facilitator, workshop_round):
    # The four sheets are all voluntary sector; add two statutory: a group of 2.
    for _ in range(2):
        submit_sheet(add_participant(workshop_round, Sector.HEALTH), [4] * 9)
    response = facilitator.get(url("analysis", workshop_round))
    assert all(row.groups is None for row in response.context["rows"])
    assert "could reveal individual answers" in response.content.decode()


def test_breakdown_by_sector_group_shows_when_every_group_has_three(facilitator, workshop_round):
    for _ in range(3):
        submit_sheet(add_participant(workshop_round, Sector.HEALTH), [4] * 9)
    response = facilitator.get(url("analysis", workshop_round))
    groups = response.context["rows"][0].groups
    assert groups is not None
    assert sorted(g.respondents for g in groups) == [3, 4]
    assert "Statutory and public services" in response.content.decode()


def test_analysis_shows_the_shift_from_the_private_median(facilitator, workshop_round):
    ConsensusScoreFactory(assessment=workshop_round, level=4)  # dimension 1, private median 3
    response = facilitator.get(url("analysis", workshop_round))
    row = response.context["rows"][0]
    assert row.shift == 1
    assert row.shift_display == "+1"


def test_unsubmitted_drafts_do_not_count(facilitator, workshop_round):
    submit_sheet(add_participant(workshop_round), [1] * 9, submitted=False)
    response = facilitator.get(url("analysis", workshop_round))
    assert response.context["rows"][0].spread.rated == 4


def _count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_analysis_query_count_does_not_grow_with_participants(facilitator, assessment):
    for _ in range(3):
        submit_sheet(add_participant(assessment), [2] * 9)
    ConsensusScoreFactory(assessment=assessment)
    facilitator.get(url("analysis", assessment))  # the rubric's dimensions are then kept
    small = _count_queries(facilitator, url("analysis", assessment))
    for index in range(57):
        sector = [Sector.HEALTH, Sector.VCS, Sector.LIVED_EXPERIENCE][index % 3]
        submit_sheet(add_participant(assessment, sector), [index % 5 + 1] * 9)
    large = _count_queries(facilitator, url("analysis", assessment))
    # Session, user, round; the submitted scores, the agreed scores, the submitted count, the
    # room votes; the previous round to compare with (none here).
    assert small == large == 8


# --- follow-along and room link --------------------------------------------------------------


def test_follow_shows_the_current_dimension_without_the_spread_until_revealed(
    anonymous, workshop_round
):
    participant = add_participant(workshop_round)
    workshop_round.current_dimension = 2
    workshop_round.save()
    html = anonymous.get(reverse("assessments:follow", args=[participant.token])).content.decode()
    assert "Collaboration" in html
    assert "Not shown yet" in html
    assert "Ratings for" not in html
    assert 'data-hx-trigger="every 3s"' in html

    workshop_round.spread_revealed = True
    workshop_round.save()
    response = anonymous.get(
        reverse("assessments:follow", args=[participant.token]), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "Ratings for Collaboration" in html
    assert "<html" not in html  # the polling partial only
    assert "Named Person" not in html
    assert "Secret reason" not in html


def test_follow_hides_a_revealed_spread_when_too_few_submitted(anonymous, assessment):
    participant = add_participant(assessment)
    submit_sheet(participant, [3] * 9)
    assessment.status = Assessment.Status.WORKSHOP
    assessment.spread_revealed = True
    assessment.save()
    html = anonymous.get(reverse("assessments:follow", args=[participant.token])).content.decode()
    assert "Too few sheets" in html
    assert "Ratings for" not in html


def test_follow_before_the_workshop_says_so(anonymous, participant):
    html = anonymous.get(reverse("assessments:follow", args=[participant.token])).content.decode()
    assert "has not started yet" in html


def test_follow_with_another_rounds_link_shows_that_round_only(
    anonymous, workshop_round, other_round_participant
):
    # Factory titles repeat every ten rounds; a unique one keeps the check meaningful.
    workshop_round.title = "Halton spring workshop"
    workshop_round.save(update_fields=["title"])
    response = anonymous.get(reverse("assessments:follow", args=[other_round_participant.token]))
    assert response.status_code == 200
    assert response.context["assessment"] == other_round_participant.assessment
    assert workshop_round.title not in response.content.decode()


def test_follow_with_a_revoked_link_is_gone(anonymous, participant):
    old = participant.token
    participant.issue_token()
    assert anonymous.get(reverse("assessments:follow", args=[old])).status_code == 410


def test_follow_with_an_unknown_link_is_not_found(anonymous, workshop_round):
    assert anonymous.get(reverse("assessments:follow", args=["nope" * 10])).status_code == 404


@pytest.mark.parametrize("persona", ["facilitator", "evaluator", "admin", "other_facilitator"])
def test_follow_needs_the_link_not_an_account(request, persona, workshop_round):
    client = request.getfixturevalue(persona)
    assert client.get(reverse("assessments:follow", args=["x" * 43])).status_code == 404


def test_room_link_shows_the_current_dimension_read_only(anonymous, workshop_round):
    token = workshop_round.issue_room_token()
    workshop_round.spread_revealed = True
    workshop_round.save()
    response = anonymous.get(reverse("assessments:room", args=[token]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Vision" in html and "Ratings for Vision" in html
    assert "Named Person" not in html
    assert "<form" not in html.split('id="live"')[1]


def test_an_unknown_or_replaced_room_link_is_not_found(anonymous, workshop_round):
    old = workshop_round.issue_room_token()
    workshop_round.issue_room_token()
    assert anonymous.get(reverse("assessments:room", args=[old])).status_code == 404
    assert anonymous.get(reverse("assessments:room", args=["x" * 43])).status_code == 404


def test_rounds_without_a_room_link_cannot_be_reached_with_an_empty_token(
    anonymous, workshop_round
):
    assert not workshop_round.has_room_link and workshop_round.room_token == ""
    assert anonymous.get("/room/%20/").status_code == 404
    # Nor with a derived link of version 0 (no room link yet), were one ever made.
    from assessments import link_tokens

    unissued = link_tokens.make_token(link_tokens.ROOM, workshop_round.code, 0)
    assert anonymous.get(reverse("assessments:room", args=[unissued])).status_code == 404


def test_consensus_score_is_shown_to_the_room_once_agreed(anonymous, workshop_round):
    token = workshop_round.issue_room_token()
    ConsensusScore.objects.create(
        assessment=workshop_round,
        dimension=workshop_round.rubric.dimensions.get(number=1),
        level=2,
        reason="Examples",
    )
    html = anonymous.get(reverse("assessments:room", args=[token])).content.decode()
    assert "The group agreed level 2." in html


def test_polling_from_one_session_is_not_rate_limited_but_new_lookups_are(
    settings, anonymous, client, workshop_round
):
    # A room of phones behind one address polls every 3 s; only fresh lookups are limited.
    settings.SMM_TOKEN_LOOKUPS_PER_MINUTE = 2
    participant = add_participant(workshop_round)
    path = reverse("assessments:follow", args=[participant.token])
    assert [anonymous.get(path).status_code for _ in range(6)] == [200] * 6
    guesses = [client.get(reverse("assessments:follow", args=[f"guess-{n}" * 8])) for n in range(3)]
    # Only failed lookups count: two guesses use up the allowance.
    assert [r.status_code for r in guesses] == [404, 404, 429]


def test_a_revoked_link_stops_working_even_in_a_polling_session(anonymous, workshop_round):
    participant = add_participant(workshop_round)
    path = reverse("assessments:follow", args=[participant.token])
    assert anonymous.get(path).status_code == 200
    participant.issue_token()
    assert anonymous.get(path).status_code == 410


def test_room_polling_is_not_rate_limited_but_guessing_is(
    settings, anonymous, client, workshop_round
):
    settings.SMM_TOKEN_LOOKUPS_PER_MINUTE = 2
    token = workshop_round.issue_room_token()
    path = reverse("assessments:room", args=[token])
    assert [anonymous.get(path).status_code for _ in range(6)] == [200] * 6
    guesses = [client.get(reverse("assessments:room", args=[f"guess-{n}" * 8])) for n in range(3)]
    assert [r.status_code for r in guesses] == [404, 429, 429]


def test_analysis_and_presenter_name_the_dimensions_in_the_pages_language(
    facilitator, workshop_round
):
    from django.conf import settings

    facilitator.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    analysis = facilitator.get(url("analysis", workshop_round)).content.decode()
    assert (
        "1. Gweledigaeth</a>" in analysis and 'id="dimension-1-heading">1. Gweledigaeth' in analysis
    )
    assert "Vision" not in analysis
    presenter = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert ": Gweledigaeth</h1>" in presenter and "Vision" not in presenter


def test_the_presenter_shows_the_levels_in_the_pages_language(facilitator, workshop_round):
    from django.conf import settings

    welsh_2_1 = "Cyfyngedig yw&#x27;r cydweithio ar draws ffiniau."
    english_2_1 = "Collaboration across boundaries is limited."
    presenter = facilitator.get(url("presenter", workshop_round, number=2)).content.decode()
    assert english_2_1 in presenter and welsh_2_1 not in presenter
    facilitator.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    presenter = facilitator.get(url("presenter", workshop_round, number=2)).content.decode()
    assert welsh_2_1 in presenter and english_2_1 not in presenter
