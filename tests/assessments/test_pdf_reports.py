"""PDFs read back with pypdf: content, metadata, vector chart, caching, access."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from assessments.models import AuditEvent, Dimension
from assessments.reports import pdf
from tests.assessments.test_reports_data import (
    BASELINE_LEVELS,
    make_round,
    reason_for,
)

NAMES = [
    "Vision",
    "Collaboration",
    "Accountability",
    "Involvement",
    "Planning/ Strategy/ Programming",
    "Finance",
    "Service delivery",
    "Workforce development",
    "Learning, evaluation and continuous improvement",
]


def read(content: bytes) -> PdfReader:
    assert content.startswith(b"%PDF")
    return PdfReader(io.BytesIO(content))


def text_of(reader: PdfReader) -> str:
    # Collapse whitespace: extraction breaks lines wherever the layout wrapped.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _xobjects(resources) -> list:
    found = []
    xobjects = resources.get("/XObject") if resources else None
    if xobjects:
        for ref in xobjects.values():
            obj = ref.get_object()
            found.append(obj)
            found.extend(_xobjects(obj.get("/Resources")))
    return found


def images_and_forms(reader: PdfReader) -> tuple[int, int]:
    images = forms = 0
    for page in reader.pages:
        for obj in _xobjects(page.get("/Resources")):
            subtype = obj.get("/Subtype")
            images += subtype == "/Image"
            forms += subtype == "/Form"
    return images, forms


def path_operators(reader: PdfReader) -> int:
    """Line-to operators in page content and form XObjects: vector drawing."""
    count = 0
    for page in reader.pages[1:3]:
        contents = page.get_contents()
        streams = [contents.get_data()] if contents is not None else []
        streams += [
            obj.get_data()
            for obj in _xobjects(page.get("/Resources"))
            if obj.get("/Subtype") == "/Form"
        ]
        for data in streams:
            count += data.count(b" l\n") + data.count(b" l ")
    return count


@pytest.fixture
def report_pdf(baseline) -> bytes:
    content = pdf.round_report_pdf(baseline)
    return content


def test_round_report_pdf_has_community_dimensions_levels_and_reasons(report_pdf, baseline):
    text = text_of(read(report_pdf))
    assert "Halton" in text
    assert "Homelessness and housing" in text
    assert "2022 baseline" in text
    for name in NAMES:
        assert name in text, name
        assert reason_for(name) in text, name
    for dim in Dimension.objects.filter(rubric=baseline.rubric):
        level = BASELINE_LEVELS[dim.number - 1]
        assert f"{dim.number}. {dim.name}" in text
        assert dim.levels.get(level=level).text[:60] in text


def test_round_report_pdf_has_priorities_participation_and_no_names(report_pdf, baseline):
    text = text_of(read(report_pdf))
    assert "Next step for Involvement" in text
    assert "3 of 3 invited partners" in text
    for participant in baseline.participants.select_related("stakeholder"):
        assert participant.stakeholder.name not in text
    assert "private reason" not in text


def test_round_report_pdf_metadata_title_and_language(report_pdf):
    reader = read(report_pdf)
    assert reader.metadata.title == "System Maturity Model: Halton, 2022 baseline"
    assert reader.trailer["/Root"]["/Lang"] == "en-gb"


def test_round_report_pdf_is_a4_with_page_numbers(report_pdf):
    reader = read(report_pdf)
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)
    assert len(reader.pages) >= 10  # cover, summary, one page per dimension
    second = reader.pages[1].extract_text()
    assert f"2 / {len(reader.pages)}" in second
    assert "Halton · 2022 baseline" in second  # running header


def test_round_report_chart_is_vector_not_raster(report_pdf):
    reader = read(report_pdf)
    images, _forms = images_and_forms(reader)
    assert images == 0
    assert path_operators(reader) > 50
    # Axis labels of the SVG radar are real text.
    assert "Range of private scores" in reader.pages[1].extract_text()


def test_review_report_compares_with_previous(review):
    text = text_of(read(pdf.round_report_pdf(review)))
    assert "Compared with 2022 baseline" in text
    assert "Vision: 2 → 3" in text


def test_stored_report_is_rendered_once_and_rekeyed_on_reopen(baseline, monkeypatch):
    name, rendered = pdf.stored_round_report(baseline)
    assert rendered and default_storage.exists(name)
    assert name.endswith("/smm-halton-2022-baseline.pdf")
    calls = []
    monkeypatch.setattr(
        pdf, "round_report_pdf", lambda a, **_language: calls.append(a) or b"%PDF-new"
    )
    assert pdf.stored_round_report(baseline) == (name, False)
    assert calls == []
    baseline.reopen()
    baseline.finalise()
    new_name, rendered = pdf.stored_round_report(baseline)
    assert rendered and new_name != name
    assert not default_storage.exists(name)  # the stale report is gone


# Views ------------------------------------------------------------------------------------------


def url(assessment) -> str:
    return reverse("assessments:report_pdf", kwargs={"code": assessment.code})


@pytest.mark.parametrize("persona", ["facilitator", "evaluator", "admin"])
def test_report_pdf_download_for_readers(request, persona, baseline):
    client = request.getfixturevalue(persona)
    response = client.get(url(baseline))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="smm-halton-2022-baseline.pdf"' in response["Content-Disposition"]
    text = text_of(read(response.content))
    assert "Halton" in text
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.EXPORTED, assessment=baseline).exists()


def test_report_pdf_other_facilitator_404(other_facilitator, baseline):
    assert other_facilitator.get(url(baseline)).status_code == 404


def test_report_pdf_anonymous_redirected_to_login(anonymous, baseline):
    response = anonymous.get(url(baseline))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_report_pdf_stakeholder_link_gives_no_access(anonymous, baseline):
    participant = baseline.participants.first()
    anonymous.get(f"/s/{participant.stakeholder_id}/")  # no session is created by links
    assert anonymous.get(url(baseline)).status_code == 302


def test_report_pdf_not_finalised_is_404_even_for_facilitator(facilitator, community):
    draft = make_round(community, finalise=False)
    assert facilitator.get(url(draft)).status_code == 404


def test_report_pdf_served_from_storage_second_time(evaluator, baseline, monkeypatch):
    assert evaluator.get(url(baseline)).status_code == 200
    monkeypatch.setattr(
        pdf, "round_report_pdf", lambda a, **_language: pytest.fail("rendered again")
    )
    response = evaluator.get(url(baseline))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_report_pdf_not_sent_again_to_a_browser_that_has_it(evaluator, baseline):
    first = evaluator.get(url(baseline))
    etag = first["ETag"]
    again = evaluator.get(url(baseline), headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    baseline.reopen()
    baseline.finalise()
    changed = evaluator.get(url(baseline), headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.content.startswith(b"%PDF")
    assert changed["ETag"] != etag


# The evaluator pack (a background job since it covers every community) is tested in
# tests/assessments/test_packs.py.
