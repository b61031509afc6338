"""Autosave's one-statement path (scoring.quick_autosave) saves exactly what the usual path
saves, and leaves every case it does not handle to the usual path, answered the same way."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.forms.scoring import NOT_SURE
from assessments.models import (
    Assessment,
    Dimension,
    IndividualScore,
    Participant,
    Rubric,
    hash_token,
)
from assessments.scoring import Answer, quick_autosave
from tests.assessments.test_stakeholder import HTMX, dims, save, save_url

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the one-statement path is PostgreSQL's"
)


@pytest.fixture
def collecting(participant: Participant) -> Participant:
    Assessment.objects.filter(pk=participant.assessment_id).update(status="collecting")
    participant.refresh_from_db()
    return participant


def _other_rubrics_dimension() -> Dimension:
    rubric = Rubric.objects.create(version="test-other", name="Another model")
    return Dimension.objects.create(rubric=rubric, number=1, name="Elsewhere")


def _quick(participant: Participant, dim: Dimension, answer: Answer):  # type: ignore[no-untyped-def]
    return quick_autosave(
        token_hash=hash_token(participant.token), dimension_id=dim.pk, answer=answer
    )


def _answered_text(response) -> str:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    assert 'id="progress"' in html, html
    return html.split('id="progress"', 1)[1]


@postgres_only
def test_it_saves_marks_the_draft_and_counts(collecting):
    d = dims(collecting)
    assert collecting.draft_saved_at is None
    first = _quick(collecting, d[0], Answer(level=3, not_sure=False, reason="we share data"))
    assert first is not None and first.answered == 1
    assert first.rubric_id == collecting.assessment.rubric_id
    score = IndividualScore.objects.get(participant=collecting, dimension=d[0])
    assert (score.level, score.not_sure, score.reason) == (3, False, "we share data")
    assert score.updated_at == first.at
    collecting.refresh_from_db()
    assert collecting.draft_saved_at == first.at

    # "Not sure" counts as answered; a cleared answer does not; saving again replaces.
    not_sure = _quick(collecting, d[1], Answer(level=None, not_sure=True, reason=""))
    assert not_sure is not None and not_sure.answered == 2
    cleared = _quick(collecting, d[0], Answer(level=None, not_sure=False, reason=""))
    assert cleared is not None and cleared.answered == 1
    assert IndividualScore.objects.get(participant=collecting, dimension=d[0]).level is None
    assert IndividualScore.objects.filter(participant=collecting).count() == 2
    collecting.refresh_from_db()
    assert collecting.draft_saved_at == first.at  # the first draft's time stays


@postgres_only
def test_it_saves_nothing_where_the_usual_path_refuses(collecting, other_round_participant):
    d = dims(collecting)
    answer = Answer(level=2, not_sure=False, reason="")
    assert _quick(collecting, _other_rubrics_dimension(), answer) is None
    unknown = hash_token("nope")
    assert quick_autosave(token_hash=unknown, dimension_id=d[0].pk, answer=answer) is None
    for status in ("draft", "workshop"):
        Assessment.objects.filter(pk=other_round_participant.assessment_id).update(status=status)
        assert _quick(other_round_participant, d[0], answer) is None
    stakeholder = collecting.stakeholder
    stakeholder.erased_at = timezone.now()
    stakeholder.save()
    assert _quick(collecting, d[0], answer) is None
    assert not IndividualScore.objects.exists()


@postgres_only
def test_an_htmx_autosave_is_one_statement(anonymous, collecting):
    d = dims(collecting)
    save(anonymous, collecting, d[0], "4")  # prepares the statement on this connection
    with CaptureQueriesContext(connection) as queries:
        response = save(anonymous, collecting, d[1], NOT_SURE)
    assert response.status_code == 200
    assert len(queries) == 1
    assert "EXECUTE smm_quick_save" in queries[0]["sql"]
    assert "2 of 9" in _answered_text(response)


def test_the_answer_is_the_same_on_either_path(anonymous, collecting):
    """Run on both databases: SQLite takes the usual path, PostgreSQL the quick one."""
    d = dims(collecting)
    assert "1 of 9" in _answered_text(save(anonymous, collecting, d[0], "4", "a reason"))
    assert "2 of 9" in _answered_text(save(anonymous, collecting, d[1], NOT_SURE))
    assert "1 of 9" in _answered_text(save(anonymous, collecting, d[1], ""))
    collecting.refresh_from_db()
    assert collecting.draft_saved_at is not None
    assert IndividualScore.objects.get(participant=collecting, dimension=d[0]).reason == "a reason"


def test_refusals_are_answered_as_before(anonymous, collecting, other_round_participant):
    d = dims(collecting)
    # A closed round: 409, nothing saved.
    Assessment.objects.filter(pk=collecting.assessment_id).update(status="workshop")
    response = save(anonymous, collecting, d[0], "4", "kept text")
    assert response.status_code == 409
    Assessment.objects.filter(pk=collecting.assessment_id).update(status="collecting")
    # Another rubric's dimension: 400 with the form's message.
    foreign = _other_rubrics_dimension()
    response = Client().post(
        save_url(collecting.token), {"dimension": foreign.pk, "level": "3"}, **HTMX
    )
    assert response.status_code == 400
    assert "not part of this round" in response.content.decode()
    # An unknown link: 404.
    response = Client().post(save_url("x" * 43), {"dimension": d[0].pk, "level": "3"}, **HTMX)
    assert response.status_code == 404
    # A level out of range: 400, and the usual path's message.
    response = save(anonymous, collecting, d[0], "7")
    assert response.status_code == 400
    assert not IndividualScore.objects.exists()


def test_the_saved_note_has_the_local_time_and_this_sheet_s_count(anonymous, collecting):
    """The note is rendered once per time and count (stakeholder._saved_html), never reused
    for another count."""
    d = dims(collecting)
    first = save(anonymous, collecting, d[0], "4").content.decode()
    second = save(anonymous, collecting, d[1], "2").content.decode()
    saved = IndividualScore.objects.get(participant=collecting, dimension=d[1]).updated_at
    assert f"Saved at {timezone.localtime(saved):%H:%M}" in second
    assert "1 of 9" in first and "2 of 9" in second
