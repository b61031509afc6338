"""PDFs in Welsh, English or both side by side (?lang=cy|en|both, issue 17): read back with
pikepdf (/Lang, a tagged structure tree) and pdfplumber (the rubric's Welsh words on the page)."""

from __future__ import annotations

import io
import re

import pdfplumber
import pikepdf
import pytest
from django.urls import reverse

from communities.models import Nation
from tests.assessments.test_pdf_tags import assert_tagged, structure
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def _sides(content: bytes) -> list[tuple[str, str | None]]:
    """The bilingual layout's sides in the structure tree, (tag, /Lang), one per page each:
    the kids of every element that has an /Art among its kids.

    The Welsh side is a /Div in the document's language (cy); the English side an /Art that
    says /Lang en-GB (pdf._english_side_lang: WeasyPrint 70 writes no element's own lang)."""
    document = pikepdf.open(io.BytesIO(content))

    def kids(node: pikepdf.Object) -> list[pikepdf.Object]:
        k = node.get("/K") if isinstance(node, pikepdf.Dictionary) else node
        items = list(k) if isinstance(k, pikepdf.Array) else [k]
        return [item for item in items if isinstance(item, pikepdf.Dictionary) and "/S" in item]

    sides, pending = [], kids(document.Root.StructTreeRoot)
    while pending:
        node = pending.pop(0)
        children = kids(node)
        if any(child.S == "/Art" for child in children):
            sides += [(str(c.S), str(c.Lang) if "/Lang" in c else None) for c in children]
        else:
            pending += children
    return sides


def _element_langs(content: bytes) -> list[str]:
    """Every structure element's own /Lang."""
    document = pikepdf.open(io.BytesIO(content))
    langs, pending = [], [document.Root.StructTreeRoot.get("/K")]
    while pending:
        node = pending.pop()
        if isinstance(node, pikepdf.Array):
            pending.extend(node)
        elif isinstance(node, pikepdf.Dictionary):
            if "/Lang" in node and "/S" in node:
                langs.append(str(node.Lang))
            if "/K" in node:
                pending.append(node.K)
    return langs


def _flat(text: str) -> str:
    # Hyphenation may split a word over two lines: compare without breaks and hyphens.
    for hyphen in ("-", "\u2010", "\u00ad"):
        text = text.replace(f"{hyphen}\n", "")
    return text.replace("\n", " ")


def _cell_text(content: bytes) -> str:
    """The text of every table cell, cell by cell: a name in a narrow cell is over several lines,
    which the page's text interleaves with the next cells'."""
    with pdfplumber.open(io.BytesIO(content)) as document:
        cells = [
            _flat(cell)
            for page in document.pages
            for table in page.extract_tables()
            for row in table
            for cell in row
            if cell
        ]
    return "\n".join(cells)


@pytest.fixture
def welsh_community(community):  # type: ignore[no-untyped-def]
    community.nation = Nation.WALES
    community.save(update_fields=["nation"])
    return community


def test_the_rubric_handout_in_welsh_is_lang_cy_with_the_welsh_rubric(facilitator):
    url = reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"})
    content = facilitator.get(url, {"lang": "cy"}).content
    assert_tagged(content, lang="cy")
    text = _flat(_text(content))
    assert "Gweledigaeth" in text and "Cyfieithiad drafft" in text
    assert "Collaboration" not in text


def test_the_rubric_handout_in_english_from_a_welsh_interface(facilitator, facilitator_user):
    facilitator_user.language = "cy"
    facilitator_user.save(update_fields=["language"])
    url = reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"})
    content = facilitator.get(url, {"lang": "en"}).content
    assert_tagged(content, lang="en-gb")
    text = _flat(_text(content))
    assert "Collaboration" in text and "Cydweithio" not in text


