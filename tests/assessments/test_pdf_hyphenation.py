"""Welsh hyphenation in PDFs (issue 17): hyph-utf8's Welsh patterns (assessments/reports/
hyphenation/) registered with pyphen, which WeasyPrint hyphenates with. Checked with pyphen
directly, word by word against the patterns, and read back from PDFs with pdfplumber: every
hyphen WeasyPrint puts at a Welsh line's end is at a point the patterns allow."""

from __future__ import annotations

import io
import itertools
import re

import pdfplumber
import pyphen
import pytest
from django.urls import reverse

from assessments.reports import hyphenation, pdf

HYPHEN = "\u2010"  # what WeasyPrint puts at a hyphenated line's end (hyphenate-character)


@pytest.fixture(autouse=True)
def _registered() -> None:
    hyphenation.register()


def welsh() -> pyphen.Pyphen:
    # The Welsh minimums, as the PDFs' CSS passes them (hyphenate-limit-chars: 5 2 3).
    return pyphen.Pyphen(lang="cy", left=hyphenation.LEFT, right=hyphenation.RIGHT)


def test_welsh_is_one_of_pyphens_languages():
    assert pyphen.language_fallback("cy") == "cy"
    assert pyphen.language_fallback("cy-GB") == "cy"  # as WeasyPrint asks for lang="cy-GB"
    assert pyphen.LANGUAGES["cy"] == hyphenation.WELSH_PATTERNS
    assert hyphenation.WELSH_PATTERNS.read_text(encoding="utf-8").startswith(
        "UTF-8\nLEFTHYPHENMIN 2\nRIGHTHYPHENMIN 3\n"
    )


@pytest.mark.parametrize(
    ("word", "hyphenated"),
    [
        # Worked by hand from hyph_cy.dic: '.gweledigaeth.' is matched by gwel5e, el3ed, ed3ig,
        # g1ae, eth1 (and even-numbered ones); the odd maxima fall after gwel, ed, ig and h,
        # the last too near the end (three letters at least after a break).
        ("gweledigaeth", "gwel-ed-ig-aeth"),
        # cyd3 gives cyd-; 3io. would give cydweith-io, but "io" is under three letters.
        ("cydweithio", "cyd-weithio"),
        # han3d gives rhan-, il3i rhanddeil-; r1h2 after the r is under two letters. The
        # digraph dd stays whole (n1d2, ndd2: no odd value inside it).
        ("rhanddeiliaid", "rhan-ddeil-iaid"),
        ("Llanfairpwllgwyngyll", "Llan-fair-pwll-gwyn-gyll"),
        ("cynaliadwyedd", "cyn-al-iad-wy-edd"),
        ("cyfieithiad", "cyf-ieith-iad"),
    ],
)
def test_pyphen_hyphenates_welsh_words_as_the_patterns_say(word, hyphenated):
    assert welsh().inserted(word) == hyphenated


def _lines(content: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(content)) as document:
        return [line for page in document.pages for line in (page.extract_text() or "").split("\n")]


def _breaks(lines: list[str]) -> list[tuple[str, str]]:
    """(the part before a hyphen at a line's end, the start of the next line's first word)."""
    return [
        (line.rsplit(" ", 1)[-1][:-1], following.split(" ", 1)[0])
        for line, following in itertools.pairwise(lines)
        if line.endswith(HYPHEN)
    ]


WORDS = "gweledigaeth cydweithio rhanddeiliaid cynaliadwyedd datblygiad arweinyddiaeth"


@pytest.mark.django_db
def test_a_narrow_welsh_column_breaks_long_words_where_the_patterns_allow():
    """A column a long word does not fit: WeasyPrint breaks each word with a hyphen, at one of
    pyphen's Welsh points."""
    column = '<p style="width: 24mm; font-size: 12pt">' + " ".join([WORDS] * 3) + "</p>"
    html = (
        f'<!doctype html><html lang="cy"><head><title>t</title></head><body>{column}</body></html>'
    )
    breaks = _breaks(_lines(pdf._write(html)))
    print(breaks)
    assert len(breaks) >= 3
    for before, after in breaks:
        word = before + re.sub(r"\W.*", "", after)
        assert word in WORDS.split(), (before, after)
        assert len(before) in welsh().positions(word), f"{before}{HYPHEN}{after} is no Welsh break"


@pytest.mark.django_db
def test_the_welsh_handout_hyphenates_its_cells_at_welsh_points(facilitator):
    """In the Welsh rubric handout's narrow cells, each hyphenated word (read back cell by cell)
    is broken at a point the Welsh patterns allow."""
    url = reverse("assessments:rubric_handout", kwargs={"fmt": "pdf"})
    content = facilitator.get(url, {"lang": "cy"}).content
    with pdfplumber.open(io.BytesIO(content)) as document:
        cells = [
            cell
            for page in document.pages
            for table in page.extract_tables()
            for row in table
            for cell in row
            if cell
        ]
    breaks = [
        (match[1], match[2])
        for cell in cells
        for match in re.finditer(rf"([^\W\d_]+){HYPHEN}\n([^\W\d_]+)", cell)
    ]
    print(len(breaks), breaks)
    assert len(breaks) >= 10
    dictionary = welsh()
    for before, after in breaks:
        assert len(before) in dictionary.positions(before + after), f"{before}{HYPHEN}{after}"
