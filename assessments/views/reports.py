"""Reports: the round report page and PDF, the evaluator overview and pack, exports, and the
printable score sheets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, register_converter
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from communities.access import can_write_found, get_assessment_for, get_community_for
from communities.models import Nation

from ..links import LinkError, error_context, participant_for_token
from ..models import (
    LEVEL_LABELS,
    Assessment,
    AuditEvent,
    IndividualScore,
    LevelDescriptor,
    Rubric,
    audit,
)
from ..reports import charts, exports, pdf
from ..reports.data import overview as overview_data
from ..reports.data import round_report, rubric_dimensions, waiting
from ..reports.forms import OverviewFilterForm
from ..reports.html import overview_rows, report_articles, report_table_rows
from ..rubric_texts import rubric_texts


class SheetFormat:
    """`html` (print CSS) or `pdf`."""

    regex = "html|pdf"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SheetFormat, "smm_sheet_format")

PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
OVERVIEW_PAGE_SIZE = 25  # communities per page of the evaluator overview
# An export's bytes and its row count.
Build = Callable[[], tuple[bytes, int]]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report_round(request: HttpRequest, code: UUID, **fetch: Any) -> Assessment:
    """A round whose report the user may read: evaluators read finalised rounds only;
    facilitators of the community (and admins) read any status. Others get 404."""
    assessment = get_assessment_for(request, code, **fetch)
    if not assessment.is_finalised and not can_write_found(request):
        raise Http404
    return assessment


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=PDF)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# Round report ---------------------------------------------------------------------------------


@login_required
@require_GET
def report(request: HttpRequest, code: UUID) -> HttpResponse:
    # Everything the page shows of the round itself, and the round round_report compares it with.
    assessment = _report_round(request, code, related=("community", "focal_issue", "previous"))
    facilitating = can_write_found(request)
    data = round_report(assessment, show_small_spread=facilitating)
    context = {
        "report": data,
        "assessment": assessment,
        "radar": charts.radar_figure(data),
        "table_rows": report_table_rows(data),
        "articles": report_articles(data),
        "facilitating": facilitating,
        "level_labels": LEVEL_LABELS,
    }
    return render(request, "assessments/reports/report.html", context)


@login_required
@require_GET
def report_pdf(request: HttpRequest, code: UUID) -> HttpResponse:
    # The round and its community only: the rest is read only when the PDF is first rendered.
    assessment = get_assessment_for(request, code, related=("community",))
    if not assessment.is_finalised:
        raise Http404
    # The stored report's name changes when the round is finalised again, and only then: a
    # browser that has the file with this name has this report.
    language = pdf.pdf_language(request.GET.get("lang"))
    etag = quote_etag(pdf.stored_report_name(assessment, language))
    if not_modified := get_conditional_response(request, etag=etag):
        return not_modified
    name, rendered = pdf.stored_round_report(assessment, language)
    _audit_download(
        request,
        summary=_("Report PDF downloaded: %(round)s") % {"round": assessment},
        assessment=assessment,
        detail={"format": "pdf", "rendered": rendered},
    )
    with default_storage.open(name, "rb") as file:
        suffix = f"-{language}" if language else ""
        response = _pdf_response(file.read(), f"{assessment.file_stem}{suffix}.pdf")
    response["Cache-Control"] = "private, max-age=300"
    response["ETag"] = etag
    return response


# Evaluator overview ---------------------------------------------------------------------------


def _overview_filters(request: HttpRequest) -> tuple[OverviewFilterForm, dict[str, str]]:
    if not request.user.can_read_all:  # type: ignore[union-attr]
        # Facilitators have their community pages; the cross-community view is for evaluators.
        raise PermissionDenied
    form = OverviewFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, {k: v for k, v in form.cleaned_data.items() if v}
    return form, {}


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    form, filters = _overview_filters(request)
    data = overview_data(request.user, **filters)
    # One page of communities: at national scale the whole list is hundreds of rows and
    # thousands of heatmap tiles. Earlier rounds are a link away, on the community's page.
    page = Paginator(data.lines, OVERVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = replace(data, lines=list(page.object_list))
    others = request.GET.copy()
    others.pop("page", None)
    context = {
        "form": form,
        "overview": data,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number),
        "page_query": f"{others.urlencode()}&" if others else "",
        "heatmap": charts.heatmap_figure(shown) if shown.lines else None,
        "rows": overview_rows(shown.lines),
        "waiting": waiting(request.user, **filters),
    }
    invalid = form.is_bound and not form.is_valid()
    return render(
        request, "assessments/reports/overview.html", context, status=400 if invalid else 200
    )


# Exports --------------------------------------------------------------------------------------


def _audit_download(
    request: HttpRequest,
    *,
    summary: str,
    detail: dict[str, Any],
    assessment: Assessment | None = None,
) -> None:
    audit(
        verb=AuditEvent.Verb.EXPORTED,
        summary=summary,
        actor=request.user,
        assessment=assessment,
        detail=detail,
    )


def _export(
    request: HttpRequest, kind: str, what: str, build: Build, content_type: str
) -> HttpResponse:
    """Build an export for this user and record the download."""
    content, rows = build()
    stem, _dot, fmt = kind.rpartition(".")
    _audit_download(
        request,
        summary=_("Exported %(what)s (%(format)s)") % {"what": what, "format": fmt},
        detail={"export": what, "format": fmt, "rows": rows},
    )
    filename = f"smm-{stem}-{timezone.localdate().isoformat()}.{fmt}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    return _export(
        request, "agreed-levels.csv", "agreed levels", lambda: exports.agreed_csv(request.user), CSV
    )


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    def build() -> tuple[bytes, int]:
        agreed = exports.agreed_rows(request.user)
        counts = exports.counts_rows(request.user)
        content = exports.to_xlsx(
            [
                (_("Agreed levels"), exports.agreed_header(), agreed),
                (_("Level counts"), exports.counts_header(), counts),
            ]
        )
        return content, len(agreed) + len(counts)

    return _export(request, "agreed-levels.xlsx", "agreed levels and level counts", build, XLSX)


@login_required
@require_GET
def export_counts_csv(request: HttpRequest) -> HttpResponse:
    def build() -> tuple[bytes, int]:
        rows = exports.counts_rows(request.user)
        return exports.to_csv(exports.counts_header(), rows), len(rows)

    return _export(request, "level-counts.csv", "level counts", build, CSV)


# Printable sheets -----------------------------------------------------------------------------


def _sheet(
    request: HttpRequest, fmt: str, build: Callable[[], dict[str, Any]], filename: str
) -> HttpResponse:
    """A sheet as a page or PDF; `build` makes its context (in each language of a PDF)."""

    def context() -> dict[str, Any]:
        return {"level_labels": LEVEL_LABELS, **build()}

    if fmt == "pdf":
        language = pdf.pdf_language(request.GET.get("lang"))
        return _pdf_response(pdf.sheet_pdf(context, language=language), filename)
    return render(request, "assessments/reports/sheet.html", context())


def _blank_rows(rubric: Rubric) -> list[dict[str, Any]]:
    return [{"dimension": dim} for dim in rubric_dimensions(rubric)]


@login_required
@require_GET
def blank_sheet(request: HttpRequest, fmt: str) -> HttpResponse:
    """The paper score sheet as the model lays it out, optionally with the community's name."""
    community = None
    if slug := request.GET.get("community", ""):
        community = get_community_for(request, slug[:120])
    rubric = Rubric.current()
    return _sheet(
        request,
        fmt,
        lambda: {
            "sheet_title": _("Score sheet"),
            "community_name": community.name if community else "",
            "rows": _blank_rows(rubric),
            "blank": True,
            "pdf_url_name": "assessments:blank_sheet",
            "community_slug": community.slug if community else "",
            "in_wales": bool(community and community.nation == Nation.WALES),
            # ?easy=1: the levels in easy read after the sheet (PDF only).
            "easy_read_rubric": rubric.pk if request.GET.get("easy") == "1" else None,
        },
        f"smm-score-sheet{'-' + community.slug if community else ''}.pdf",
    )


