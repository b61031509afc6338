"""Reports: the round report page and PDF, the evaluator overview and pack, exports, and the
printable score sheets."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import URLPattern, path, register_converter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from communities.access import can_write, get_assessment_for, get_community_for
from smm_site import page_cache
from smm_site.page_cache import SHEETS, SITE

from ..links import LinkError, participant_for_token
from ..models import LEVEL_LABELS, Assessment, AuditEvent, IndividualScore, Rubric, audit
from ..reports import charts, exports, pdf
from ..reports.data import overview as overview_data
from ..reports.data import round_report, rubric_dimensions
from ..reports.forms import OverviewFilterForm


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
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report_round(request: HttpRequest, code: UUID, **fetch: Any) -> Assessment:
    """A round whose report the user may read: evaluators read finalised rounds only;
    facilitators of the community (and admins) read any status. Others get 404."""
    assessment = get_assessment_for(request, code, **fetch)
    if not assessment.is_finalised and not can_write(request, assessment.community):
        raise Http404
    return assessment


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=PDF)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# Round report ---------------------------------------------------------------------------------


@page_cache.keep_whole
@login_required
@require_GET
def report(request: HttpRequest, code: UUID) -> HttpResponse:
    # The round and its community only: the rest is read when the part is rendered.
    assessment = _report_round(request, code, related=("community",))

    def body() -> str:
        # Inside the part: its key holds the user, and a change of membership is a write.
        facilitating = can_write(request, assessment.community)
        data = round_report(assessment, show_small_spread=facilitating)
        return render_to_string(
            "assessments/reports/_report_body.html",
            {
                "report": data,
                "assessment": assessment,
                "radar": charts.radar_figure(data),
                "facilitating": facilitating,
                "level_labels": LEVEL_LABELS,
            },
        )

    # A round still collecting shows how many sheets are in, which stakeholders' writes change.
    scopes = (SITE,) if assessment.is_finalised else (SITE, SHEETS)
    return render(
        request,
        "assessments/reports/report.html",
        {
            "assessment": assessment,
            "body": page_cache.part(request, "report", assessment.pk, scopes=scopes, render=body),
        },
    )


@page_cache.keep_whole
@login_required
@require_GET
def report_pdf(request: HttpRequest, code: UUID) -> HttpResponse:
    # The round and its community only: the rest is read only when the PDF is first rendered.
    assessment = get_assessment_for(request, code, related=("community",))
    if not assessment.is_finalised:
        raise Http404
    name, rendered = pdf.stored_round_report(assessment)
    _audit_download(
        request,
        summary=_("Report PDF downloaded: %(round)s") % {"round": assessment},
        assessment=assessment,
        detail={"format": "pdf", "rendered": rendered},
        again={"format": "pdf", "rendered": False},  # served again, it was not rendered
    )
    with default_storage.open(name, "rb") as file:
        response = _pdf_response(file.read(), f"{assessment.file_stem}.pdf")
    response["Cache-Control"] = "private, max-age=300"
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


@page_cache.keep_whole
@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    form, filters = _overview_filters(request)
    invalid = form.is_bound and not form.is_valid()
    page_number = request.GET.get("page", "")[:12]

    def body() -> str:
        data = overview_data(request.user, **filters)
        # One page of communities: at national scale the whole list is hundreds of rows and
        # thousands of heatmap tiles. Earlier rounds are a link away, on the community's page.
        page = Paginator(data.lines, OVERVIEW_PAGE_SIZE).get_page(page_number)
        shown = replace(data, lines=list(page.object_list))
        others = request.GET.copy()
        others.pop("page", None)
        return render_to_string(
            "assessments/reports/_overview_body.html",
            {
                "form": form,
                "overview": data,
                "page": page,
                "page_range": page.paginator.get_elided_page_range(page.number),
                "page_query": f"{others.urlencode()}&" if others else "",
                "heatmap": charts.heatmap_figure(shown) if shown.lines else None,
            },
        )

    # The query string is everything the part shows besides the data.
    part = page_cache.part(request, "overview", request.GET.urlencode(), render=body)
    return render(
        request,
        "assessments/reports/overview.html",
        {"body": part},
        status=400 if invalid else 200,
    )


# Exports --------------------------------------------------------------------------------------


def _audit_download(
    request: HttpRequest,
    *,
    summary: str,
    detail: dict[str, Any],
    assessment: Assessment | None = None,
    again: dict[str, Any] | None = None,
) -> None:
    """Record a download, and have each serving of it again from the page cache (a report PDF,
    an export small enough to be kept) recorded too, with ``again`` as its detail if given."""
    event = audit(
        verb=AuditEvent.Verb.EXPORTED,
        summary=summary,
        actor=request.user,
        assessment=assessment,
        detail=detail,
    )
    page_cache.audit_every_serving(
        request,
        verb=event.verb,
        summary=event.summary,
        actor_id=event.actor_id,
        assessment_id=event.assessment_id,
        community_id=event.community_id,
        detail=detail if again is None else again,
    )


def _audit_export(request: HttpRequest, what: str, fmt: str, rows: int) -> None:
    _audit_download(
        request,
        summary=_("Exported %(what)s (%(format)s)") % {"what": what, "format": fmt},
        detail={"export": what, "format": fmt, "rows": rows},
    )


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: named, or by "*", with a q above 0
    ("gzip;q=0" refuses it, RFC 9110 12.5.3; django.middleware.gzip only looks for the word)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        coding, _semi, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.strip()] = weight
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


def _export(
    request: HttpRequest, kind: str, what: str, build: exports.Build, content_type: str
) -> FileResponse:
    """Serve an export from its stored file (built first when the data has changed), and
    record the download."""
    gzip_ok = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    export = exports.stored(request.user, kind, build, accepts_gzip=gzip_ok)
    stem, _dot, fmt = kind.rpartition(".")
    _audit_export(request, what, fmt, export.rows)
    response = FileResponse(
        export.file if export.file is not None else io.BytesIO(export.content),
        as_attachment=True,
        filename=f"smm-{stem}-{timezone.localdate().isoformat()}.{fmt}",
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["Vary"] = "Accept-Encoding"
    if export.encoding:
        response["Content-Encoding"] = export.encoding
    return response


@page_cache.keep_whole
@login_required
@require_GET
def export_csv(request: HttpRequest) -> FileResponse:
    def build() -> tuple[bytes, int]:
        rows = exports.agreed_rows(request.user)
        return exports.to_csv(exports.agreed_header(), rows), len(rows)

    return _export(request, "agreed-levels.csv", "agreed levels", build, CSV)


@page_cache.keep_whole
@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> FileResponse:
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


@page_cache.keep_whole
@login_required
@require_GET
def export_counts_csv(request: HttpRequest) -> FileResponse:
    def build() -> tuple[bytes, int]:
        rows = exports.counts_rows(request.user)
        return exports.to_csv(exports.counts_header(), rows), len(rows)

    return _export(request, "level-counts.csv", "level counts", build, CSV)


# Printable sheets -----------------------------------------------------------------------------


def _sheet(request: HttpRequest, fmt: str, context: dict[str, Any], filename: str) -> HttpResponse:
    context = {"level_labels": LEVEL_LABELS, **context}
    if fmt == "pdf":
        return _pdf_response(pdf.sheet_pdf(context), filename)
    return render(request, "assessments/reports/sheet.html", context)


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
        {
            "sheet_title": _("Score sheet"),
            "community_name": community.name if community else "",
            "rows": _blank_rows(rubric),
            "blank": True,
            "pdf_url_name": "assessments:blank_sheet",
            "community_slug": community.slug if community else "",
        },
        f"smm-score-sheet{'-' + community.slug if community else ''}.pdf",
    )


@login_required
@require_GET
def rubric_handout(request: HttpRequest, fmt: str) -> HttpResponse:
    rubric = Rubric.current()
    context = {
        "rubric": rubric,
        "dimensions": rubric_dimensions(rubric),
        "levels_desc": [5, 4, 3, 2, 1],
        "level_labels": LEVEL_LABELS,
    }
    if fmt == "pdf":
        return _pdf_response(pdf.rubric_handout_pdf(context), "smm-rubric-handout.pdf")
    return render(request, "assessments/reports/rubric_handout.html", context)


@login_required
@require_GET
def agreed_sheet(request: HttpRequest, code: UUID, fmt: str) -> HttpResponse:
    assessment = _report_round(request, code)
    data = round_report(assessment)
    rows = [
        {"dimension": row, "level": row.level, "reason": row.reason, "dissent": row.dissent}
        for row in data.rows
    ]
    return _sheet(
        request,
        fmt,
        {
            "sheet_title": _("Agreed score sheet"),
            "community_name": assessment.community.name,
            "assessment": assessment,
            "rows": rows,
            "agreed": True,
        },
        f"{assessment.file_stem}-agreed-sheet.pdf",
    )


@require_GET
def my_sheet_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """A stakeholder's own completed sheet, from their personal link only, in any round state."""
    try:
        participant = participant_for_token(request, token)
    except LinkError as error:
        return render(
            request,
            "assessments/reports/link_error.html",
            {"message": error.message},
            status=error.status,
        )
    assessment = participant.assessment
    scores = {
        s.dimension.number: s
        for s in IndividualScore.objects.filter(participant=participant).select_related("dimension")
    }
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
    content = pdf.sheet_pdf(
        {
            "sheet_title": _("My score sheet"),
            "community_name": assessment.community.name,
            "assessment": assessment,
            "person_name": participant.stakeholder.name,
            "submitted_at": participant.submitted_at,
            "rows": rows,
            "level_labels": LEVEL_LABELS,
            "own": True,
        }
    )
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
