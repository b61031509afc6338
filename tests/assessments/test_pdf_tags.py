"""Every PDF we make is tagged (issue 17): read back with pikepdf, each has its language
(/Lang), says it is tagged (/MarkInfo /Marked), declares PDF/UA-1 in its XMP metadata, and has
a structure tree with headings, table header cells and, where there is a chart, a figure with
alternative text."""

from __future__ import annotations

import io
from collections import Counter

import pikepdf
import pytest
from django.urls import reverse

from assessments.reports import pdf
from tests.factories import ParticipantFactory


def structure(content: bytes) -> tuple[pikepdf.Pdf, Counter[str], list[str]]:
    """The PDF, how many structure elements of each type it has, and its figures' alt texts."""
    document = pikepdf.open(io.BytesIO(content))
    kinds: Counter[str] = Counter()
    alts: list[str] = []
    pending = [document.Root.StructTreeRoot.get("/K")]
    while pending:
        node = pending.pop()
        if isinstance(node, pikepdf.Array):
            pending.extend(node)
        elif isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                kinds[str(node.S)] += 1
                if node.S == "/Figure":
                    alts.append(str(node.get("/Alt", "")))
            if "/K" in node:
                pending.append(node.K)
    return document, kinds, alts


def assert_tagged(content: bytes, *, lang: str = "en-gb", figures: int = 0) -> Counter[str]:
    document, kinds, alts = structure(content)
    print(f"/Lang {document.Root.get('/Lang')}; elements {dict(kinds)}; alt texts {alts}")
    assert str(document.Root.Lang) == lang
    assert bool(document.Root.MarkInfo.Marked) is True
    assert document.open_metadata().get("pdfuaid:part") == "1"
    assert str(document.docinfo.get("/Title", "")).strip()
    assert kinds["/Document"] == 1
    assert kinds["/H1"] + kinds["/H2"] >= 1, "no headings"
    assert len(alts) >= figures
    assert all(alt.strip() for alt in alts), f"a figure without alternative text: {alts}"
    return kinds


def test_round_report(review):
    kinds = assert_tagged(pdf.round_report_pdf(review), figures=1)
    assert kinds["/TH"] >= 9 and kinds["/Table"] >= 1  # the agreed levels' table has headers


def test_evaluator_pack(review, other_community, evaluator_user):
    """The pack is laid out in parts and joined: one structure tree over every page."""
    from tests.assessments.test_reports_data import make_round

    make_round(other_community)
    content = pdf.evaluator_pack_pdf(evaluator_user).content
    kinds = assert_tagged(content, figures=3)  # the heatmap and a radar per community
    assert kinds["/H2"] >= 2


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["blank_sheet", "rubric_handout"])
def test_printable_sheets(facilitator, name):
    response = facilitator.get(reverse(f"assessments:{name}", kwargs={"fmt": "pdf"}))
    assert response.status_code == 200
    assert_tagged(response.content)


def test_agreed_sheet(facilitator, baseline):
    url = reverse("assessments:agreed_sheet", kwargs={"code": baseline.code, "fmt": "pdf"})
    assert_tagged(facilitator.get(url).content)


def test_own_sheet_and_slips(facilitator, anonymous, community):
    from tests.assessments.test_reports_data import make_round

    assessment = make_round(community, finalise=False, participants=0)
    participant = ParticipantFactory(assessment=assessment)
    token = participant.issue_token()
    assert_tagged(
        anonymous.get(reverse("assessments:my_sheet_pdf", kwargs={"token": token})).content
    )
    slips = facilitator.get(reverse("assessments:round_slips", kwargs={"code": assessment.code}))
    assert_tagged(slips.content)


def test_an_untagged_pdf_fails_the_check(review):
    """The checks above can fail: WeasyPrint's default output has no structure tree."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(
        "assessments/pdf/round_report.html", pdf.report_context(pdf.round_report(review))
    )
    with pytest.raises((AttributeError, KeyError, AssertionError)):
        assert_tagged(HTML(string=html).write_pdf())
