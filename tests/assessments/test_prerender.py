"""A finalised round's report PDF is laid out in the background as soon as it is finalised,
so the first download is served from storage."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from assessments import workshop
from assessments.models import Assessment
from assessments.reports.pdf import stored_report_name
from assessments.tasks import render_round_report
from tests.assessments.test_reports_data import make_round

DUE = datetime.date(2027, 6, 1)


def _finalise(assessment, user, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        workshop.round_finalise(assessment=assessment, next_review_due=DUE, by=user)
    assessment.refresh_from_db()
    return assessment


@pytest.mark.django_db
def test_finalising_lays_out_the_report(
    settings, community, facilitator_user, django_capture_on_commit_callbacks
):
    settings.SMM_PRERENDER_REPORTS = True
    assessment = make_round(community, finalise=False)
    assessment = _finalise(assessment, facilitator_user, django_capture_on_commit_callbacks)
    name = stored_report_name(assessment)
    assert default_storage.exists(name)
    assert default_storage.open(name).read(5) == b"%PDF-"


@pytest.mark.django_db
def test_nothing_is_queued_when_turned_off(
    settings, community, facilitator_user, django_capture_on_commit_callbacks
):
    settings.SMM_PRERENDER_REPORTS = False
    assessment = make_round(community, finalise=False)
    assessment = _finalise(assessment, facilitator_user, django_capture_on_commit_callbacks)
    assert not default_storage.exists(stored_report_name(assessment))


@pytest.mark.django_db
def test_a_round_reopened_before_the_task_runs_is_skipped(community):
    assessment = make_round(community, finalise=False)
    assert assessment.status == Assessment.Status.WORKSHOP
    assert render_round_report.call(assessment.pk) == {"rendered": False}


@pytest.mark.django_db
def test_a_stored_report_is_not_laid_out_again(community):
    assessment = make_round(community)
    first = render_round_report.call(assessment.pk)
    again = render_round_report.call(assessment.pk)
    assert first["rendered"] is True and again == {"rendered": False, "name": first["name"]}


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_and_worker_render_it(settings, community, facilitator_user):
    settings.SMM_PRERENDER_REPORTS = True
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    assessment = make_round(community, finalise=False)
    workshop.round_finalise(assessment=assessment, next_review_due=DUE, by=facilitator_user)
    assessment.refresh_from_db()
    name = stored_report_name(assessment)
    task = DBTaskResult.objects.get(task_path="assessments.tasks.render_round_report")
    assert not default_storage.exists(name)  # queued by the request, not run in it

    call_command(
        "db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0
    )

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert default_storage.exists(name)
