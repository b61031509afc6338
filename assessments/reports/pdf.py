"""PDFs with WeasyPrint: A4 pages laid out by templates/assessments/pdf/*.html and
static/css/pdf.css (running header and page numbers come from @page rules there).

The title and language in each template's <html lang> and <title> become the PDF's metadata.
A finalised round never changes, so its report is rendered once and kept in the default storage
under a key made of the round's code and the moment it was finalised: reopening and finalising
again gives a new key, and the old file is removed.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..models import Assessment, LevelDescriptor
from ..rubric_texts import rubric_texts
from . import charts, hyphenation
from .data import DimensionInfo, Overview, RoundReport, round_date, round_report, rubric_dimensions
from .pack import PackEntry

logger = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; that is noise in server logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# Every PDF is tagged (PDF/UA-1): a structure tree of headings, paragraphs, lists and tables with
# their header cells, figures with their alternative text, in reading order, with the document's
# title and language, so that a screen reader reads a report as it reads the page.
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1"}


@cache
def _weasyprint() -> Any:
    """WeasyPrint, imported on first use (not at start-up: it is large), with Welsh added to
    pyphen's languages first. pyphen, which WeasyPrint hyphenates with, has no Welsh patterns;
    hyphenation/ has them. Here rather than in an AppConfig because only PDFs hyphenate, and
    every PDF is laid out through this function."""
    hyphenation.register()
    import weasyprint

    return weasyprint


@cache
def _stylesheet() -> Any:
    path = finders.find("css/pdf.css")
    return _weasyprint().CSS(filename=str(path))


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes. Local files only: nothing is fetched over the network."""
    return _write(_html(template, context))


def _html(template: str, context: dict[str, Any]) -> str:
    """A PDF template rendered in the active language, with its language and time."""
    return render_to_string(
        template,
        {"lang": get_language() or settings.LANGUAGE_CODE, "generated": timezone.now(), **context},
    )


def _write(html: str, finisher: Callable[[Any, Any], None] | None = None) -> bytes:
    document = _weasyprint().HTML(string=html, base_url=str(settings.BASE_DIR))
    return document.write_pdf(  # type: ignore[no-any-return]
        stylesheets=[_stylesheet()], finisher=finisher, **PDF_OPTIONS
    )


# Languages: a PDF in Welsh, English, or both side by side -------------------------------------

# ?lang= on a PDF's address: the interface language to render in, or both.
BOTH = "both"
PDF_LANGUAGES = {"cy": "cy", "en": "en-gb", "both": BOTH}


def pdf_language(value: str | None) -> str | None:
    """The PDF language asked for by `?lang=` (cy, en, both), or None: the page's language."""
    return PDF_LANGUAGES.get(value or "")


def render_pdf_in(
    template: str,
    build: Callable[[], dict[str, Any]],
    *,
    language: str | None,
    stacked: bool = False,
) -> bytes:
    """Render `template` in `language` ("cy", "en-gb", "both" or None for the active one).

    `build` makes the context inside the language, so that every message and the rubric's texts
    (reports.data.rubric_dimensions follows the active language) come out in it. Both: the
    Welsh and the English renderings side by side, each side in an element with its own lang,
    so that WeasyPrint hyphenates each in its language and the tags say which is which;
    `stacked` puts the English after the Welsh instead (a landscape table too wide to halve).
    """
    if language is None:
        return render_pdf(template, build())
    if language != BOTH:
        with translation.override(language):
            return render_pdf(template, build())
    halves = []
    for lang in ("cy", "en-gb"):
        with translation.override(lang):
            halves.append(_html(template, build()))
    return _write(_side_by_side(*halves, stacked=stacked), finisher=_english_side_lang)


def _parts(html: str) -> tuple[str, str, str, str]:
    """(head, title, body class, body) of a rendered templates/assessments/pdf/base.html."""
    head, _sep, rest = html.partition("<body")
    attributes, _sep, rest = rest.partition(">")
    title = head.split("<title>", 1)[1].split("</title>", 1)[0]
    body_class = (
        attributes.split('class="', 1)[1].split('"', 1)[0] if 'class="' in attributes else ""
    )
    return head, title, body_class, rest.rsplit("</body>", 1)[0]


# In a PDF template: what follows this is too wide to halve, and a bilingual PDF puts it after
# the side-by-side part, the Welsh then the English (a sheet's easy-read pages).
STACK_AFTER = "<!-- stacked in a bilingual PDF -->"


