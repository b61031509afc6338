"""Services for private scoring: autosave one dimension, submit a sheet, enter a paper sheet.

Autosave writes exactly one IndividualScore row per request, so two tabs or two devices editing
different dimensions never overwrite each other; the same dimension edited twice is simply
"last save wins", never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    AuditEvent,
    Dimension,
    IndividualScore,
    Participant,
    audit,
)

if TYPE_CHECKING:
    from communities.models import User


class CollectionClosed(Exception):
    """The round is not collecting private scores (any more, or yet)."""


@dataclass(frozen=True)
class Answer:
    level: int | None
    not_sure: bool
    reason: str


def _ensure_collecting(participant: Participant) -> None:
    if not participant.assessment.is_collecting:
        raise CollectionClosed(participant.assessment.get_status_display())


def _store_answer(
    *, participant: Participant, dimension: Dimension, answer: Answer
) -> IndividualScore:
    """Write one dimension's answer; the one place that refuses another rubric's dimension."""
    if dimension.rubric_id != participant.assessment.rubric_id:
        raise ValueError("dimension of another rubric")
    score = IndividualScore(
        participant=participant,
        dimension=dimension,
        level=None if answer.not_sure else answer.level,
        not_sure=answer.not_sure,
        reason=answer.reason,
    )
    # One INSERT ... ON CONFLICT DO UPDATE: two tabs saving the same dimension at once both
    # succeed (last one wins) without a SELECT ... FOR UPDATE first.
    IndividualScore.objects.bulk_create(
        [score],
        update_conflicts=True,
        unique_fields=["participant", "dimension"],
        update_fields=["level", "not_sure", "reason", "updated_at"],
    )
    return score


@transaction.atomic
def score_autosave(
    *, participant: Participant, dimension: Dimension, answer: Answer
) -> IndividualScore:
    """Save one dimension of a draft (or of a submitted sheet, until collection closes).

    `participant.draft_saved_at` marks the first save (the "saved a draft" status); each
    answer's own `updated_at` records its latest save.
    """
    _ensure_collecting(participant)
    score = _store_answer(participant=participant, dimension=dimension, answer=answer)
    if participant.draft_saved_at is None:
        now = timezone.now()
        Participant.objects.filter(pk=participant.pk, draft_saved_at__isnull=True).update(
            draft_saved_at=now
        )
        participant.draft_saved_at = now
    return score


@dataclass(frozen=True)
class SubmitResult:
    submitted: bool
    missing: list[Dimension]
    first_time: bool


@transaction.atomic
def sheet_submit(*, participant: Participant) -> SubmitResult:
    """Submit when every dimension has a level or "not sure"; otherwise say which are blank.

    A second submit (double click, second tab) changes nothing: one submission, first time kept.
    """
    locked = Participant.objects.select_for_update().get(pk=participant.pk)
    _ensure_collecting(participant)
    answered = set(
        IndividualScore.objects.filter(participant=locked)
        .exclude(level__isnull=True, not_sure=False)
        .values_list("dimension_id", flat=True)
    )
    missing = [
        d
        for d in Dimension.objects.filter(rubric_id=participant.assessment.rubric_id)
        if d.pk not in answered
    ]
    if missing:
        return SubmitResult(submitted=False, missing=missing, first_time=False)
    first_time = locked.submitted_at is None
    if first_time:
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["submitted_at"])
    participant.submitted_at = locked.submitted_at
    return SubmitResult(submitted=True, missing=[], first_time=first_time)


class PaperEntryRefused(Exception):
    """The participant already answered online; a facilitator must not overwrite (or see) it."""


@transaction.atomic
def paper_sheet_enter(
    *, participant: Participant, answers: Mapping[Dimension, Answer], by: User
) -> None:
    """Type in a paper sheet on someone's behalf; marked and audited as "entered by X for Y"."""
    locked = Participant.objects.select_for_update().get(pk=participant.pk)
    locked.assessment = participant.assessment  # already loaded; spares a query per answer
    _ensure_collecting(participant)
    if locked.entered_by_id is None and (locked.draft_saved_at or locked.submitted_at):
        raise PaperEntryRefused
    for dimension, answer in answers.items():
        _store_answer(participant=locked, dimension=dimension, answer=answer)
    now = timezone.now()
    locked.entered_by = by
    locked.submitted_at = locked.submitted_at or now
    locked.draft_saved_at = now
    locked.save(update_fields=["entered_by", "submitted_at", "draft_saved_at"])
    participant.entered_by = by
    participant.submitted_at = locked.submitted_at
    participant.draft_saved_at = now
    audit(
        verb=AuditEvent.Verb.PAPER_ENTRY,
        summary=_("Paper sheet entered by %(user)s for %(name)s")
        % {"user": by, "name": participant.stakeholder.name},
        actor=by,
        assessment=participant.assessment,
        detail={"participant": str(participant.code)},
    )
