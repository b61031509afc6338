"""The consensus workshop: reading the anonymised spread, recording agreed scores, priorities,
finalising and reopening.

Reads (`analysis_rows`, `presenter_context`) are built from the anonymous selectors only, so no
function here can hand a named score to a template. Writes are typed keyword-only services in
`transaction.atomic` that refuse to touch a finalised round and write an audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from communities.models import SectorGroup

from . import workshop_html
from .aggregation import LEVELS, Spread, bar_percentages, suppress_small_groups
from .aggregation import median as median_of
from .aggregation import shift as shift_of
from .aggregation import spread as spread_of
from .models import (
    LEVEL_LABELS,
    Assessment,
    AuditEvent,
    ConsensusScore,
    Dimension,
    IndividualScore,
    LevelDescriptor,
    Participant,
    PriorityAction,
    audit,
)
from .rubric_texts import dimension_name
from .selectors import (
    ScoreRow,
    anonymous_reasons,
    levels_by_sector_group,
    submitted_scores,
)
from .sheet import local_cache
from .tasks import prerender_round_report

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User

    Actor = User | AnonymousUser


class WorkshopError(Exception):
    """A workshop write that is not allowed now; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ConsensusConflict(Exception):
    """Someone else saved this dimension after the form was loaded."""

    def __init__(self, current: ConsensusScore) -> None:
        super().__init__("consensus version moved on")
        self.current = current


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    level: int
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class GroupRow:
    label: str
    respondents: int
    median: float | None
    counts: list[int]


@dataclass
class DimensionRow:
    dimension: Dimension
    spread: Spread
    bars: list[Bar]
    reasons: list[str] = field(default_factory=list)
    # None when suppressed (a group under MIN_GROUP_SIZE, or fewer than two groups answered).
    groups: list[GroupRow] | None = None
    consensus: ConsensusScore | None = None
    previous: ConsensusScore | None = None

    @property
    def reasons_html(self) -> SafeString:
        """The reasons as list items (their line breaks kept by CSS): a round of forty people
        has 360 of them, too many for a template loop to be cheap."""
        return mark_safe("".join(f"<li>{escape(reason)}</li>" for reason in self.reasons))  # noqa: S308

    @property
    def spread_html(self) -> SafeString:
        """The spread as a bar chart and the same numbers as a table, named in the page's
        language (assessments/workshop_html.py)."""
        return workshop_html.spread_html(self, dimension_name(self.dimension))

    @property
    def bars_svg(self) -> SafeString:
        """The spread's bars, one row of 10 units per level; only numbers go in, so nothing
        needs escaping."""
        rows = (
            f'<text class="spread-label" x="0" y="{y + 7}">{bar.level}</text>'
            f'<rect class="spread-bar" x="10" y="{y + 1}" height="8" width="{bar.percent}"></rect>'
            f'<text class="spread-count" x="{bar.percent + 12}" y="{y + 7}">{bar.count}</text>'
            for y, bar in zip(range(0, 10 * len(self.bars), 10), self.bars, strict=True)
        )
        return mark_safe("".join(rows))  # noqa: S308 - integers only

    @property
    def shift(self) -> float | None:
        return shift_of(self.consensus.level if self.consensus else None, self.spread.median)

    @property
    def shift_display(self) -> str:
        value = self.shift
        if value is None:
            return ""
        text = f"{abs(value):g}"
        return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else "0")


def level_label(level: int) -> str:
    label = LEVEL_LABELS.get(level)
    return f"{level} – {label}" if label else str(level)


def _bars(spread: Spread, labels: dict[int, str] | None = None) -> list[Bar]:
    """`labels`: level_label() of each level, when the caller has them already."""
    percents = bar_percentages(spread.counts)
    labels = labels or {level: level_label(level) for level in spread.counts}
    return [
        Bar(level=level, label=labels[level], count=count, percent=percents[level])
        for level, count in spread.counts.items()
    ]