def _side_by_side(welsh: str, english: str, *, stacked: bool) -> str:
    head, cy_title, body_class, cy_body = _parts(welsh)
    _head, en_title, _class, en_body = _parts(english)
    head = head.replace(f"<title>{cy_title}</title>", f"<title>{cy_title} / {en_title}</title>")
    cy_body, _sep, cy_after = cy_body.partition(STACK_AFTER)
    en_body, _sep, en_after = en_body.partition(STACK_AFTER)
    layout = "bilingual stacked" if stacked else "bilingual"
    after = (
        f'<div class="bilingual stacked"><div class="side" lang="cy">{cy_after}</div>'
        f'<{ENGLISH_SIDE} class="side" lang="en-GB">{en_after}</{ENGLISH_SIDE}></div>'
        if cy_after or en_after
        else ""
    )
    return (
        f'{head}<body class="{body_class} bilingual-doc">'
        f'<div class="{layout}"><div class="side" lang="cy">{cy_body}</div>'
        f'<{ENGLISH_SIDE} class="side" lang="en-GB">{en_body}</{ENGLISH_SIDE}></div>'
        f"{after}</body></html>"
    )


# The English side of a bilingual PDF is an <article>, which WeasyPrint tags /Art, and no PDF
# template has an <article> of its own: that is how _english_side_lang finds it in the tags.
ENGLISH_SIDE = "article"


def _english_side_lang(_document: Any, pdf: Any) -> None:
    """WeasyPrint's finisher (write_pdf's public hook, given the pydyf PDF just before it is
    written): the English side's structure elements say /Lang en-GB. WeasyPrint 70 writes
    the document's /Lang (cy) but no element's own lang into the tags, and a screen reader
    would read the English in a Welsh voice; a structure element's /Lang covers everything
    under it. One /Art a page the side is on (WeasyPrint builds the tree page by page)."""
    import pydyf

    for item in pdf.objects:
        if isinstance(item, dict) and item.get("Type") == "/StructElem" and item.get("S") == "/Art":
            item["Lang"] = pydyf.String("en-GB")


# The round report ------------------------------------------------------------------------------


def report_context(report: RoundReport) -> dict[str, Any]:
    return {
        "report": report,
        "assessment": report.assessment,
        "radar_svg": mark_safe(charts.radar_svg(report)),  # noqa: S308 - built by svg.py, escaped
    }


def round_report_pdf(assessment: Assessment, *, language: str | None = None) -> bytes:
    def build() -> dict[str, Any]:
        report = round_report(assessment)
        running = f"{assessment.community.name} · {assessment.title}"
        return {**report_context(report), "running_title": running}

    return render_pdf_in("assessments/pdf/round_report.html", build, language=language)


def stored_report_name(assessment: Assessment, language: str | None = None) -> str:
    if assessment.finalised_at is None:
        raise ValueError("only a finalised round has a stored report")
    stamp = assessment.finalised_at.strftime("%Y%m%dT%H%M%S%f")
    suffix = f"-{language}" if language else ""
    return f"reports/{assessment.code}/{stamp}/{assessment.file_stem}{suffix}.pdf"


def stored_round_report(assessment: Assessment, language: str | None = None) -> tuple[str, bool]:
    """The storage name of the round's report (in `language`: see render_pdf_in), rendering it
    first if needed. Returns (name, rendered_now)."""
    name = stored_report_name(assessment, language)
    if default_storage.exists(name):
        return name, False
    pdf = round_report_pdf(assessment, language=language)
    saved = default_storage.save(name, ContentFile(pdf))
    if saved != name:  # another process stored it first: keep theirs
        default_storage.delete(saved)
    _remove_stale(assessment, keep=name)
    return name, True


def _remove_stale(assessment: Assessment, *, keep: str) -> None:
    folder = f"reports/{assessment.code}"
    try:
        stamps, _files = default_storage.listdir(folder)
        for stamp in stamps:
            _dirs, files = default_storage.listdir(f"{folder}/{stamp}")
            for file in files:
                name = f"{folder}/{stamp}/{file}"
                # The same finalising's other languages stay.
                if not keep.startswith(f"{folder}/{stamp}/"):
                    default_storage.delete(name)
    except (OSError, NotImplementedError):  # pragma: no cover - best effort only
        logger.warning("could not clean old reports of %s", assessment.code)


# Evaluator pack ------------------------------------------------------------------------------
# One page per community (pack_community.html) with its own short stylesheet (pdf-pack.css),
# after a cover, a contents list and the comparison heatmap (pack_front.html). The community
# pages are laid out in chunks, one after the other in the background worker (each chunk is
# a step of the job's progress), and the PDFs joined. Each community fits one page by design
# (reasons are shortened), so page numbers are known before layout; a chunk that comes back
# longer is logged, not fatal.

