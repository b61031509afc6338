"""Every communities view for every role: anonymous, member, non-member, evaluator, admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.models import Stakeholder

# The network CSV holds names and emails: facilitators and admins only.
READ_VIEWS = ["detail"]
MEMBER_READ_VIEWS = ["detail", "export_csv"]
WRITE_GET_VIEWS = [
    "focal_issue_create",
    "focal_issue_edit",
    "organisation_create",
    "organisation_edit",
    "organisation_delete",
    "stakeholder_create",
    "stakeholder_edit",
    "stakeholder_delete",
    "import",
]
WRITE_POST_VIEWS = [*WRITE_GET_VIEWS, "import_confirm"]


@pytest.fixture
def url_for(community, stakeholder, organisation):  # type: ignore[no-untyped-def]
    def url(name: str) -> str:
        kwargs = {"slug": community.slug}
        if name.startswith("focal_issue_edit"):
            kwargs["code"] = community.current_focal_issue.code
        elif name.startswith("organisation_") and name != "organisation_create":
            kwargs["code"] = organisation.code
        elif name.startswith("stakeholder_") and name != "stakeholder_create":
            kwargs["code"] = stakeholder.code
        return reverse(f"communities:{name}", kwargs=kwargs)

    return url


@pytest.mark.parametrize("name", MEMBER_READ_VIEWS + WRITE_POST_VIEWS)
def test_anonymous_is_sent_to_log_in(anonymous, url_for, name):
    response = (
        anonymous.post(url_for(name)) if name == "import_confirm" else anonymous.get(url_for(name))
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", MEMBER_READ_VIEWS + WRITE_GET_VIEWS)
def test_facilitator_of_another_community_gets_404(other_facilitator, url_for, name):
    assert other_facilitator.get(url_for(name)).status_code == 404


@pytest.mark.parametrize("name", WRITE_POST_VIEWS)
def test_facilitator_of_another_community_gets_404_on_writes(
    other_facilitator, url_for, name, stakeholder
):
    assert other_facilitator.post(url_for(name), {"name": "x"}).status_code == 404
    assert Stakeholder.objects.filter(pk=stakeholder.pk).exists()


@pytest.mark.parametrize("name", MEMBER_READ_VIEWS + WRITE_GET_VIEWS)
@pytest.mark.parametrize("who", ["facilitator", "admin"])
def test_member_and_admin_can_open_every_page(request, url_for, name, who):
    client = request.getfixturevalue(who)
    assert client.get(url_for(name)).status_code == 200


@pytest.mark.parametrize("name", READ_VIEWS)
def test_evaluator_reads(evaluator, url_for, name):
    assert evaluator.get(url_for(name)).status_code == 200


@pytest.mark.parametrize("name", [*WRITE_GET_VIEWS, "export_csv"])
def test_evaluator_cannot_open_write_pages_or_the_network_csv(evaluator, url_for, name):
    assert evaluator.get(url_for(name)).status_code == 403


@pytest.mark.parametrize("name", WRITE_POST_VIEWS)
def test_evaluator_writes_are_refused(evaluator, url_for, name, stakeholder, community):
    response = evaluator.post(
        url_for(name),
        {
            "name": "Changed",
            "sector": "health",
            "title": "Changed",
            "area": "x",
            "started_on": "2030-01-01",
        },
    )
    assert response.status_code == 403
    stakeholder.refresh_from_db()
    assert stakeholder.name == "Asha Patel"
    assert stakeholder.is_active
    assert community.focal_issues.count() == 1


def test_evaluator_sees_no_edit_controls(evaluator, community, stakeholder):
    html = evaluator.get(
        reverse("communities:detail", kwargs={"slug": community.slug})
    ).content.decode()
    assert "Asha Patel" not in html  # evaluators see the network as counts only
    for name in ["stakeholder_create", "import", "organisation_create", "focal_issue_create"]:
        assert reverse(f"communities:{name}", kwargs={"slug": community.slug}) not in html
    assert "/edit/" not in html
    assert "/delete/" not in html
    assert "Export network" not in html


def test_member_sees_edit_controls(facilitator, community, stakeholder):
    html = facilitator.get(
        reverse("communities:detail", kwargs={"slug": community.slug})
    ).content.decode()
    assert (
        reverse(
            "communities:stakeholder_edit",
            kwargs={"slug": community.slug, "code": stakeholder.code},
        )
        in html
    )
    assert reverse("communities:import", kwargs={"slug": community.slug}) in html


def test_stakeholder_of_another_community_is_404_even_for_a_member(
    facilitator, community, other_community
):
    from tests.factories import StakeholderFactory

    stranger = StakeholderFactory(community=other_community)
    url = reverse(
        "communities:stakeholder_edit", kwargs={"slug": community.slug, "code": stranger.code}
    )
    assert facilitator.get(url).status_code == 404


def test_unknown_community_is_404(facilitator):
    assert (
        facilitator.get(reverse("communities:detail", kwargs={"slug": "nowhere"})).status_code
        == 404
    )