def _groups(grouped: dict[str, list[int]] | None) -> list[GroupRow] | None:
    shown = suppress_small_groups(grouped or {})
    if shown is None:
        return None
    order = [g.value for g in SectorGroup] + ["other"]
    rows = []
    for key in sorted(shown, key=lambda k: order.index(k) if k in order else len(order)):
        levels = list(shown[key])
        label = SectorGroup(key).label if key in SectorGroup.values else _("Other")
        rows.append(
            GroupRow(
                label=str(label),
                respondents=len(levels),
                median=median_of(levels),
                counts=[levels.count(level) for level in range(1, 6)],
            )
        )
    return rows


def submitted_count(assessment: Assessment) -> int:
    return Participant.objects.filter(assessment=assessment).submitted().count()


def rubric_dimensions(rubric_id: int, *, levels: bool = False) -> list[Dimension]:
    """A rubric's dimensions in order (with their levels prefetched when `levels`), kept in
    this process like the sheet's rendering of the rubric (assessments/sheet.py says why that
    is safe: a rubric's dimensions and levels never change once loaded). Every workshop page
    and poll reads them; from the process's memory they cost a tenth of a query."""
    key = f"workshop-dimensions:{rubric_id}:{int(levels)}"
    dimensions: list[Dimension] | None = local_cache.get(key)
    if dimensions is None:
        found = Dimension.objects.filter(rubric_id=rubric_id).order_by("number")
        if levels:
            found = found.prefetch_related(
                Prefetch("levels", queryset=LevelDescriptor.objects.order_by("level"))
            )
        dimensions = list(found)
        local_cache.set(key, dimensions)
    return dimensions


def dimensions_of(assessment: Assessment) -> list[Dimension]:
    return rubric_dimensions(assessment.rubric_id, levels=True)


def consensus_by_number(assessment: Assessment | None) -> dict[int, ConsensusScore]:
    if assessment is None:
        return {}
    scores = ConsensusScore.objects.filter(assessment=assessment).select_related("dimension")
    return {score.dimension.number: score for score in scores}


def _spreads(scores: list[ScoreRow], numbers: Iterable[int]) -> dict[int, Spread]:
    """Per dimension number, the spread of the submitted scores (selectors.round_spreads
    without reading the rubric's dimension numbers again)."""
    levels: dict[int, list[int]] = {n: [] for n in numbers}
    not_sure = dict.fromkeys(levels, 0)
    for number, level, is_not_sure, _reason, _sector in scores:
        if number not in levels:
            continue
        if level is not None:
            levels[number].append(level)
        elif is_not_sure:
            not_sure[number] += 1
    return {n: spread_of(found, not_sure[n]) for n, found in levels.items()}


def _agreed(
    assessment: Assessment,
    dimensions: list[Dimension],
    *,
    previous_of: Dimension | None = None,
    with_author: bool = False,
) -> tuple[dict[int, ConsensusScore], ConsensusScore | None]:
    """This round's agreed scores by dimension number, each with its dimension (from
    `dimensions`, so no join), and with `previous_of` the previous round's agreed score of the
    dimension with that number, in the same query. Dimensions are matched by number across
    rounds, as the report's change over time does across rubric versions."""
    condition = Q(assessment_id=assessment.pk)
    previous_dimension = None
    previous = assessment.previous if previous_of is not None else None
    if previous_of is not None and previous is not None:
        previous_dimension = next(
            (d for d in rubric_dimensions(previous.rubric_id) if d.number == previous_of.number),
            None,
        )
        if previous_dimension is not None:
            condition |= Q(assessment_id=previous.pk, dimension_id=previous_dimension.pk)
    by_id = {d.pk: d for d in dimensions}
    agreed: dict[int, ConsensusScore] = {}
    last_time = None
    found = ConsensusScore.objects.filter(condition)
    if with_author:
        found = found.select_related("updated_by")
    for score in found:
        if score.assessment_id != assessment.pk:
            last_time = score
        elif score.dimension_id in by_id:
            score.dimension = by_id[score.dimension_id]
            agreed[score.dimension.number] = score
    return agreed, last_time


