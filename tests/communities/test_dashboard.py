"""The dashboard: one line per community with its latest round, 50 to a page, cached per user."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.views import DASHBOARD_PAGE_SIZE
from tests.factories import AssessmentFactory, CommunityFactory, FocalIssueFactory

pytestmark = pytest.mark.django_db
URL = reverse("communities:dashboard")


def _queries(client, url: str = URL) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _communities(n: int) -> None:
    for _ in range(n):
        place = CommunityFactory()
        issue = FocalIssueFactory(community=place)
        AssessmentFactory(community=place, focal_issue=issue)


def test_a_line_shows_focal_issue_latest_round_its_status_and_round_count(facilitator, community):
    AssessmentFactory(
        community=community, focal_issue=community.current_focal_issue, title="2022 baseline"
    )
    latest = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        title="2024 review",
        status="draft",
    )
    html = facilitator.get(URL).content.decode()
    assert "Homelessness and housing" in html
    assert f'href="{latest.get_absolute_url()}">2024 review</a>' in html
    assert "Draft" in html
    assert "2022 baseline" not in html  # only the latest round
    assert 'data-label="Rounds" class="text-md-end">2<' in html
    assert "England · Halton Council" in html


def test_a_community_without_rounds_or_focal_issue_says_so(evaluator):
    CommunityFactory(name="Newtown")
    html = evaluator.get(URL).content.decode()
    assert "Newtown" in html
    assert "none chosen yet" in html
    assert "No rounds yet." in html


def test_evaluator_pages_through_every_community(evaluator):
    _communities(DASHBOARD_PAGE_SIZE + 5)
    first = evaluator.get(URL).content.decode()
    assert first.count('class="cell-title"') == DASHBOARD_PAGE_SIZE
    assert f"Communities 1–{DASHBOARD_PAGE_SIZE} of {DASHBOARD_PAGE_SIZE + 5}" in first
    assert 'aria-current="page">1</span>' in first
    assert 'href="?page=2"' in first
    second = evaluator.get(URL + "?page=2").content.decode()
    assert second.count('class="cell-title"') == 5
    # Beyond the last page, or not a number: the nearest real page, never an error.
    assert evaluator.get(URL + "?page=99").content.decode().count('class="cell-title"') == 5
    assert evaluator.get(URL + "?page=x").content.decode().count('class="cell-title"') == 50


def test_search_finds_communities_by_name(evaluator, community, other_community):
    _communities(DASHBOARD_PAGE_SIZE)
    html = evaluator.get(URL, {"q": "halt"}).content.decode()
    assert ">Halton</a>" in html and ">Bolsover</a>" not in html
    assert 'value="halt"' in html
    html = evaluator.get(URL, {"q": "<b>Nowhere</b>"}).content.decode()
    assert "No community's name contains “&lt;b&gt;Nowhere&lt;/b&gt;”." in html


def test_a_facilitator_with_few_communities_gets_no_search_or_pages(facilitator, community):
    html = facilitator.get(URL).content.decode()
    assert 'role="search"' not in html and "pagination" not in html


@pytest.mark.parametrize("who", ["facilitator", "evaluator"])
def test_query_count_does_not_grow_with_communities_and_a_cached_page_needs_only_the_user(
    request, who, community
):
    client = request.getfixturevalue(who)
    AssessmentFactory(community=community, focal_issue=community.current_focal_issue)
    small = _queries(client)
    _communities(60)
    assert _queries(client) == small


def test_a_new_round_shows_at_once(facilitator, community):
    assert "No rounds yet." in facilitator.get(URL).content.decode()
    response = facilitator.post(
        reverse("assessments:round_create", kwargs={"slug": community.slug}),
        {"title": "2025 review", "kind": "review", "deadline": "", "workshop_date": ""},
    )
    assert response.status_code == 303
    assert "2025 review" in facilitator.get(URL).content.decode()


def test_users_never_get_each_others_list(
    facilitator, other_facilitator, evaluator, community, other_community
):
    evaluator_html = evaluator.get(URL).content.decode()
    assert ">Halton</a>" in evaluator_html and ">Bolsover</a>" in evaluator_html
    mine = facilitator.get(URL).content.decode()
    theirs = other_facilitator.get(URL).content.decode()
    assert ">Halton</a>" in mine and ">Bolsover</a>" not in mine
    assert ">Bolsover</a>" in theirs and ">Halton</a>" not in theirs


@pytest.mark.parametrize("query", ["\x00", "a\x00b", "two words", "é" * 500, "<b>x</b>"])
@pytest.mark.parametrize("page", ["²", "9" * 50, "-1", "x"])
def test_strange_search_or_page_is_not_an_error(evaluator, community, query, page):
    response = evaluator.get(reverse("communities:dashboard"), {"q": query, "page": page})
    assert response.status_code == 200
    assert "<b>x</b>" not in response.content.decode()