def test_the_bilingual_blank_sheet_has_each_side_in_its_language(facilitator, welsh_community):
    url = reverse("assessments:blank_sheet", kwargs={"fmt": "pdf"})
    response = facilitator.get(url, {"community": welsh_community.slug, "lang": "both"})
    content = response.content
    kinds = assert_tagged(content, lang="cy")
    assert kinds["/TH"] >= 18  # both sides' tables keep their header cells
    sides = _sides(content)
    assert ("/Div", None) in sides and ("/Art", "en-GB") in sides
    assert set(sides) == {("/Div", None), ("/Art", "en-GB")}
    assert set(_element_langs(content)) == {"en-GB"}  # the English side's, and nothing else
    text = _flat(_text(content))
    assert "GWELEDIGAETH" in text and "VISION" in text
    assert "Taflen sgorio" in text and "Score sheet" in text
    document, _kinds, _alts = structure(content)
    assert " / " in str(document.docinfo.Title)


def test_the_persons_own_sheet_in_welsh_and_bilingual(anonymous, welsh_community):
    from tests.assessments.test_reports_data import make_round

    assessment = make_round(welsh_community, finalise=False, participants=0)
    token = ParticipantFactory(assessment=assessment).issue_token()
    url = reverse("assessments:my_sheet_pdf", kwargs={"token": token})
    welsh = anonymous.get(url, {"lang": "cy"}).content
    assert_tagged(welsh, lang="cy")
    assert _element_langs(welsh) == []  # all of it in the document's language
    assert "CYDWEITHIO" in _flat(_text(welsh))
    both = _flat(_text(anonymous.get(url, {"lang": "both"}).content))
    assert "CYLLID" in both and "FINANCE" in both
    # The sheet page links the three, for a community in Wales.
    html = anonymous.get(reverse("assessments:sheet", kwargs={"token": token})).content.decode()
    assert f"{url}?lang=both" in html and f"{url}?lang=cy" in html


def test_the_round_report_in_welsh_and_bilingual(facilitator, community, baseline):
    url = reverse("assessments:report_pdf", kwargs={"code": baseline.code})
    welsh = facilitator.get(url, {"lang": "cy"})
    assert welsh.status_code == 200 and "-cy.pdf" in welsh["Content-Disposition"]
    assert_tagged(welsh.content, lang="cy", figures=1)
    assert "Gweledigaeth" in _flat(_text(welsh.content))
    both = facilitator.get(url, {"lang": "both"}).content
    assert_tagged(both, lang="cy", figures=2)  # each side's radar chart with its alt text
    assert set(_sides(both)) == {("/Div", None), ("/Art", "en-GB")}
    assert "Gweledigaeth" in _flat(_text(both)) and "Vision" in _flat(_text(both))
    # The English one is still the one stored before, untouched.
    english = facilitator.get(url)
    assert_tagged(english.content, figures=1)
    assert "Gweledigaeth" not in _flat(_text(english.content))


def test_an_unknown_lang_is_the_pages_own_language(facilitator):
    url = reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"})
    assert_tagged(facilitator.get(url, {"lang": "fr"}).content, lang="en-gb")


def test_a_welsh_communitys_round_page_links_its_pdfs_in_each_language(
    facilitator, welsh_community, baseline, tmp_path
):
    from tests.test_html_valid import _errors, _vnu_command

    page = facilitator.get(baseline.get_absolute_url()).content.decode()
    assert _errors(_vnu_command(), {"welsh round page": page}, tmp_path) == []
    report = reverse("assessments:report_pdf", kwargs={"code": baseline.code})
    handout = reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"})
    for lang in ("cy", "en", "both"):
        assert f"{report}?lang={lang}" in page and f"{handout}?lang={lang}" in page
        assert f"community={welsh_community.slug}&amp;lang={lang}" in page


def test_an_english_communitys_round_page_has_no_language_links(facilitator, baseline):
    page = facilitator.get(baseline.get_absolute_url()).content.decode()
    assert "?lang=" not in page and "lang=both" not in page


