"""Background tasks (Django's tasks framework; `manage.py db_worker` runs them in production)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from .pack_jobs import ReportJob, filter_labels

logger = logging.getLogger(__name__)


def pack_file_name(job: ReportJob) -> str:
    return f"packs/{job.requested_by_id}/{job.code}/{job.download_name}"


@task()
def render_evaluator_pack(job_id: int) -> dict[str, int]:
    """Render a queued pack job to PDF in the default storage, recording progress on the job.
    The pack is built for the user who asked, so it shows only what they may see."""
    from .reports import pdf

    job = ReportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.status != ReportJob.Status.QUEUED:
        return {"pages": job.pages}  # already taken, finished or given up on
    job.mark_running(total=0)
    try:
        rendered = pdf.evaluator_pack_pdf(
            job.requested_by,
            filters=job.filters,
            filter_labels=filter_labels(job.filters),
            progress=lambda done, total: _progress(job, done, total),
        )
        name = default_storage.save(pack_file_name(job), ContentFile(rendered.content))
    except Exception as error:
        logger.exception("evaluator pack %s failed", job.code)
        job.mark_failed(
            _(
                "The pack could not be rendered. Please try again; if it fails again, tell the "
                "site's administrator (error: %(error)s)."
            )
            % {"error": type(error).__name__}
        )
        raise
    job.mark_done(file_name=name, pages=rendered.pages, size=len(rendered.content))
    return {"pages": rendered.pages, "bytes": len(rendered.content)}


def _progress(job: ReportJob, done: int, total: int) -> None:
    if job.total != total:
        job.total = total
        job.save(update_fields=["total", "updated_at"])
    job.mark_progress(done)


@task()
def render_round_report(assessment_id: int) -> dict[str, object]:
    """Lay out a round's report PDF as soon as the round is finalised, so that whoever asks
    for it first is served from storage too. A round reopened in the meantime is skipped."""
    from .models import Assessment
    from .reports import pdf

    assessment = (
        Assessment.objects.select_related("community", "focal_issue", "rubric", "previous")
        .filter(pk=assessment_id, status=Assessment.Status.FINALISED)
        .first()
    )
    if assessment is None:
        return {"rendered": False}
    # In the site's language: no person asked, and the stored report is one per round.
    with translation.override(settings.LANGUAGE_CODE):
        name, rendered = pdf.stored_round_report(assessment)
    return {"rendered": rendered, "name": name}


def prerender_round_report(assessment_id: int) -> None:
    """Queue the report once the finalising transaction has committed. Best effort: if the
    queue cannot take it, the first download renders the report instead."""
    if not settings.SMM_PRERENDER_REPORTS:
        return

    def enqueue() -> None:
        try:
            render_round_report.enqueue(assessment_id)
        except Exception:
            logger.exception("could not queue the report of round %s", assessment_id)

    transaction.on_commit(enqueue)


@task()
def send_action_reminders_task() -> dict[str, int]:
    """`manage.py send_action_reminders` through the worker, for a scheduler that enqueues
    tasks rather than running commands. Safe to run often: each due date is reminded once."""
    from .followthrough import send_action_reminders

    with translation.override(settings.LANGUAGE_CODE):
        summary = send_action_reminders()
    return {"emails": summary.emails, "actions": summary.actions, "reviews": summary.reviews}
