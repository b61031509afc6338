"""The community page: focal issue and history, who is at the table, rounds, network."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import FocalIssue
from communities.selectors import seats_by_sector
from tests.factories import (
    AssessmentFactory,
    FocalIssueFactory,
    OrganisationFactory,
    ParticipantFactory,
    StakeholderFactory,
)


def _url(community) -> str:
    return reverse("communities:detail", kwargs={"slug": community.slug})


def test_page_shows_current_focal_issue_and_history_with_reasons(facilitator, community):
    old = community.current_focal_issue
    old.status = FocalIssue.Status.RESET
    old.ended_on = datetime.date(2022, 3, 1)
    old.change_reason = "Too broad to act on together"
    old.save()
    FocalIssueFactory(
        community=community, title="Young people leaving care", started_on=datetime.date(2022, 3, 1)
    )
    html = facilitator.get(_url(community)).content.decode()
    assert "Young people leaving care" in html
    assert "Homelessness and housing" in html
    assert "Too broad to act on together" in html
    assert "Reset" in html


def test_page_lists_rounds_with_kind_status_and_deadline(evaluator, community):
    AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        title="2022 baseline",
        deadline=datetime.date(2022, 5, 20),
    )
    html = evaluator.get(_url(community)).content.decode()
    assert "2022 baseline" in html
    assert "Baseline" in html
    assert "Collecting private scores" in html
    assert "20 May 2022" in html
    assert "{# change-over-time #}" not in html  # the marker is a template comment


def test_missing_voices_are_shown_as_gaps(facilitator, community):
    StakeholderFactory(
        community=community, organisation=OrganisationFactory(community=community, sector="health")
    )
    response = facilitator.get(_url(community))
    html = response.content.decode()
    assert "Missing voices" in html
    assert "Lived-experience group" in html
    gaps = {seat.sector for seat in response.context["gaps"]}
    assert "lived-experience" in gaps
    assert "small-charity" in gaps
    assert "health" not in gaps
    assert "private" not in gaps  # not an expected voice, so never a gap


def test_inactive_people_do_not_fill_a_seat(facilitator, community):
    org = OrganisationFactory(community=community, sector="lived-experience")
    StakeholderFactory(community=community, organisation=org, is_active=False)
    response = facilitator.get(_url(community))
    assert "lived-experience" in {seat.sector for seat in response.context["gaps"]}


def test_seats_by_sector_counts_and_flags_gaps():
    seats = {s.sector: s for s in seats_by_sector({"health": 3}, {"health": 1, "vcs": 2})}
    assert seats["health"].stakeholders == 3
    assert seats["health"].organisations == 1
    assert not seats["health"].is_gap
    assert seats["vcs"].is_gap  # organisations without people do not give a voice
    assert not seats["faith"].is_gap


def test_network_shows_rounds_taken_and_inactive_badge(facilitator, community, assessment):
    person = StakeholderFactory(community=community, name="Bea Jones")
    ParticipantFactory(assessment=assessment, stakeholder=person)
    StakeholderFactory(community=community, name="Carl Old", is_active=False)
    response = facilitator.get(_url(community))
    network = {p.name: p for p in response.context["stakeholders"]}
    assert network["Bea Jones"].rounds_taken == 1
    assert "inactive" in response.content.decode()


def _main(response) -> bytes:
    """The page without its layout (whose CSRF token differs from one request to the next)."""
    return response.content.split(b'<main id="main"', 1)[1]


def _grow(community, n: int) -> None:
    orgs = [
        OrganisationFactory(community=community, sector=s) for s in ("health", "vcs", "housing")
    ]
    for i in range(n):
        StakeholderFactory(community=community, organisation=orgs[i % 3])
    AssessmentFactory(community=community, focal_issue=community.current_focal_issue)


@pytest.mark.parametrize("who", ["facilitator", "evaluator"])
def test_query_count_does_not_grow_with_the_network(request, community, who):
    client = request.getfixturevalue(who)
    _grow(community, 5)
    with CaptureQueriesContext(connection) as small:
        assert client.get(_url(community)).status_code == 200
    _grow(community, 195)
    with CaptureQueriesContext(connection) as large:
        response = client.get(_url(community))
    assert response.status_code == 200
    assert len(response.context["stakeholders"]) == 200
    assert len(large) == len(small)


def test_export_query_count_does_not_grow_with_the_network(facilitator, community):
    url = reverse("communities:export_csv", kwargs={"slug": community.slug})
    _grow(community, 5)
    with CaptureQueriesContext(connection) as small:
        facilitator.get(url)
    _grow(community, 195)
    with CaptureQueriesContext(connection) as large:
        response = facilitator.get(url)
    assert response.content.decode("utf-8-sig").count("\r\n") == 201
    assert len(large) == len(small)