def test_every_pdf_in_welsh_names_the_dimensions_in_welsh(
    facilitator, anonymous, welsh_community, review, evaluator_user
):
    """The handout, the blank, own and agreed sheets, the round report (with its 'since last
    time' part) and the evaluator pack, in Welsh: the nine Welsh dimension names, and no English
    one but in the reasons people wrote (the factories' 'Reason for Vision')."""
    from django.utils import translation

    from assessments.models import Dimension, Rubric
    from assessments.reports import pdf
    from assessments.rubric_texts import rubric_texts
    from tests.assessments.test_reports_data import make_round

    rubric = Rubric.current()
    dimensions = list(Dimension.objects.filter(rubric=rubric))
    texts = rubric_texts(rubric.pk, language="cy")

    def norm(text: str) -> str:
        return " ".join(text.split()).lower().replace("/ ", "/")

    # Pages name a dimension, sheets give its sheet label (in capitals).
    welsh_names = [{norm(texts.name(d)), norm(texts.sheet_label(d))} for d in dimensions]
    english = {norm(n) for d in dimensions for n in (d.name, d.sheet_label)}

    assessment = make_round(welsh_community, finalise=False, participants=0, title="Draft")
    token = ParticipantFactory(assessment=assessment).issue_token()
    pdfs = {
        "handout": facilitator.get(
            reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"}), {"lang": "cy"}
        ).content,
        "blank": facilitator.get(
            reverse("assessments:blank_sheet", kwargs={"fmt": "pdf"}), {"lang": "cy"}
        ).content,
        "own": anonymous.get(
            reverse("assessments:my_sheet_pdf", kwargs={"token": token}), {"lang": "cy"}
        ).content,
        "agreed": facilitator.get(
            reverse("assessments:agreed_sheet", kwargs={"code": review.code, "fmt": "pdf"}),
            {"lang": "cy"},
        ).content,
        "report": pdf.round_report_pdf(review, language="cy"),
    }
    with translation.override("cy"):
        pdfs["pack"] = pdf.evaluator_pack_pdf(evaluator_user).content
    for name, content in pdfs.items():
        text = norm(f"{_flat(_text(content))} {_cell_text(content)}")
        # Without spaces: pdfplumber drops some between small letters, and a name in a cell
        # beside others may be read interleaved with them.
        squashed = re.sub(r"\s+", "", text)
        for either in welsh_names:
            assert any(re.sub(r"\s+", "", n) in squashed for n in either), (name, either)
        for english_name in english:
            for found in re.finditer(re.escape(english_name), text):
                before = text[max(0, found.start() - 4) : found.start()]
                assert before in ("for ", " on "), (
                    name,
                    english_name,
                    text[found.start() - 40 :][:80],
                )


def test_the_bilingual_handout_has_the_english_after_the_welsh(facilitator):
    """Stacked, not side by side: the landscape table is too wide to halve."""
    url = reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"})
    content = facilitator.get(url, {"lang": "both"}).content
    with pdfplumber.open(io.BytesIO(content)) as document:
        pages = [page.extract_text() or "" for page in document.pages]
    assert "Y Model Aeddfedrwydd System" in pages[0] and "Collaboration" not in pages[0]
    english = next(i for i, page in enumerate(pages) if "The System Maturity Model" in page)
    assert english > 1
    assert all("Gweledigaeth" not in page for page in pages[english:])
    # The English side's element, /Lang en-GB, on each of its pages and none of the Welsh ones.
    sides = _sides(content)
    assert sides == [("/Art", "en-GB")] * (len(pages) - english)


def test_an_approval_written_from_anywhere_shows_in_the_next_pdf(facilitator, admin_user_):
    """The rubric texts a process keeps for reports are keyed by the approval read anew, so an
    approval set with update() (another process's admin, a shell) drops the draft label."""
    from django.utils import timezone

    from assessments.rubric_texts import RubricTranslation

    url = reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"})
    assert "Cyfieithiad drafft" in _flat(_text(facilitator.get(url, {"lang": "cy"}).content))
    RubricTranslation.objects.filter(language="cy", kind="official").update(
        approved_at=timezone.now(), approved_by=admin_user_
    )
    assert "Cyfieithiad drafft" not in _flat(_text(facilitator.get(url, {"lang": "cy"}).content))
