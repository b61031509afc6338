"""The blank score sheet and the rubric handout are a link away from the community page and the
round page, and a finalised round links its report, its PDF and its agreed sheet; every link
answers 200."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment

pytestmark = pytest.mark.django_db


def _links(client: Client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return set(re.findall(r'href="([^"#]+)"', response.content.decode().replace("&amp;", "&")))


def _all_answer_200(client: Client, hrefs: set[str]) -> None:
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200, href
        if href.split("?")[0].endswith(".pdf"):
            assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("who", ["facilitator", "evaluator"])
def test_the_community_page_links_the_blank_sheet_and_the_handout(request, who, community):  # type: ignore[no-untyped-def]
    client = request.getfixturevalue(who)
    hrefs = _links(client, community.get_absolute_url())
    wanted = {
        reverse("assessments:blank_sheet", kwargs={"fmt": "pdf"}) + f"?community={community.slug}",
        reverse("assessments:blank_sheet", kwargs={"fmt": "html"}) + f"?community={community.slug}",
        reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"}),
        reverse("assessments:rubric_handout", kwargs={"fmt": "html"}),
    }
    assert wanted <= hrefs
    _all_answer_200(client, wanted)


def test_the_round_page_links_the_handouts(facilitator, assessment):  # type: ignore[no-untyped-def]
    hrefs = _links(facilitator, assessment.get_absolute_url())
    wanted = {
        reverse("assessments:blank_sheet", kwargs={"fmt": "pdf"})
        + f"?community={assessment.community.slug}",
        reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"}),
    }
    assert wanted <= hrefs
    assert reverse("assessments:report", kwargs={"code": assessment.code}) not in hrefs
    _all_answer_200(facilitator, wanted)


@pytest.mark.parametrize("who", ["facilitator", "evaluator"])
def test_a_finalised_round_links_its_report_pdf_and_agreed_sheet(request, who, assessment):  # type: ignore[no-untyped-def]
    from tests.factories import ConsensusScoreFactory

    for dimension in assessment.rubric.dimensions.all():
        ConsensusScoreFactory(assessment=assessment, dimension=dimension)
    Assessment.objects.filter(pk=assessment.pk).update(
        status=Assessment.Status.FINALISED, finalised_at=timezone.now()
    )
    client = request.getfixturevalue(who)
    hrefs = _links(client, assessment.get_absolute_url())
    code = assessment.code
    wanted = {
        reverse("assessments:report", kwargs={"code": code}),
        reverse("assessments:report_pdf", kwargs={"code": code}),
        reverse("assessments:agreed_sheet", kwargs={"code": code, "fmt": "pdf"}),
    }
    assert wanted <= hrefs
    _all_answer_200(client, wanted)
