"""Services for private scoring: autosave one dimension, submit a sheet, enter a paper sheet.

Autosave writes exactly one IndividualScore row per request, so two tabs or two devices editing
different dimensions never overwrite each other; the same dimension edited twice is simply
"last save wins", never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Stakeholder
from smm_site.db import prepare

from .models import (
    Assessment,
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


def _commit_without_waiting_for_disk() -> None:
    """Let this transaction's COMMIT return before PostgreSQL has flushed it to disk.

    Autosave runs at every pause in typing, and waiting for the disk is most of its time (one
    fsync, several milliseconds, while a web worker sits idle). Without the wait, a crash of
    the database server itself (not of the app) can lose the autosaves of its last fraction of a
    second (at most 3 x wal_writer_delay, 0.6 s by default); the database stays consistent,
    and the person's page still holds the text. Submitting waits as usual, and its flush makes
    every earlier autosave durable too. Nothing changes on other databases.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@transaction.atomic
def score_autosave(
    *, participant: Participant, dimension: Dimension, answer: Answer
) -> IndividualScore:
    """Save one dimension of a draft (or of a submitted sheet, until collection closes).

    `participant.draft_saved_at` marks the first save (the "saved a draft" status); each
    answer's own `updated_at` records its latest save.
    """
    _ensure_collecting(participant)
    _commit_without_waiting_for_disk()
    score = _store_answer(participant=participant, dimension=dimension, answer=answer)
    if participant.draft_saved_at is None:
        now = timezone.now()
        Participant.objects.filter(pk=participant.pk, draft_saved_at__isnull=True).update(
            draft_saved_at=now
        )
        participant.draft_saved_at = now
    return score


@dataclass(frozen=True)
class QuickSave:
    at: datetime
    answered: int  # the sheet's dimensions with a level or "not sure", this one included
    rubric_id: int


def quick_autosave(*, token_hash: str, dimension_id: int, answer: Answer) -> QuickSave | None:
    """``score_autosave`` for the common case, in one statement and one round trip.

    Autosave is the busiest write (every pause in typing, for every stakeholder at once), and
    the usual path takes six round trips: the link, BEGIN, SET LOCAL, the upsert, COMMIT, the
    count. Here one prepared statement (``_QUICK_SAVE``) finds the participant by their link's
    hash only if their round is collecting, the stakeholder is not erased and the dimension is
    the round's rubric's, then saves the answer (as ``_store_answer``), marks the first draft
    and counts the answered dimensions; and, sent in the same string, ``SET LOCAL`` makes its
    implicit transaction not wait for the disk (``_commit_without_waiting_for_disk``).

    None when it saved nothing (an unknown, revoked or erased link, a closed round, another
    rubric's dimension): the caller then takes the usual path, which says why. PostgreSQL
    only (None elsewhere).
    """
    if connection.vendor != "postgresql":
        return None
    now = timezone.now()
    level = None if answer.not_sure else answer.level
    params: list[Any] = [dimension_id, token_hash, Assessment.Status.COLLECTING, level]
    params += [answer.not_sure, answer.reason, now]
    with connection.cursor() as cursor:
        prepare(cursor, "smm_quick_save", _QUICK_SAVE)
        cursor.execute(
            "SET LOCAL synchronous_commit TO OFF; "
            "EXECUTE smm_quick_save (%s, %s, %s, %s, %s, %s, %s)",
            params,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    rubric_id, others = row
    this_one = answer.level is not None or answer.not_sure
    return QuickSave(at=now, answered=others + int(this_one), rubric_id=rubric_id)


# Prepared once per database connection (smm_site.db): planning this statement takes
# PostgreSQL longer than running it. Table names come from the models.
_QUICK_SAVE = f"""
    (bigint, varchar, varchar, smallint, boolean, text, timestamptz) AS
    WITH target AS (
        SELECT p.id, p.draft_saved_at, a.rubric_id
        FROM {Participant._meta.db_table} p
        JOIN {Assessment._meta.db_table} a ON a.id = p.assessment_id
        JOIN {Stakeholder._meta.db_table} s ON s.id = p.stakeholder_id
        JOIN {Dimension._meta.db_table} d ON d.id = $1 AND d.rubric_id = a.rubric_id
        WHERE p.token_hash = $2 AND a.status = $3 AND s.erased_at IS NULL
    ), saved AS (
        INSERT INTO {IndividualScore._meta.db_table}
            (participant_id, dimension_id, level, not_sure, reason, updated_at)
        SELECT id, $1, $4, $5, $6, $7 FROM target
        ON CONFLICT (participant_id, dimension_id) DO UPDATE SET level = EXCLUDED.level,
            not_sure = EXCLUDED.not_sure, reason = EXCLUDED.reason,
            updated_at = EXCLUDED.updated_at
        RETURNING participant_id
    ), drafted AS (
        UPDATE {Participant._meta.db_table} SET draft_saved_at = $7
        WHERE id IN (SELECT participant_id FROM saved) AND draft_saved_at IS NULL
    )
    SELECT target.rubric_id, (
        -- The statement sees the table as it was before it: this dimension's answer is
        -- counted from what was just saved, the others from the table.
        SELECT count(*) FROM {IndividualScore._meta.db_table} i
        WHERE i.participant_id = target.id AND i.dimension_id <> $1
            AND (i.level IS NOT NULL OR i.not_sure)
    )
    FROM target WHERE EXISTS (SELECT 1 FROM saved)
"""  # noqa: S608


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