def analysis_rows(assessment: Assessment, *, sort: str = "number") -> list[DimensionRow]:
    """One row per dimension with everything the analysis page shows; two queries (the
    submitted scores, the agreed scores)."""
    scores = submitted_scores(assessment)
    dimensions = rubric_dimensions(assessment.rubric_id)
    spreads = _spreads(scores, (d.number for d in dimensions))
    reasons = anonymous_reasons(assessment, scores)
    grouped = levels_by_sector_group(assessment, scores)
    agreed, _none = _agreed(assessment, dimensions)
    labels = {level: level_label(level) for level in LEVELS}
    rows = [
        DimensionRow(
            dimension=dimension,
            spread=spreads[dimension.number],
            bars=_bars(spreads[dimension.number], labels),
            reasons=reasons.get(dimension.number, []),
            groups=_groups(grouped.get(dimension.number)),
            consensus=agreed.get(dimension.number),
        )
        for dimension in dimensions
    ]
    if sort == "disagreement":
        # Most disagreement first, then the widest range; ties keep the model's order.
        rows.sort(key=lambda r: (-r.spread.disagreement, -r.spread.range_width))
    return rows


@dataclass(frozen=True)
class PresenterData:
    row: DimensionRow
    dimensions: list[Dimension]  # every dimension of the round's rubric, in order
    agreed: dict[int, int]  # this round's agreed levels by dimension number


def presenter_data(assessment: Assessment, number: int) -> PresenterData:
    """The one dimension the room is looking at, with its anonymous reasons and last round's
    agreed score beside it, and which dimensions are agreed. Two queries (the dimension's
    submitted scores; the round's agreed scores with last round's of this dimension)."""
    dimensions = rubric_dimensions(assessment.rubric_id, levels=True)
    dimension = next((d for d in dimensions if d.number == number), None)
    if dimension is None:
        raise Dimension.DoesNotExist
    scores: list[ScoreRow] = [
        (number, level, not_sure, reason, "")
        for level, not_sure, reason in IndividualScore.objects.filter(
            participant__assessment=assessment,
            participant__submitted_at__isnull=False,
            dimension_id=dimension.pk,
        ).values_list("level", "not_sure", "reason")
    ]
    spread = _spreads(scores, [number])[number]
    agreed, previous = _agreed(assessment, dimensions, previous_of=dimension, with_author=True)
    row = DimensionRow(
        dimension=dimension,
        spread=spread,
        bars=_bars(spread),
        reasons=anonymous_reasons(assessment, scores).get(number, []),
        consensus=agreed.get(number),
        previous=previous,
    )
    return PresenterData(
        row=row,
        dimensions=dimensions,
        agreed={n: score.level for n, score in agreed.items()},
    )


def presenter_row(assessment: Assessment, number: int) -> DimensionRow:
    """The one dimension the room is looking at (presenter_data's row)."""
    return presenter_data(assessment, number).row


def agreed_numbers(assessment: Assessment) -> set[int]:
    """The dimensions that already have an agreed level (for the presenter's jump list)."""
    return set(
        ConsensusScore.objects.filter(assessment=assessment).values_list(
            "dimension__number", flat=True
        )
    )


def missing_for_finalise(assessment: Assessment) -> list[Dimension]:
    """Dimensions still without an agreed level and reason."""
    agreed = consensus_by_number(assessment)
    return [
        dimension
        for dimension in assessment.rubric.dimensions.order_by("number")
        if dimension.number not in agreed or not agreed[dimension.number].reason.strip()
    ]


# --- writes ----------------------------------------------------------------------------------


def ensure_workshop_open(assessment: Assessment) -> None:
    """Workshop writes happen only while the round is in its workshop stage."""
    if assessment.is_finalised:
        raise WorkshopError(
            _("This round is finalised, so it cannot be changed. Reopen it first (with a reason).")
        )
    if assessment.status != Assessment.Status.WORKSHOP:
        raise WorkshopError(
            _("Close private scoring first: agreed scores are recorded in the workshop stage.")
        )


