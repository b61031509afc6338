"""Easy read in the PDFs (issue 17): the rubric handout and the blank sheet with `?easy=1`, the
person's own sheet when they chose easy read, in English, Welsh and both. The easy-read texts are
read back cell by cell (pdfplumber's tables), beside the official wording and labelled, only when
asked; the PDFs stay tagged and have no text under 9 pt."""

from __future__ import annotations

import io
import re

import pdfplumber
import pytest
from django.urls import reverse

from assessments.models import LevelDescriptor, Rubric
from assessments.rubric_texts import rubric_texts
from communities.models import Nation
from tests.assessments.test_pdf_print import assert_no_small_text
from tests.assessments.test_pdf_tags import assert_tagged
from tests.factories import ParticipantFactory, submit_sheet

pytestmark = pytest.mark.django_db

HANDOUT = reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"})
BLANK = reverse("assessments:blank_sheet", kwargs={"fmt": "pdf"})


def _squash(text: str) -> str:
    """Without spaces, line breaks and hyphens: a text as wrapped and hyphenated in a cell
    compares with the text itself."""
    return re.sub(r"[\s\-\u2010\u00ad]+", "", text)


def _cells(content: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(content)) as document:
        return [
            _squash(cell)
            for page in document.pages
            for table in page.extract_tables()
            for row in table
            for cell in row
            if cell
        ]


def easy_and_official(language: str) -> list[tuple[str, str]]:
    """(easy read, official wording) of every level, in `language`."""
    rubric = Rubric.current()
    texts = rubric_texts(rubric.pk, language=language, easy_read=True)
    pairs = [
        (texts.easy(d), texts.level(d))
        for d in LevelDescriptor.objects.filter(dimension__rubric=rubric)
    ]
    assert len(pairs) == 45 and all(easy for easy, _official in pairs)
    return pairs


def assert_easy_read(content: bytes, language: str, *, label: str) -> None:
    """Every level's easy read and official wording in a cell of their own or the same cell
    (the handout puts both in one), and the 'Easy read' label."""
    cells = _cells(content)
    joined = "\n".join(cells)
    for easy, official in easy_and_official(language):
        assert any(_squash(easy) in cell for cell in cells), easy
        assert any(_squash(official) in cell for cell in cells), official
    assert _squash(label) in joined


def assert_no_easy_read(content: bytes, language: str) -> None:
    joined = "\n".join(_cells(content))
    found = [easy for easy, _official in easy_and_official(language) if _squash(easy) in joined]
    assert found == []


@pytest.fixture
def welsh_community(community):  # type: ignore[no-untyped-def]
    community.nation = Nation.WALES
    community.save(update_fields=["nation"])
    return community


@pytest.mark.parametrize(
    ("lang", "text_language", "label"),
    [("en", "en-gb", "Easy read"), ("cy", "cy", "Hawdd ei ddarllen")],
)
def test_the_handout_with_easy_read(facilitator, lang, text_language, label):
    content = facilitator.get(HANDOUT, {"lang": lang, "easy": "1"}).content
    assert_tagged(content, lang=text_language)
    assert_no_small_text(content)
    assert_easy_read(content, text_language, label=label)
    assert_no_easy_read(facilitator.get(HANDOUT, {"lang": lang}).content, text_language)


def test_the_bilingual_handout_with_easy_read(facilitator):
    content = facilitator.get(HANDOUT, {"lang": "both", "easy": "1"}).content
    assert_tagged(content, lang="cy")
    assert_easy_read(content, "cy", label="Hawdd ei ddarllen")
    assert_easy_read(content, "en-gb", label="Easy read")


@pytest.mark.parametrize(
    ("lang", "text_language", "label"),
    [("en", "en-gb", "Easy read"), ("cy", "cy", "Hawdd ei ddarllen")],
)
def test_the_blank_sheet_with_easy_read(facilitator, lang, text_language, label):
    content = facilitator.get(BLANK, {"lang": lang, "easy": "1"}).content
    kinds = assert_tagged(content, lang=text_language)
    assert kinds["/H3"] == 9 and kinds["/TH"] >= 9 * 3 + 9 * 5  # a table a dimension
    assert_no_small_text(content)
    assert_easy_read(content, text_language, label=label)
    # The sheet itself is first and unchanged: one page, then the easy-read pages.
    plain = facilitator.get(BLANK, {"lang": lang}).content
    assert_no_easy_read(plain, text_language)
    with pdfplumber.open(io.BytesIO(plain)) as document:
        assert len(document.pages) == 1


def test_the_bilingual_blank_sheet_with_easy_read(facilitator, welsh_community):
    content = facilitator.get(
        BLANK, {"lang": "both", "easy": "1", "community": welsh_community.slug}
    ).content
    assert_tagged(content, lang="cy")
    assert_no_small_text(content)
    assert_easy_read(content, "cy", label="Hawdd ei ddarllen")
    assert_easy_read(content, "en-gb", label="Easy read")


def test_the_persons_own_sheet_has_easy_read_when_they_chose_it(anonymous, welsh_community):
    from tests.assessments.test_reports_data import make_round

    assessment = make_round(welsh_community, finalise=False, participants=0)
    chose = ParticipantFactory(assessment=assessment, easy_read=True)
    did_not = ParticipantFactory(assessment=assessment, easy_read=False)
    submit_sheet(chose, [3, 2, None, 4, 1, 5, 3, 2, 4])
    url = reverse("assessments:my_sheet_pdf", kwargs={"token": chose.issue_token()})
    content = anonymous.get(url, {"lang": "cy"}).content
    assert_tagged(content, lang="cy")
    assert_no_small_text(content)
    assert_easy_read(content, "cy", label="Hawdd ei ddarllen")
    # Their scores are marked in the levels: eight scored, one not sure.
    assert "\n".join(_cells(content)).count(_squash("Eich sgôr")) == 8
    assert_easy_read(anonymous.get(url, {"lang": "en"}).content, "en-gb", label="Your score")

    other = reverse("assessments:my_sheet_pdf", kwargs={"token": did_not.issue_token()})
    assert_no_easy_read(anonymous.get(other, {"lang": "cy"}).content, "cy")
    assert_easy_read(anonymous.get(other, {"lang": "cy", "easy": "1"}).content, "cy", label="")
