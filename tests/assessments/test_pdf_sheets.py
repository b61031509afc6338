"""Printable sheets: blank sheet, rubric handout, agreed sheet, a stakeholder's own sheet."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.models import Assessment
from tests.assessments.test_pdf_reports import NAMES, read, text_of
from tests.assessments.test_reports_data import (
    make_round,
    reason_for,
)
from tests.factories import ParticipantFactory, submit_sheet

SHEET_LABELS = [
    "1. VISION",
    "2. COLLABORATION",
    "3. ACCOUNTABILITY",
    "4. INVOLVEMENT",
    "6. FINANCE",
    "7. SERVICE DELIVERY",
    "8. WORKFORCE DEVELOPMENT",
]


def blank(fmt: str) -> str:
    return reverse("assessments:blank_sheet", kwargs={"fmt": fmt})


def handout(fmt: str) -> str:
    return reverse("assessments:rubric_handout", kwargs={"fmt": fmt})


def agreed(assessment: Assessment, fmt: str) -> str:
    return reverse("assessments:agreed_sheet", kwargs={"code": assessment.code, "fmt": fmt})


def my_sheet(token: str) -> str:
    return reverse("assessments:my_sheet_pdf", kwargs={"token": token})


# Blank sheet and rubric handout -------------------------------------------------------------------


# Marked, although the persona fixture brings the database: an unmarked test runs after the
# transactional ones, which empty every table (the migrated rubric too).
@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["facilitator", "evaluator", "admin"])
def test_blank_sheet_pdf_has_the_model_layout(request, persona):
    response = request.getfixturevalue(persona).get(blank("pdf"))
    assert response.status_code == 200
    text = text_of(read(response.content))
    assert "OUR COMMUNITY:" in text
    assert "SCORE" in text
    assert "WHY I/WE SCORED IT THIS WAY (use examples wherever you can)" in text
    for label in SHEET_LABELS:
        assert label in text
    assert len(read(response.content).pages) == 1


def test_blank_sheet_for_a_community_prints_its_name(facilitator, community):
    response = facilitator.get(blank("pdf") + "?community=halton")
    assert "OUR COMMUNITY: Halton" in text_of(read(response.content))


def test_blank_sheet_for_another_community_404(facilitator, other_community):
    assert facilitator.get(blank("pdf") + "?community=bolsover").status_code == 404


def test_blank_sheet_html_print_version(facilitator):
    response = facilitator.get(blank("html"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "OUR COMMUNITY:" in html and "data-print" in html
    assert html.count('class="dim"') == 9


def test_sheets_need_login(anonymous):
    assert anonymous.get(blank("pdf")).status_code == 302
    assert anonymous.get(handout("pdf")).status_code == 302


def test_unknown_sheet_format_404(facilitator):
    assert facilitator.get("/sheets/blank.docx").status_code == 404


def test_rubric_handout_pdf_has_nine_dimensions_by_five_levels(evaluator):
    response = evaluator.get(handout("pdf"))
    assert response.status_code == 200
    reader = read(response.content)
    text = text_of(reader)
    for name in NAMES:
        assert name in text
    assert "There is no clear shared vision for the future, or there are competing visions." in text
    assert (
        "There is a culture of shared reflection and learning for continuous improvement." in text
    )
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert width > height  # landscape


def test_rubric_handout_html(facilitator):
    html = facilitator.get(handout("html")).content.decode()
    assert html.count("<td>") == 45


# Agreed sheet ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["facilitator", "evaluator", "admin"])
def test_agreed_sheet_pdf(request, persona, baseline):
    response = request.getfixturevalue(persona).get(agreed(baseline, "pdf"))
    assert response.status_code == 200
    text = text_of(read(response.content))
    assert "OUR COMMUNITY: Halton" in text
    assert reason_for("Vision") in text
    assert "Dissent: One partner felt it was lower." in text


def test_agreed_sheet_html(facilitator, baseline):
    html = facilitator.get(agreed(baseline, "html")).content.decode()
    assert reason_for("Finance") in html


def test_agreed_sheet_other_facilitator_404(other_facilitator, baseline):
    assert other_facilitator.get(agreed(baseline, "pdf")).status_code == 404


def test_agreed_sheet_unfinalised_hidden_from_evaluator(evaluator, community):
    draft = make_round(community, finalise=False)
    assert evaluator.get(agreed(draft, "pdf")).status_code == 404


def test_agreed_sheet_anonymous_login(anonymous, baseline):
    assert anonymous.get(agreed(baseline, "pdf")).status_code == 302


# A stakeholder's own sheet ----------------------------------------------------------------------


def test_stakeholder_prints_own_sheet(anonymous, participant):
    submit_sheet(
        participant, [3, 2, None, 4, 1, 2, 3, 4, 5], [f"My own reason {n}" for n in range(1, 10)]
    )
    response = anonymous.get(my_sheet(participant.token))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    text = text_of(read(response.content))
    assert participant.stakeholder.name in text
    assert "My own reason 1" in text and "My own reason 9" in text
    assert "not sure" in text
    assert "OUR COMMUNITY: Halton" in text


def test_stakeholder_sheet_shows_only_their_own_scores(anonymous, participant, assessment):
    submit_sheet(participant, [3] * 9, ["mine"] * 9)
    someone_else = ParticipantFactory(assessment=assessment)
    submit_sheet(someone_else, [1] * 9, ["theirs, secret"] * 9)
    text = text_of(read(anonymous.get(my_sheet(participant.token)).content))
    assert "theirs, secret" not in text
    assert someone_else.stakeholder.name not in text


def test_stakeholder_sheet_after_round_closes(anonymous, participant, assessment):
    submit_sheet(participant, [3] * 9, ["kept"] * 9)
    assessment.close_collection()
    assert anonymous.get(my_sheet(participant.token)).status_code == 200


def test_other_round_link_prints_its_own_round_only(anonymous, other_round_participant):
    response = anonymous.get(my_sheet(other_round_participant.token))
    text = text_of(read(response.content))
    assert "Bolsover" in text and "Halton" not in text


def test_revoked_link_410(anonymous, participant):
    old = participant.token
    participant.issue_token()
    response = anonymous.get(my_sheet(old))
    assert response.status_code == 410
    assert "has been revoked" in response.content.decode()


def test_unknown_link_404(anonymous, db):
    assert anonymous.get(my_sheet("not-a-real-token-" + "x" * 30)).status_code == 404


@pytest.mark.parametrize("persona", ["facilitator", "evaluator", "admin"])
def test_staff_cannot_open_a_sheet_without_the_link(request, persona, participant):
    client = request.getfixturevalue(persona)
    assert client.get(my_sheet("guess-" + "y" * 40)).status_code == 404