def _locked(assessment: Assessment) -> Assessment:
    """Re-read the round under a row lock, so a concurrent finalise cannot slip between the
    check and the write."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    ensure_workshop_open(locked)
    return locked


def _snapshot(score: ConsensusScore | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {
        "level": score.level,
        "reason": score.reason,
        "dissent": score.dissent,
        "is_priority": score.is_priority,
        "version": score.version,
    }


@transaction.atomic
def consensus_save(
    *,
    assessment: Assessment,
    dimension: Dimension,
    level: int,
    reason: str,
    dissent: str,
    loaded_version: int,
    by: Actor,
) -> ConsensusScore:
    """Record the agreed level. `loaded_version` is the version the form showed (0 = none yet);
    if the stored one has moved on, raise ConsensusConflict instead of overwriting."""
    _locked(assessment)
    current = (
        ConsensusScore.objects.select_for_update()
        .filter(assessment=assessment, dimension=dimension)
        .first()
    )
    stored_version = current.version if current else 0
    if current is not None and stored_version != loaded_version:
        raise ConsensusConflict(current)
    if current is None and loaded_version != 0:  # pragma: no cover - scores are never deleted
        raise WorkshopError(_("This agreed score no longer exists. Reload the page."))
    before = _snapshot(current)
    if current is None:
        score = ConsensusScore(assessment=assessment, dimension=dimension, version=1)
    else:
        score = current
        score.version = current.version + 1
    score.level, score.reason, score.dissent = level, reason.strip(), dissent.strip()
    score.updated_by = by if by.is_authenticated else None  # type: ignore[assignment]
    score.full_clean(exclude=["assessment", "dimension", "updated_by"])
    try:
        with transaction.atomic():
            score.save()
    except IntegrityError:
        # Two first saves of the same dimension at once: the other one won.
        raise ConsensusConflict(
            ConsensusScore.objects.get(assessment=assessment, dimension=dimension)
        ) from None
    audit(
        verb=AuditEvent.Verb.CONSENSUS_SAVED,
        summary=_("Agreed score for “%(dimension)s” saved: level %(level)s")
        % {"dimension": dimension.name, "level": level},
        actor=by,
        assessment=assessment,
        detail={"dimension": dimension.number, "before": before, "after": _snapshot(score)},
    )
    return score


@transaction.atomic
def workshop_move(*, assessment: Assessment, number: int) -> None:
    """Move the room to another dimension; the spread is hidden again for the new one."""
    locked = _locked(assessment)
    if not locked.rubric.dimensions.filter(number=number).exists():
        raise WorkshopError(_("There is no dimension %(number)s.") % {"number": number}, 400)
    locked.current_dimension, locked.spread_revealed = number, False
    locked.save(update_fields=["current_dimension", "spread_revealed"])
    assessment.current_dimension, assessment.spread_revealed = number, False


@transaction.atomic
def workshop_reveal(*, assessment: Assessment, revealed: bool) -> None:
    locked = _locked(assessment)
    locked.spread_revealed = revealed
    locked.save(update_fields=["spread_revealed"])
    assessment.spread_revealed = revealed


@transaction.atomic
def room_link_issue(*, assessment: Assessment, by: Actor) -> str:
    """A new read-only room link; any earlier room link stops working. The room stays where it
    is: only the link's own fields are written."""
    locked = _locked(assessment)
    token = locked.issue_room_token()
    assessment.room_token_hash = locked.room_token_hash
    assessment.room_link_version = locked.room_link_version
    audit(
        verb=AuditEvent.Verb.LINK_ISSUED,
        summary=_("Read-only room link issued"),
        actor=by,
        assessment=assessment,
        detail={"kind": "room"},
    )
    return token