@login_required
@require_GET
def rubric_handout(request: HttpRequest, fmt: str) -> HttpResponse:
    rubric = Rubric.current()

    def context() -> dict[str, Any]:
        return {
            "rubric": rubric,
            "dimensions": rubric_dimensions(rubric),
            "levels_desc": [5, 4, 3, 2, 1],
            "level_labels": LEVEL_LABELS,
        }

    if fmt == "pdf":
        language = pdf.pdf_language(request.GET.get("lang"))
        suffix = f"-{request.GET['lang']}" if language else ""
        return _pdf_response(
            pdf.rubric_handout_pdf(
                context, language=language, easy_read=request.GET.get("easy") == "1"
            ),
            f"smm-rubric-handout{suffix}.pdf",
        )
    page = context()
    dimensions = page["dimensions"]
    if easy_read := request.GET.get("easy-read") == "on":
        texts = rubric_texts(rubric.pk, language=get_language(), easy_read=True)
        easy: dict[tuple[int, int], str] = {
            (d.dimension.number, d.level): texts.easy(d)
            for d in LevelDescriptor.objects.filter(dimension__rubric=rubric).select_related(
                "dimension"
            )
        }
        page["dimensions"] = [
            replace(d, easy_levels={n: easy[(d.number, n)] for n in d.levels}) for d in dimensions
        ]
    if dimensions and dimensions[0].translation:
        # The official English wording one tap away, rendered in English throughout.
        with translation.override("en-gb"):
            page["english_table"] = render_to_string(
                "assessments/pdf/_rubric_table.html",
                {**context(), "dimensions": rubric_dimensions(rubric)},
            )
    page["easy_read"] = easy_read
    return render(request, "assessments/reports/rubric_handout.html", page)


