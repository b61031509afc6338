"""The evaluator pack PDF as a background job: start it from the overview, watch its progress,
download it. A job belongs to the user who started it; anyone else gets 404."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ..models import AuditEvent, audit
from ..pack_jobs import ReportJob, filter_labels, pack_job_start
from ..reports.forms import OverviewFilterForm
from ..tasks import render_evaluator_pack

TEMPLATE = "assessments/packs/job.html"


def _job_for(request: HttpRequest, code: UUID) -> ReportJob:
    """The user's own job, or 404: a pack shows what its requester may see, nobody else's.
    And only while they may still see every community: an evaluator made a facilitator since
    asking gets 403, as on the overview."""
    try:
        job = ReportJob.objects.get(code=code, requested_by=request.user)  # type: ignore[misc]
    except ReportJob.DoesNotExist:
        raise Http404 from None
    if not request.user.can_read_all:  # type: ignore[union-attr]
        raise PermissionDenied
    return job


@login_required
@require_POST
def pack_start(request: HttpRequest) -> HttpResponse:
    if not request.user.can_read_all:  # type: ignore[union-attr]
        raise PermissionDenied  # like the overview: the cross-community view is for evaluators
    form = OverviewFilterForm(request.POST)
    if not form.is_valid():
        return HttpResponse(
            _("Unknown filter value: go back to the overview and choose the filters again."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    filters = {k: v for k, v in form.cleaned_data.items() if v}
    job, created = pack_job_start(user=request.user, filters=filters)  # type: ignore[arg-type]
    if created:
        result = render_evaluator_pack.enqueue(job.pk)
        # The immediate backend (tests) has already run it; a real queue has only stored it.
        ReportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    return redirect(job.get_absolute_url(), permanent=False)


@login_required
@require_safe
def pack_job(request: HttpRequest, code: UUID) -> HttpResponse:
    job = _job_for(request, code)
    template = TEMPLATE
    if request.htmx:  # type: ignore[attr-defined]
        template += "#progress"
    response = render(request, template, {"job": job, "filter_labels": filter_labels(job.filters)})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def pack_download(request: HttpRequest, code: UUID) -> HttpResponse | FileResponse:
    job = _job_for(request, code)
    if job.status != ReportJob.Status.DONE or not job.file_name:
        return redirect(job.get_absolute_url())
    try:
        handle = default_storage.open(job.file_name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    audit(
        verb=AuditEvent.Verb.EXPORTED,
        summary=_("Evaluator pack PDF downloaded"),
        actor=request.user,
        detail={"format": "pdf", "filters": job.filters, "job": str(job.code)},
    )
    response = FileResponse(
        handle, content_type="application/pdf", as_attachment=True, filename=job.download_name
    )
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns: list[URLPattern] = [
    path("overview/packs/", pack_start, name="pack_start"),
    path("overview/packs/<uuid:code>/", pack_job, name="pack_job"),
    path("overview/packs/<uuid:code>/download/", pack_download, name="pack_download"),
]
