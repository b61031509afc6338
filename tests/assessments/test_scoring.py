"""Scoring services: autosave, submit and paper entry, called directly."""

from __future__ import annotations

import pytest

from assessments.models import Dimension, IndividualScore, Rubric
from assessments.scoring import (
    Answer,
    CollectionClosed,
    PaperEntryRefused,
    paper_sheet_enter,
    score_autosave,
    sheet_submit,
)
from tests.factories import submit_sheet

pytestmark = pytest.mark.django_db


def test_autosave_touches_only_its_dimension(participant):
    d1, d2 = participant.assessment.rubric.dimensions.order_by("number")[:2]
    IndividualScore.objects.create(participant=participant, dimension=d2, level=2, reason="keep me")
    score_autosave(
        participant=participant, dimension=d1, answer=Answer(level=4, not_sure=False, reason="r")
    )
    assert IndividualScore.objects.get(dimension=d2).reason == "keep me"
    score_autosave(
        participant=participant, dimension=d1, answer=Answer(level=None, not_sure=True, reason="")
    )
    score = IndividualScore.objects.get(dimension=d1)
    assert score.level is None and score.not_sure
    participant.refresh_from_db()
    assert participant.draft_saved_at is not None


def test_autosave_refuses_other_rubric_and_closed_rounds(participant):
    foreign = Dimension.objects.create(
        rubric=Rubric.objects.create(version="0.1", name="Draft"),
        number=1,
        name="F",
        sheet_label="F",
    )
    with pytest.raises(ValueError):
        score_autosave(participant=participant, dimension=foreign, answer=Answer(3, False, ""))
    participant.assessment.close_collection()
    own = participant.assessment.rubric.dimensions.first()
    with pytest.raises(CollectionClosed):
        score_autosave(participant=participant, dimension=own, answer=Answer(3, False, ""))
    assert not IndividualScore.objects.exists()


def test_submit_names_missing_dimensions_then_submits_once(participant):
    submit_sheet(participant, [3] * 7, submitted=False)
    result = sheet_submit(participant=participant)
    assert not result.submitted
    assert [d.number for d in result.missing] == [8, 9]
    for dim in participant.assessment.rubric.dimensions.filter(number__gte=8):
        score_autosave(participant=participant, dimension=dim, answer=Answer(None, True, ""))
    first = sheet_submit(participant=participant)
    second = sheet_submit(participant=participant)
    assert first.submitted and first.first_time
    assert second.submitted and not second.first_time
    participant.refresh_from_db()
    assert participant.submitted_at is not None


def test_reason_only_is_not_an_answer(participant):
    for dim in participant.assessment.rubric.dimensions.all():
        score_autosave(participant=participant, dimension=dim, answer=Answer(None, False, "words"))
    assert len(sheet_submit(participant=participant).missing) == 9


def test_paper_entry_refused_over_an_online_sheet(participant, facilitator_user):
    dim = participant.assessment.rubric.dimensions.first()
    score_autosave(participant=participant, dimension=dim, answer=Answer(2, False, "mine"))
    participant.refresh_from_db()
    with pytest.raises(PaperEntryRefused):
        paper_sheet_enter(
            participant=participant, answers={dim: Answer(5, False, "")}, by=facilitator_user
        )
    assert IndividualScore.objects.get().level == 2