@login_required
@require_GET
def agreed_sheet(request: HttpRequest, code: UUID, fmt: str) -> HttpResponse:
    assessment = _report_round(request, code)

    def build() -> dict[str, Any]:
        rows = [
            {
                "dimension": row,
                "level": row.level,
                "reason": row.reason,
                "dissent": row.dissent,
                "is_priority": row.is_priority,
            }
            for row in round_report(assessment).rows
        ]
        return {
            "sheet_title": _("Agreed score sheet"),
            "community_name": assessment.community.name,
            "assessment": assessment,
            "rows": rows,
            "agreed": True,
        }

    return _sheet(
        request,
        fmt,
        build,
        f"{assessment.file_stem}-agreed-sheet.pdf",
    )


@require_GET
def my_sheet_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """A stakeholder's own completed sheet, from their personal link only, in any round state."""
    try:
        participant = participant_for_token(request, token)
    except LinkError as error:
        # The sheet's own error page: a revoked link names whom to ask for the current one.
        return render(
            request,
            "assessments/stakeholder/link_error.html",
            error_context(error),
            status=error.status,
        )
    assessment = participant.assessment
    scores = {
        s.dimension.number: s
        for s in IndividualScore.objects.filter(participant=participant).select_related("dimension")
    }

    def build() -> dict[str, Any]:
        rows = []
        for dim in rubric_dimensions(assessment.rubric_id):
            score = scores.get(dim.number)
            rows.append(
                {
                    "dimension": dim,
                    "level": score.level if score else None,
                    "not_sure": bool(score and score.not_sure),
                    "reason": score.reason if score else "",
                }
            )
        return {
            "sheet_title": _("My score sheet"),
            "community_name": assessment.community.name,
            "assessment": assessment,
            "person_name": participant.stakeholder.name,
            "submitted_at": participant.submitted_at,
            "rows": rows,
            "level_labels": LEVEL_LABELS,
            "own": True,
            # Easy read as the person chose it on their sheet, or ?easy=1.
            "easy_read_rubric": assessment.rubric_id
            if participant.easy_read or request.GET.get("easy") == "1"
            else None,
        }

    content = pdf.sheet_pdf(build, language=pdf.pdf_language(request.GET.get("lang")))
    response = _pdf_response(content, f"{assessment.file_stem}-my-sheet.pdf")
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


urlpatterns: list[URLPattern] = [
    path("rounds/<uuid:code>/report/", report, name="report"),
    path("rounds/<uuid:code>/report.pdf", report_pdf, name="report_pdf"),
    path(
        "rounds/<uuid:code>/agreed-sheet.<smm_sheet_format:fmt>",
        agreed_sheet,
        name="agreed_sheet",
    ),
    path("overview/", overview, name="overview"),
    path("exports/agreed-levels.csv", export_csv, name="export_csv"),
    path("exports/agreed-levels.xlsx", export_xlsx, name="export_xlsx"),
    path("exports/level-counts.csv", export_counts_csv, name="export_counts_csv"),
    path("sheets/blank.<smm_sheet_format:fmt>", blank_sheet, name="blank_sheet"),
    path("sheets/rubric.<smm_sheet_format:fmt>", rubric_handout, name="rubric_handout"),
    path("s/<str:token>/sheet.pdf", my_sheet_pdf, name="my_sheet_pdf"),
]
