"""Choosing, changing (narrow/reset/replace with a reason) and editing focal issues."""

from __future__ import annotations

import datetime

from django.urls import reverse

from assessments.models import AuditEvent
from communities.models import FocalIssue
from tests.factories import CommunityFactory, MembershipFactory


def _create_url(community) -> str:
    return reverse("communities:focal_issue_create", kwargs={"slug": community.slug})


def test_changing_the_focal_issue_keeps_the_old_one_with_its_reason(facilitator, community):
    old = community.current_focal_issue
    response = facilitator.post(
        _create_url(community),
        {
            "how": "narrowed",
            "reason": "We want to focus on young people",
            "title": "Youth homelessness",
            "area": "homelessness",
            "description": "",
            "started_on": "2023-01-10",
        },
    )
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.status == FocalIssue.Status.NARROWED
    assert old.ended_on == datetime.date(2023, 1, 10)
    assert old.change_reason == "We want to focus on young people"
    current = FocalIssue.objects.get(community=community, status="current")
    assert current.title == "Youth homelessness"
    assert AuditEvent.objects.filter(community=community, verb="community-changed").exists()
    html = facilitator.get(community.get_absolute_url()).content.decode()
    assert "We want to focus on young people" in html


def test_a_change_without_a_reason_is_refused_and_keeps_what_was_typed(facilitator, community):
    response = facilitator.post(
        _create_url(community),
        {
            "how": "reset",
            "reason": "",
            "title": "Typed title",
            "area": "housing",
            "started_on": "2023-01-10",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Typed title" in html
    assert "This field is required" in html
    assert community.focal_issues.count() == 1


def test_new_issue_cannot_start_before_the_current_one(facilitator, community):
    response = facilitator.post(
        _create_url(community),
        {"how": "replaced", "reason": "r", "title": "T", "area": "a", "started_on": "2001-01-01"},
    )
    assert response.status_code == 400
    assert "cannot start before" in response.content.decode()


def test_first_focal_issue_needs_no_reason(admin):
    community = CommunityFactory(slug="new-place")
    response = admin.post(
        _create_url(community),
        {"title": "Loneliness", "area": "loneliness", "started_on": "2024-02-01"},
    )
    assert response.status_code == 302
    assert community.current_focal_issue.title == "Loneliness"


def test_form_for_a_community_without_focal_issue_has_no_reason_field(facilitator_user, client):
    community = CommunityFactory(slug="blank")
    MembershipFactory(user=facilitator_user, community=community)
    client.force_login(facilitator_user)
    html = client.get(_create_url(community)).content.decode()
    assert 'name="reason"' not in html
    assert 'name="title"' in html


def test_edit_corrects_wording_without_changing_status(facilitator, community):
    issue = community.current_focal_issue
    url = reverse(
        "communities:focal_issue_edit", kwargs={"slug": community.slug, "code": issue.code}
    )
    response = facilitator.post(
        url,
        {
            "title": "Homelessness",
            "area": "homelessness",
            "description": "d",
            "started_on": "2021-06-01",
        },
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.title == "Homelessness"
    assert issue.status == "current"


def test_edit_with_blank_title_is_400(facilitator, community):
    issue = community.current_focal_issue
    url = reverse(
        "communities:focal_issue_edit", kwargs={"slug": community.slug, "code": issue.code}
    )
    response = facilitator.post(url, {"title": "", "area": "kept area", "started_on": "2021-06-01"})
    assert response.status_code == 400
    assert "kept area" in response.content.decode()