PACK_CHUNK = 20  # communities per laid-out document
HEATMAP_ROWS = 34  # communities per heatmap page (one A4 page each)

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class RenderedPack:
    content: bytes
    pages: int
    communities: int


def _svg_data_uri(svg_text: str) -> str:
    """An SVG as an <img> source. Still a vector drawing in the PDF, but WeasyPrint neither
    parses it into the page's element tree nor cascades CSS over it: about a tenth less
    layout time for every community page of the pack."""
    if "xmlns=" not in svg_text.split(">", 1)[0]:
        svg_text = svg_text.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return "data:image/svg+xml;base64," + base64.b64encode(svg_text.encode()).decode("ascii")


def _pack_entry(entry: PackEntry) -> dict[str, Any]:
    report = entry.report
    return {
        "line": entry.line,
        "report": report,
        "date": round_date(report.assessment),
        "radar_src": _svg_data_uri(charts.radar_svg(report, small=True)),
        "priorities": report.priorities[:3],
        "more_priorities": max(0, len(report.priorities) - 3),
        "page": 0,
    }


def _heatmaps(data: Overview) -> list[str]:
    lines = data.lines
    return [
        _svg_data_uri(charts.heatmap_svg(replace(data, lines=lines[i : i + HEATMAP_ROWS])))
        for i in range(0, len(lines), HEATMAP_ROWS)
    ]


def evaluator_pack_pdf(
    user: Any,
    *,
    filters: dict[str, str] | None = None,
    filter_labels: list[tuple[str, str]] | None = None,
    progress: ProgressCallback | None = None,
) -> RenderedPack:
    """The evaluator pack for the overview's filters, built for `user` (it shows what they may
    see). `progress(done, total)` is called as parts are laid out."""
    from .pack import pack_data

    data = pack_data(user, **(filters or {}))
    entries = [_pack_entry(entry) for entry in data.entries]
    lang = get_language() or settings.LANGUAGE_CODE
    base = {"lang": lang, "generated": timezone.now(), "filter_labels": filter_labels or []}
    # Front matter in roman numerals (the cover is i, the comparison follows it) and the
    # communities from 1, one page each: every number in the contents is known before anything
    # is laid out.
    for i, entry in enumerate(entries):
        entry["page"] = i + 1
    front = {
        **base,
        "entries": entries,
        "heatmaps": _heatmaps(data.overview),
        "heatmap_page": to_roman(2),
    }
    parts = [(render_to_string("assessments/pdf/pack_front.html", front), True, 1)]
    for i in range(0, len(entries), PACK_CHUNK):
        chunk = {**base, "entries": entries[i : i + PACK_CHUNK]}
        parts.append(
            (render_to_string("assessments/pdf/pack_communities.html", chunk), False, i + 1)
        )
    documents = []
    for done, (html, roman, first_page) in enumerate(parts):
        if progress:
            progress(done, len(parts))
        documents.append(_pack_part(html, roman=roman, first_page=first_page))
    if progress:
        progress(len(parts), len(parts))
    chunks = [len(entries[i : i + PACK_CHUNK]) for i in range(0, len(entries), PACK_CHUNK)]
    if [len(d.pages) for d in documents][1:] != chunks:
        logger.warning("evaluator pack: a page overflowed; the contents numbers may be off")
    return RenderedPack(
        content=_join(documents, title=_("System Maturity Model: evaluator pack"), lang=lang),
        pages=sum(len(d.pages) for d in documents),
        communities=len(entries),
    )


@cache
def _pack_stylesheet() -> Any:
    return _weasyprint().CSS(filename=str(finders.find("css/pdf-pack.css")))


def _pack_part(html: str, *, roman: bool, first_page: int) -> Any:
    """One part of the pack laid out, its pages numbered from `first_page`."""
    weasyprint = _weasyprint()
    sheets = [_pack_stylesheet()]
    if first_page != 1:
        sheets.append(weasyprint.CSS(string=f"@page :first {{ counter-reset: page {first_page} }}"))
    if roman:
        sheets.append(
            weasyprint.CSS(string="@page { @bottom-right { content: counter(page, lower-roman) } }")
        )
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).render(stylesheets=sheets)


def _join(documents: list[Any], *, title: str, lang: str) -> bytes:
    """One tagged PDF with every laid-out page of `documents`, in order, with this title and
    language. The pages are joined before writing (not the written PDFs afterwards), so that
    the structure tree covers the whole pack."""
    pages = [page for document in documents for page in document.pages]
    joined = documents[0].copy(pages)
    joined.metadata.title, joined.metadata.lang = title, lang
    joined.metadata.authors, joined.metadata.generator = ["smm"], "smm"
    return joined.write_pdf(**PDF_OPTIONS)  # type: ignore[no-any-return]


