"""The community page: focal issue and history, who is at the table, rounds, network (for
evaluators, counts only)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import FocalIssue
from communities.selectors import network_counts, seats_by_sector
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


@pytest.mark.parametrize("who", ["facilitator", "evaluator", "admin"])
def test_query_count_does_not_grow_with_the_network(request, community, who):
    client = request.getfixturevalue(who)
    _grow(community, 5)
    with CaptureQueriesContext(connection) as small:
        assert client.get(_url(community)).status_code == 200
    _grow(community, 195)
    with CaptureQueriesContext(connection) as large:
        response = client.get(_url(community))
    assert response.status_code == 200
    if who == "evaluator":
        assert response.context["stakeholders"] is None
        assert response.context["network"].total == 200
        # Counts only: no stakeholder's row is read for this page.
        assert not any('"communities_stakeholder"."name"' in q["sql"] for q in large)
    else:
        assert len(response.context["stakeholders"]) == 200
        assert any('"communities_stakeholder"."name"' in q["sql"] for q in large)
    assert len(large) == len(small)


# --- evaluators see the network as counts ------------------------------------------------------


def _people(community, sector: str, n: int, **fields) -> list:  # type: ignore[no-untyped-def]
    org = OrganisationFactory(community=community, sector=sector)
    return [
        StakeholderFactory(community=community, organisation=org, sector=sector, **fields)
        for _ in range(n)
    ]


def test_evaluator_sees_counts_by_sector_group_never_a_name_or_email(evaluator, community):
    people = [
        *_people(community, "health", 2),
        *_people(community, "statutory", 1),
        *_people(community, "vcs", 3),
        *_people(community, "lived-experience", 4),
    ]
    _people(community, "faith", 1, is_active=False)
    html = evaluator.get(_url(community)).content.decode()
    for person in people:
        assert person.name not in html and person.email not in html
    assert "10 active stakeholders." in html
    for group, n in [
        ("Statutory and public services", 3),
        ("Voluntary, community, faith and private", 3),
        ("Lived experience", 4),
    ]:
        assert (
            f'<th scope="row" class="fw-normal">{group}</th><td class="text-end">{n}</td>' in html
        )
    assert "Export network (CSV)" not in html
    assert "Who is in the network is shown only to the community's facilitators" in html


def test_evaluator_sees_no_breakdown_with_a_group_under_three(evaluator, community):
    _people(community, "health", 5)
    _people(community, "lived-experience", 2)
    response = evaluator.get(_url(community))
    html = response.content.decode()
    assert response.context["network"].by_group is None
    assert "7 active stakeholders." in html
    assert "Not broken down by sector" in html
    assert "Lived experience</th>" not in html
    # The per-sector seats and per-organisation head counts are breakdowns too.
    assert 'class="text-end">5</td>' not in html and 'class="text-end">2</td>' not in html


def test_network_counts_suppress_small_groups():
    seats = seats_by_sector({"health": 2, "housing": 1, "vcs": 3}, {})
    assert network_counts(seats).total == 6
    assert network_counts(seats).by_group == {
        "Statutory and public services": 3,
        "Voluntary, community, faith and private": 3,
    }
    assert network_counts(seats_by_sector({"health": 3, "faith": 2}, {})).by_group is None
    # One group alone is the total again, and says who everyone is: not a breakdown.
    assert network_counts(seats_by_sector({"health": 9}, {})).by_group is None
    assert network_counts(seats_by_sector({}, {})) == network_counts([])


@pytest.mark.parametrize("who", ["facilitator", "admin"])
def test_facilitator_and_admin_still_see_the_network(request, community, who):
    (person,) = _people(community, "health", 1, email="only.one@example.org")
    html = request.getfixturevalue(who).get(_url(community)).content.decode()
    assert person.name in html and "only.one@example.org" in html
    assert "Export network (CSV)" in html


@pytest.mark.parametrize(
    ("who", "status"), [("facilitator", 200), ("admin", 200), ("evaluator", 403)]
)
def test_network_export_is_refused_to_evaluators(request, community, who, status):
    _people(community, "health", 1, name="Dora Export")
    url = reverse("communities:export_csv", kwargs={"slug": community.slug})
    response = request.getfixturevalue(who).get(url)
    assert response.status_code == status
    assert (b"Dora Export" in response.content) == (status == 200)


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