@transaction.atomic
def priorities_set(*, assessment: Assessment, numbers: set[int], by: Actor) -> None:
    _locked(assessment)
    scores = list(
        ConsensusScore.objects.select_for_update()
        .filter(assessment=assessment)
        .select_related("dimension")
    )
    agreed = {score.dimension.number for score in scores}
    if not numbers <= agreed:
        raise WorkshopError(_("Only dimensions with an agreed level can be priorities."), 400)
    before = sorted(s.dimension.number for s in scores if s.is_priority)
    for score in scores:
        wanted = score.dimension.number in numbers
        if score.is_priority != wanted:
            # Not a version bump: choosing priorities must not make an open presenter form
            # look stale.
            score.is_priority = wanted
            score.save(update_fields=["is_priority", "updated_at"])
    audit(
        verb=AuditEvent.Verb.PRIORITY_SAVED,
        summary=_("Priorities set to dimensions %(numbers)s")
        % {"numbers": ", ".join(map(str, sorted(numbers))) or "–"},
        actor=by,
        assessment=assessment,
        detail={"before": before, "after": sorted(numbers)},
    )


@transaction.atomic
def priority_action_save(
    *,
    assessment: Assessment,
    consensus: ConsensusScore,
    action: PriorityAction | None,
    text: str,
    owner: str,
    review_date: date | None,
    by: Actor,
) -> PriorityAction:
    _locked(assessment)
    if consensus.assessment_id != assessment.pk or not consensus.is_priority:
        raise WorkshopError(_("Next steps belong to a priority dimension of this round."), 400)
    before = None
    if action is None:
        action = PriorityAction(consensus=consensus)
    else:
        before = {"action": action.action, "owner": action.owner, "review_date": action.review_date}
    action.action, action.owner, action.review_date = text.strip(), owner.strip(), review_date
    action.full_clean()
    action.save()
    audit(
        verb=AuditEvent.Verb.PRIORITY_SAVED,
        summary=_("Next step for “%(dimension)s” saved") % {"dimension": consensus.dimension.name},
        actor=by,
        assessment=assessment,
        detail={
            "action": action.pk,
            "before": _jsonable(before),
            "after": _jsonable(
                {"action": action.action, "owner": action.owner, "review_date": review_date}
            ),
        },
    )
    return action


@transaction.atomic
def priority_action_delete(*, assessment: Assessment, action: PriorityAction, by: Actor) -> None:
    _locked(assessment)
    detail = {"action": action.pk, "before": _jsonable({"action": action.action})}
    action.delete()
    audit(
        verb=AuditEvent.Verb.PRIORITY_SAVED,
        summary=_("Next step deleted"),
        actor=by,
        assessment=assessment,
        detail=detail,
    )


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


@transaction.atomic
def round_finalise(*, assessment: Assessment, next_review_due: date, by: Actor) -> None:
    locked = _locked(assessment)
    missing = missing_for_finalise(locked)
    if missing:
        raise WorkshopError(
            _("Every dimension needs an agreed level and a reason first. Missing: %(names)s.")
            % {"names": ", ".join(d.name for d in missing)}
        )
    locked.finalise(next_review_due=next_review_due)
    prerender_round_report(locked.pk)
    assessment.status, assessment.finalised_at = locked.status, locked.finalised_at
    assessment.next_review_due = locked.next_review_due
    audit(
        verb=AuditEvent.Verb.STATUS_CHANGED,
        summary=_("Round finalised; next review due %(date)s")
        % {"date": next_review_due.isoformat()},
        actor=by,
        assessment=assessment,
        detail={
            "before": Assessment.Status.WORKSHOP,
            "after": Assessment.Status.FINALISED,
            "next_review_due": next_review_due.isoformat(),
        },
    )


@transaction.atomic
def round_reopen(*, assessment: Assessment, reason: str, by: Actor) -> None:
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not locked.is_finalised:
        raise WorkshopError(_("Only a finalised round can be reopened."))
    if not reason.strip():
        raise WorkshopError(_("Say why the round is being reopened."), 400)
    locked.reopen()
    assessment.status, assessment.finalised_at = locked.status, locked.finalised_at
    audit(
        verb=AuditEvent.Verb.REOPENED,
        summary=_("Round reopened: %(reason)s") % {"reason": reason.strip()},
        actor=by,
        assessment=assessment,
        detail={
            "before": Assessment.Status.FINALISED,
            "after": Assessment.Status.WORKSHOP,
            "reason": reason.strip(),
        },
    )