def to_roman(number: int) -> str:
    """Lower-case roman numerals, as CSS counter(page, lower-roman) prints them."""
    numerals = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc")]
    numerals += [(50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    result = ""
    for value, letters in numerals:
        count, number = divmod(number, value)
        result += letters * count
    return result


# Sheets ---------------------------------------------------------------------------------------
# Easy read (issue 17): the plain-language version of each level, in the PDF's language, beside
# the official wording and labelled, never instead of it. The handout puts it in each level's
# cell; a sheet, which has no level texts of its own, gets the five levels of each dimension
# after it, official wording and easy read side by side.


def with_easy_read(rubric_id: int, dimensions: list[DimensionInfo]) -> list[DimensionInfo]:
    """`dimensions` with their easy-read texts (`easy_levels`) in the active language: Welsh's,
    else English's (rubric_texts). Copies: the kept dimensions are not changed."""
    texts = rubric_texts(rubric_id, language=get_language(), easy_read=True)
    easy: dict[int, dict[int, str]] = {}
    for pk, number, level in LevelDescriptor.objects.filter(
        dimension__rubric_id=rubric_id
    ).values_list("pk", "dimension__number", "level"):
        easy.setdefault(number, {})[level] = texts.easy_levels.get(pk, "")
    return [replace(d, easy_levels=easy.get(d.number, {})) for d in dimensions]


def _easy_read_levels(rubric_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each dimension's levels 1 to 5 as (level, official, easy read, the row's own score?),
    for a sheet's easy-read pages."""
    chosen = {row["dimension"].number: row.get("level") for row in rows}
    return [
        {
            "dimension": dim,
            "levels": [
                (
                    level,
                    text,
                    (dim.easy_levels or {}).get(level, ""),
                    chosen.get(dim.number) == level,
                )
                for level, text in sorted(dim.levels.items())
            ],
        }
        for dim in with_easy_read(rubric_id, rubric_dimensions(rubric_id))
    ]


def sheet_pdf(
    context: dict[str, Any] | Callable[[], dict[str, Any]], *, language: str | None = None
) -> bytes:
    """A score sheet; `context` may be a function making it, to be made in each language.

    With `easy_read_rubric` (a rubric's id) in the context, the rubric's levels follow the
    sheet in the official wording and easy read."""

    def build() -> dict[str, Any]:
        made = context() if callable(context) else context
        running = f"{_('System Maturity Model')} · {made.get('sheet_title', '')}"
        if rubric_id := made.get("easy_read_rubric"):
            made = {**made, "easy_read_levels": _easy_read_levels(rubric_id, made["rows"])}
        return {"running_title": running, "for_pdf": True, **made}

    return render_pdf_in("assessments/pdf/sheet.html", build, language=language)


def rubric_handout_pdf(
    context: dict[str, Any] | Callable[[], dict[str, Any]],
    *,
    language: str | None = None,
    easy_read: bool = False,
) -> bytes:
    """The nine dimensions' five levels; `easy_read` adds each level's easy read under it."""

    def build() -> dict[str, Any]:
        made = context() if callable(context) else context
        rubric = made["rubric"]
        if easy_read:
            made = {**made, "dimensions": with_easy_read(rubric.pk, made["dimensions"])}
        return {"running_title": f"{rubric.name} ({rubric.version})", **made}

    return render_pdf_in(
        "assessments/pdf/rubric_handout.html", build, language=language, stacked=True
    )


# Invitation slips -------------------------------------------------------------------------------


def invitation_slips_pdf(assessment: Assessment, slips: list[dict[str, Any]]) -> bytes:
    """One slip per person (name, link, QR code, deadline), six to an A4 page, to cut out.

    `slips`: dicts of name, organisation, link and qr (inline SVG from assessments.qr).
    """
    per_page = SLIPS_PER_ROW * SLIP_ROWS_PER_PAGE
    pages = [
        [slips[i : i + SLIPS_PER_ROW] for i in range(start, start + per_page, SLIPS_PER_ROW)]
        for start in range(0, len(slips), per_page)
    ]
    return render_pdf(
        "assessments/pdf/slips.html",
        {
            "assessment": assessment,
            "community": assessment.community,
            "focal_issue": assessment.focal_issue,
            "pages": [[row for row in page if row] for page in pages],
        },
    )


SLIPS_PER_ROW = 2
SLIP_ROWS_PER_PAGE = 3
