"""PDFs with WeasyPrint: A4 pages laid out by templates/assessments/pdf/*.html and
static/css/pdf.css (running header and page numbers come from @page rules there).

The title and language in each template's <html lang> and <title> become the PDF's metadata.
A finalised round never changes, so its report is rendered once and kept in the default storage
under a key made of the round's code and the moment it was finalised: reopening and finalising
again gives a new key, and the old file is removed.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..models import Assessment
from . import charts
from .data import RoundReport, overview, round_report

logger = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; that is noise in server logs.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


@cache
def _stylesheet() -> Any:
    from weasyprint import CSS

    path = finders.find("css/pdf.css")
    return CSS(filename=str(path))


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes. Local files only: nothing is fetched over the network."""
    from weasyprint import HTML

    html = render_to_string(
        template,
        {"lang": get_language() or settings.LANGUAGE_CODE, "generated": timezone.now(), **context},
    )
    document = HTML(string=html, base_url=str(settings.BASE_DIR))
    return document.write_pdf(stylesheets=[_stylesheet()])  # type: ignore[no-any-return]


# The round report ------------------------------------------------------------------------------


def report_context(report: RoundReport) -> dict[str, Any]:
    return {
        "report": report,
        "assessment": report.assessment,
        "radar_svg": mark_safe(charts.radar_svg(report)),  # noqa: S308 - built by svg.py, escaped
    }


def round_report_pdf(assessment: Assessment) -> bytes:
    report = round_report(assessment)
    running = f"{assessment.community.name} · {assessment.title}"
    return render_pdf(
        "assessments/pdf/round_report.html", {**report_context(report), "running_title": running}
    )


def stored_report_name(assessment: Assessment) -> str:
    if assessment.finalised_at is None:
        raise ValueError("only a finalised round has a stored report")
    stamp = assessment.finalised_at.strftime("%Y%m%dT%H%M%S%f")
    return f"reports/{assessment.code}/{stamp}/{assessment.file_stem}.pdf"


def stored_round_report(assessment: Assessment) -> tuple[str, bool]:
    """The storage name of the round's report, rendering it first if needed.
    Returns (name, rendered_now)."""
    name = stored_report_name(assessment)
    if default_storage.exists(name):
        return name, False
    pdf = round_report_pdf(assessment)
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
                if name != keep:
                    default_storage.delete(name)
    except (OSError, NotImplementedError):  # pragma: no cover - best effort only
        logger.warning("could not clean old reports of %s", assessment.code)


# Evaluator pack ------------------------------------------------------------------------------


def overview_pack_pdf(user: Any, *, nation: str = "", area: str = "", kind: str = "") -> bytes:
    data = overview(user, nation=nation, area=area, kind=kind)
    sections = [report_context(round_report(line.latest)) for line in data.lines]
    return render_pdf(
        "assessments/pdf/overview_pack.html",
        {
            "overview": data,
            "heatmap_svg": mark_safe(charts.heatmap_svg(data)) if data.lines else "",  # noqa: S308
            "sections": sections,
            "running_title": _("Evaluator pack"),
        },
    )


# Sheets ---------------------------------------------------------------------------------------


def sheet_pdf(context: dict[str, Any]) -> bytes:
    running = f"{_('System Maturity Model')} · {context.get('sheet_title', '')}"
    return render_pdf(
        "assessments/pdf/sheet.html", {"running_title": running, "for_pdf": True, **context}
    )


def rubric_handout_pdf(context: dict[str, Any]) -> bytes:
    rubric = context["rubric"]
    running = f"{rubric.name} ({rubric.version})"
    return render_pdf("assessments/pdf/rubric_handout.html", {"running_title": running, **context})
