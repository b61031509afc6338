"""The evaluator pack as a background job: start, progress, download, reuse, failure, access,
the PDF read back, and the constant query count of its data."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from assessments.models import AuditEvent, ReportJob
from assessments.pack_jobs import pack_job_start
from assessments.reports import pdf
from assessments.reports.pack import pack_data
from communities.models import Nation, User
from tests.assessments.test_reports_data import BASELINE_LEVELS, make_round, reason_for
from tests.factories import CommunityFactory, FocalIssueFactory

START = reverse("assessments:pack_start")


def text_of(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def job_url(job: ReportJob, name: str = "assessments:pack_job") -> str:
    return reverse(name, kwargs={"code": job.code})


def download(client, job: ReportJob) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(job_url(job, "assessments:pack_download"))
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


@pytest.fixture
def two_communities(baseline, other_community):  # type: ignore[no-untyped-def]
    make_round(other_community, title="2023 baseline", levels=[4] * 9)
    return baseline


# Lifecycle ---------------------------------------------------------------------------------------


def test_start_renders_in_the_background_and_the_page_offers_the_download(
    evaluator, evaluator_user, two_communities
):
    response = evaluator.post(START)
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert job.requested_by == evaluator_user
    assert job.status == ReportJob.Status.DONE  # the immediate backend ran it
    assert job.done == job.total > 0
    assert job.pages >= 4  # cover, contents, heatmap, one per community
    page = evaluator.get(job_url(job))
    html = page.content.decode()
    assert "The pack is ready" in html
    assert job_url(job, "assessments:pack_download") in html
    assert 'role="status"' in html and 'aria-live="polite"' in html
    assert "data-hx-trigger" not in html  # finished: no more polling

    content = download(evaluator, job)
    assert content.startswith(b"%PDF")
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.EXPORTED)
    assert event.actor == evaluator_user and event.detail["job"] == str(job.code)


def test_download_is_an_attachment_named_by_date(evaluator, two_communities):
    evaluator.post(START)
    job = ReportJob.objects.get()
    response = evaluator.get(job_url(job, "assessments:pack_download"))
    stamp = job.created_at.astimezone().date().isoformat()
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="smm-evaluator-pack-{stamp}.pdf"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")


def test_queued_job_page_shows_progress_and_polls(evaluator, evaluator_user):
    job = ReportJob.objects.create(
        requested_by=evaluator_user, filters={}, filters_key="k", total=16, done=4
    )
    job.status = ReportJob.Status.RUNNING
    job.save()
    html = evaluator.get(job_url(job)).content.decode()
    assert (
        '<progress class="pack-progress d-block w-100" id="pack-progress-bar" max="100" value="25">'
        in html
    )
    assert "25 % done (4 of 16 parts)" in html
    assert 'data-hx-trigger="every 1s"' in html
    assert '<label class="form-label" for="pack-progress-bar">' in html
    assert f'href="{job_url(job)}">Check again</a>' in html  # works without JavaScript
    # The htmx poll gets only the partial.
    partial = evaluator.get(job_url(job), headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="pack-progress"')
    assert "<html" not in partial
    # Not ready yet: the download link sends the user back to the progress page.
    response = evaluator.get(job_url(job, "assessments:pack_download"))
    assert response.status_code == 302 and response["Location"] == job_url(job)


def test_starting_again_while_running_reuses_the_job(evaluator, evaluator_user, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    first = evaluator.post(START, {"nation": Nation.ENGLAND})
    second = evaluator.post(START, {"nation": Nation.ENGLAND})
    assert first["Location"] == second["Location"]
    assert ReportJob.objects.count() == 1
    # Other filters are another pack.
    third = evaluator.post(START, {"nation": Nation.WALES})
    assert third["Location"] != first["Location"]
    assert ReportJob.objects.active().count() == 2


def test_a_finished_job_is_not_reused(evaluator, two_communities):
    evaluator.post(START)
    evaluator.post(START)
    assert ReportJob.objects.filter(status=ReportJob.Status.DONE).count() == 2


def test_a_stale_running_job_is_failed_and_replaced(evaluator_user):
    from datetime import timedelta

    from django.utils import timezone

    job, created = pack_job_start(user=evaluator_user, filters={})
    assert created
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJob.Status.RUNNING, updated_at=timezone.now() - timedelta(hours=1)
    )
    again, created = pack_job_start(user=evaluator_user, filters={})
    assert created and again.pk != job.pk
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED and "stopped making progress" in job.error


def test_failure_is_recorded_and_shown(evaluator, two_communities, monkeypatch):
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(pdf, "evaluator_pack_pdf", broken)
    evaluator.post(START)
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.FAILED
    assert "could not be rendered" in job.error and "RuntimeError" in job.error
    assert job.finished_at is not None and not job.file_name
    html = evaluator.get(job_url(job)).content.decode()
    assert "The pack could not be made." in html
    assert 'role="alert"' in html
    assert "Try again" in html and "data-hx-trigger" not in html
    assert evaluator.get(job_url(job, "assessments:pack_download")).status_code == 302


def test_bad_filter_is_400_with_a_message(evaluator):
    response = evaluator.post(START, {"nation": "mars"})
    assert response.status_code == 400
    assert b"Unknown filter value" in response.content
    assert not ReportJob.objects.exists()


# Access -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona,status", [("facilitator", 403), ("other_facilitator", 403), ("anonymous", 302)]
)
def test_only_evaluators_start_a_pack(request, persona, status, db):
    client = request.getfixturevalue(persona)
    response = client.post(START)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    assert not ReportJob.objects.exists()


def test_start_needs_post(evaluator):
    assert evaluator.get(START).status_code == 405


@pytest.mark.parametrize("persona", ["facilitator", "other_facilitator", "admin"])
@pytest.mark.parametrize("name", ["assessments:pack_job", "assessments:pack_download"])
def test_a_job_is_visible_only_to_who_asked(request, persona, name, evaluator, two_communities):
    evaluator.post(START)
    job = ReportJob.objects.get()
    client = request.getfixturevalue(persona)
    assert client.get(job_url(job, name)).status_code == 404


def test_another_evaluator_gets_404(evaluator, two_communities):
    from django.test import Client

    from tests.factories import UserFactory

    evaluator.post(START)
    job = ReportJob.objects.get()
    other = Client()
    other.force_login(UserFactory(username="eval2", role="evaluator"))
    assert other.get(job_url(job)).status_code == 404
    assert other.get(job_url(job, "assessments:pack_download")).status_code == 404


@pytest.mark.parametrize("name", ["assessments:pack_job", "assessments:pack_download"])
def test_anonymous_and_link_holders_are_sent_to_log_in(anonymous, evaluator_user, name):
    job, _ = pack_job_start(user=evaluator_user, filters={})
    response = anonymous.get(job_url(job, name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_admin_may_start_their_own_pack(admin, two_communities):
    response = admin.post(START)
    assert response.status_code == 302
    assert admin.get(response["Location"]).status_code == 200


# The PDF ---------------------------------------------------------------------------------------


def test_pack_has_every_community_the_heatmap_and_no_names(evaluator, two_communities):
    evaluator.post(START)
    job = ReportJob.objects.get()
    content = download(evaluator, job)
    reader = PdfReader(io.BytesIO(content))
    text = text_of(content)
    assert "Evaluator pack" in text
    assert "Halton" in text and "Bolsover" in text
    assert "Communities compared: agreed levels" in text
    # Heatmap tiles and radar axes are vector drawing, not pictures.
    for page in reader.pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        assert all(x.get_object().get("/Subtype") != "/Image" for x in xobjects.values())
    assert reason_for("Vision")[:40] in text
    assert "Next step:" in text
    for participant in two_communities.participants.select_related("stakeholder"):
        assert participant.stakeholder.name not in text
    assert "private reason" not in text
    assert reader.metadata.title == "System Maturity Model: evaluator pack"
    assert reader.trailer["/Root"]["/Lang"] == "en-gb"


def test_pack_charts_draw_straight_onto_the_page(evaluator_user, two_communities):
    """Anchored SVG text and SVG opacity make WeasyPrint draw into a group of its own (a form
    XObject) per label: slow to lay out and join for hundreds of pages. The pack's radar and
    heatmap have none, and still say what they show."""
    rendered = pdf.evaluator_pack_pdf(evaluator_user)
    reader = PdfReader(io.BytesIO(rendered.content))
    for page in reader.pages:
        assert not (page.get("/Resources") or {}).get("/XObject")
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert "Bolsover" in pages[1] and "Accountability" in pages[1]
    assert "Agreed level" in pages[-1]


def test_pack_heatmap_shortens_only_long_names(evaluator_user, two_communities):
    two_communities.community.name = "Newcastle upon Tyne, Gateshead and North Tyneside"
    two_communities.community.save()
    rendered = pdf.evaluator_pack_pdf(evaluator_user)
    pages = [
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(rendered.content)).pages
    ]
    assert "…" in pages[1] and "North Tyneside" not in pages[1] and "Bolsover" in pages[1]
    assert "Newcastle upon Tyne, Gateshead and North Tyneside" in pages[2]  # the contents


def test_pack_pages_contents_and_page_numbers(evaluator_user, two_communities):
    rendered = pdf.evaluator_pack_pdf(evaluator_user)
    reader = PdfReader(io.BytesIO(rendered.content))
    assert rendered.communities == 2 and rendered.pages == len(reader.pages)
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    # Front matter numbered i, ii, iii: the cover, the comparison (ii), the contents; then
    # Bolsover and Halton (alphabetical) on pages 1 and 2, as the contents say.
    assert pages[1].startswith("Communities compared") and pages[1].endswith("only ii")
    contents = pages[2]
    assert contents.endswith("iii")
    assert "Communities compared: agreed levels ii" in contents
    assert "Bolsover 2023 baseline Domestic abuse 1" in contents
    assert "Halton 2022 baseline Homelessness and housing 2" in contents
    assert "Bolsover" in pages[-2] and pages[-2].endswith("only 1")
    assert "Halton" in pages[-1] and pages[-1].endswith("only 2")
    # Each community page: its levels and the short why.
    for level, name in zip(
        BASELINE_LEVELS[:3], ["Vision", "Collaboration", "Accountability"], strict=True
    ):
        assert f"{name} {level}" in pages[-1]


def test_pack_is_laid_out_chunk_by_chunk_with_progress_and_page_numbers(
    evaluator_user, two_communities, monkeypatch
):
    """Each chunk of community pages is a step of the job's progress, numbered on from the
    last; the front matter in roman numerals."""
    monkeypatch.setattr(pdf, "PACK_CHUNK", 1)
    steps: list[tuple[int, int]] = []
    rendered = pdf.evaluator_pack_pdf(evaluator_user, progress=lambda d, n: steps.append((d, n)))
    assert steps == [(0, 3), (1, 3), (2, 3), (3, 3)]  # front matter + one chunk per community
    reader = PdfReader(io.BytesIO(rendered.content))
    assert rendered.pages == len(reader.pages)
    # The cover carries no number; the comparison and contents are ii and iii.
    footers = [page.extract_text().split()[-1] for page in reader.pages]
    assert footers[1:] == ["ii", "iii", "1", "2"]
    assert reader.trailer["/Root"]["/Lang"] == "en-gb"


def test_pack_respects_filters(evaluator, two_communities, other_community):
    other_community.nation = Nation.WALES
    other_community.save()
    evaluator.post(START, {"nation": Nation.WALES})
    job = ReportJob.objects.get()
    text = text_of(download(evaluator, job))
    assert "Bolsover" in text and "Halton" not in text
    assert "Nation: Wales" in text


def test_empty_pack_says_so(evaluator):
    evaluator.post(START)
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.DONE
    assert "No finalised rounds match these filters." in text_of(download(evaluator, job))


# Data: a constant number of queries -------------------------------------------------------------


def _communities(start: int, n: int) -> None:
    for i in range(start, start + n):
        community = CommunityFactory(name=f"Place {i}", slug=f"place-{i}")
        FocalIssueFactory(community=community)
        base = make_round(community, participants=1)
        make_round(community, title="2024 review", kind="review", previous=base, participants=1)


def _queries(user) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        data = pack_data(user)
    return len(ctx), data


def test_pack_data_queries_do_not_grow_with_communities(evaluator_user, db):
    _communities(0, 1)
    _queries(evaluator_user)  # the rubric's text is read once per process
    one, data = _queries(evaluator_user)
    assert len(data.entries) == 1
    _communities(1, 4)
    five, data = _queries(evaluator_user)
    assert len(data.entries) == 5
    assert one == five
    entry = data.entries[0]
    assert entry.report.previous is not None and entry.report.previous.title == "2022 baseline"
    assert [row.previous_level for row in entry.report.rows] == BASELINE_LEVELS
    assert entry.report.participation.submitted == 1
    assert [row.number for row in entry.report.priorities] == [4, 6]
    assert all(row.actions for row in entry.report.priorities)


# The real queue: database backend and db_worker -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_database_queue_and_db_worker_render_the_pack(settings, evaluator_user, community):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    make_round(community)
    from django.test import Client

    client = Client()
    client.force_login(evaluator_user)
    client.post(START)
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.QUEUED  # stored, not run, by the web request
    task = DBTaskResult.objects.get()
    assert task.task_path == "assessments.tasks.render_evaluator_pack"
    assert job.task_id == str(task.id)
    html = client.get(job_url(job)).content.decode()
    assert "Waiting for a free worker" in html and 'data-hx-trigger="every 1s"' in html

    call_command(
        "db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0
    )

    job.refresh_from_db()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert job.status == ReportJob.Status.DONE and job.pages >= 3
    assert "Halton" in text_of(download(client, job))


def test_an_evaluator_made_facilitator_loses_their_packs(
    evaluator, evaluator_user, two_communities
):
    evaluator.post(START)
    job = ReportJob.objects.get()
    evaluator_user.role = User.Role.FACILITATOR
    evaluator_user.save()
    assert evaluator.get(job_url(job)).status_code == 403
    assert (
        evaluator.get(reverse("assessments:pack_download", kwargs={"code": job.code})).status_code
        == 403
    )
