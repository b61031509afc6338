"""Paper and print (issue 16): no text under 9 pt in any PDF we make (every character's size
read back with pdfplumber, charts included), the blank sheet's lines to write on and not-sure
boxes, the agreed sheet's priorities."""

from __future__ import annotations

import io

import pdfplumber
import pytest
from django.urls import reverse

from assessments.reports import pdf
from tests.assessments.test_pdf_reports import read, text_of
from tests.factories import ParticipantFactory, submit_sheet

SMALLEST_PT = 9.0


def smallest_text(content: bytes) -> tuple[float, str]:
    """The smallest character size in the PDF, and the text around the first such character."""
    smallest, where = 1000.0, ""
    with pdfplumber.open(io.BytesIO(content)) as document:
        for page in document.pages:
            chars = page.chars
            for i, char in enumerate(chars):
                if char["text"].strip() and char["size"] < smallest:
                    smallest = char["size"]
                    where = "".join(c["text"] for c in chars[max(0, i - 10) : i + 20])
    return round(smallest, 2), where


def assert_no_small_text(content: bytes) -> None:
    size, where = smallest_text(content)
    print(f"smallest text {size} pt: {where!r}")
    assert size >= SMALLEST_PT - 0.01, f"{size} pt text: {where!r}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("assessments:blank_sheet", kwargs={"fmt": "pdf"}),
        reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"}),
    ],
)
def test_printable_sheets(facilitator, url):
    response = facilitator.get(url)
    assert response.status_code == 200
    assert_no_small_text(response.content)


def test_agreed_sheet(facilitator, baseline):
    url = reverse("assessments:agreed_sheet", kwargs={"code": baseline.code, "fmt": "pdf"})
    assert_no_small_text(facilitator.get(url).content)


def test_own_sheet(anonymous, community):
    from tests.assessments.test_reports_data import make_round

    assessment = make_round(community, finalise=False, participants=0)
    participant = ParticipantFactory(assessment=assessment)
    token = participant.issue_token()
    submit_sheet(participant, [3, 2, None, 4, 1, 5, 3, 2, 4])
    response = anonymous.get(reverse("assessments:my_sheet_pdf", kwargs={"token": token}))
    assert response.status_code == 200
    assert_no_small_text(response.content)


def test_round_report_with_a_previous_round(review):
    assert_no_small_text(pdf.round_report_pdf(review))


def test_evaluator_pack(review, other_community, evaluator_user):
    from tests.assessments.test_reports_data import make_round

    make_round(other_community)
    assert_no_small_text(pdf.evaluator_pack_pdf(evaluator_user).content)


@pytest.mark.django_db
def test_blank_sheet_has_lines_for_name_organisation_and_date_and_not_sure_boxes(facilitator):
    response = facilitator.get(reverse("assessments:blank_sheet", kwargs={"fmt": "pdf"}))
    reader = read(response.content)
    text = text_of(reader)
    assert "Your name" in text and "Organisation" in text and "Date" in text
    assert text.count("not sure") == 9 + 1  # a box a dimension, and the line saying so
    assert len(reader.pages) == 1
    html = facilitator.get(reverse("assessments:blank_sheet", kwargs={"fmt": "html"}))
    assert html.content.decode().count('class="tick-box"') == 9


def test_agreed_sheet_marks_priorities_and_has_no_instruction_line(facilitator, baseline):
    url = reverse("assessments:agreed_sheet", kwargs={"code": baseline.code, "fmt": "pdf"})
    text = text_of(read(facilitator.get(url).content))
    assert text.count("★ Priority") == 2  # dimensions 4 and 6 of the baseline
    assert "4. INVOLVEMENT ★ Priority" in text
    assert "Score each dimension from" not in text
    assert "not sure" not in text


def test_invitation_slips(facilitator, community):
    from tests.assessments.test_reports_data import make_round

    assessment = make_round(community, finalise=False, participants=0)
    ParticipantFactory.create_batch(3, assessment=assessment)
    response = facilitator.get(reverse("assessments:round_slips", kwargs={"code": assessment.code}))
    assert response.status_code == 200
    assert_no_small_text(response.content)
