"""Evaluator pack jobs: one row per PDF pack an evaluator asked for, rendered in the background
by `assessments.tasks.render_evaluator_pack` (run by `manage.py db_worker`).

The model lives here rather than in models.py because it is about reports, not the assessment
domain; models.py imports it so that Django finds it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from communities.models import User

FILTER_NAMES = ("nation", "area", "kind")
# A running job that has not moved for this long has lost its worker (killed, machine restarted):
# it is marked failed so that the evaluator can start a new one.
STALE_AFTER = timedelta(minutes=10)


def filters_key(filters: dict[str, str]) -> str:
    """One canonical string per set of overview filters, for finding a job to reuse."""
    return "&".join(f"{name}={filters.get(name, '')}" for name in FILTER_NAMES)


def filter_labels(filters: dict[str, str]) -> list[tuple[str, str]]:
    """The filters as the pack's cover shows them: (label, value) pairs."""
    from communities.models import Nation

    from .models import Assessment

    labels = []
    if nation := filters.get("nation"):
        labels.append((str(_("Nation")), str(dict(Nation.choices).get(nation, nation))))
    if area := filters.get("area"):
        labels.append((str(_("Focal issue area")), area))
    if kind := filters.get("kind"):
        labels.append((str(_("Round kind")), str(dict(Assessment.Kind.choices).get(kind, kind))))
    return labels


class ReportJobQuerySet(models.QuerySet["ReportJob"]):
    def active(self) -> ReportJobQuerySet:
        return self.filter(status__in=ReportJob.ACTIVE)


class ReportJob(models.Model):
    """A background render of the evaluator pack PDF, visible only to the user who asked."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_jobs"
    )
    filters = models.JSONField(default=dict, blank=True)
    filters_key = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True)
    pages = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The database, not a check-then-insert race, makes a second click reuse the job.
            models.UniqueConstraint(
                fields=["requested_by", "filters_key"],
                condition=Q(status__in=["queued", "running"]),
                name="reportjob_one_active_per_user_and_filters",
            ),
            models.CheckConstraint(
                condition=Q(done__lte=F("total")), name="reportjob_done_le_total"
            ),
        ]

    def __str__(self) -> str:
        return f"Evaluator pack {self.code} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("assessments:pack_job", kwargs={"code": self.code})

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def download_name(self) -> str:
        return f"smm-evaluator-pack-{timezone.localdate(self.created_at).isoformat()}.pdf"

    def _update(self, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=[*fields, "updated_at"])

    def mark_running(self, *, total: int) -> None:
        self._update(status=self.Status.RUNNING, total=total, done=0, started_at=timezone.now())

    def mark_progress(self, done: int) -> None:
        self._update(done=min(done, self.total))

    def mark_done(self, *, file_name: str, pages: int, size: int) -> None:
        self._update(
            status=self.Status.DONE,
            done=self.total,
            file_name=file_name,
            pages=pages,
            size=size,
            finished_at=timezone.now(),
        )

    def mark_failed(self, message: str) -> None:
        self._update(status=self.Status.FAILED, error=message[:2000], finished_at=timezone.now())


def pack_job_start(*, user: User, filters: dict[str, str]) -> tuple[ReportJob, bool]:
    """The user's queued or running pack for these filters, else a new queued one.
    Returns (job, created); the caller enqueues the task for a created job."""
    key = filters_key(filters)
    mine = ReportJob.objects.filter(requested_by=user, filters_key=key)
    stale = timezone.now() - STALE_AFTER
    for job in mine.active().filter(updated_at__lt=stale):
        job.mark_failed(str(_("The pack stopped making progress; please start it again.")))
    try:
        with transaction.atomic():
            return ReportJob.objects.create(
                requested_by=user, filters=filters, filters_key=key
            ), True
    except IntegrityError:
        # Another request of the same user made it first: that one is reused.
        return mine.active().get(), False
