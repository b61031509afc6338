"""Reads that aggregate private scores. Everything returned here is anonymous: no function in
this module returns a participant or stakeholder together with a level or a reason."""

from __future__ import annotations

from collections import defaultdict

from communities.models import SECTOR_GROUP

from .aggregation import Spread, spread, stable_shuffle
from .models import Assessment, IndividualScore

ScoreRow = tuple[int, int | None, bool, str, str]


def submitted_scores(assessment: Assessment) -> list[ScoreRow]:
    """(dimension number, level, not sure, reason, participant sector) of submitted sheets.
    Fetch once and pass to the functions below when a page needs more than one of them."""
    return list(
        IndividualScore.objects.filter(
            participant__assessment=assessment, participant__submitted_at__isnull=False
        ).values_list("dimension__number", "level", "not_sure", "reason", "participant__sector")
    )


def round_spreads(
    assessment: Assessment, scores: list[ScoreRow] | None = None
) -> dict[int, Spread]:
    """Per dimension number, the spread of submitted private scores. One query."""
    levels: dict[int, list[int]] = defaultdict(list)
    not_sure: dict[int, int] = defaultdict(int)
    for number, level, is_not_sure, _reason, _sector in (
        submitted_scores(assessment) if scores is None else scores
    ):
        if level is not None:
            levels[number].append(level)
        elif is_not_sure:
            not_sure[number] += 1
    numbers = assessment.rubric.dimensions.values_list("number", flat=True)
    return {n: spread(levels[n], not_sure[n]) for n in numbers}


def anonymous_reasons(
    assessment: Assessment, scores: list[ScoreRow] | None = None
) -> dict[int, list[str]]:
    """Per dimension number, the non-empty reasons, shuffled stably per round so their order
    never reveals who submitted when."""
    reasons: dict[int, list[str]] = defaultdict(list)
    for number, _level, _not_sure, reason, _sector in (
        submitted_scores(assessment) if scores is None else scores
    ):
        if reason.strip():
            reasons[number].append(reason)
    return {
        n: stable_shuffle(sorted(texts), assessment.shuffle_seed + n)
        for n, texts in reasons.items()
    }


def levels_by_sector_group(
    assessment: Assessment, scores: list[ScoreRow] | None = None
) -> dict[int, dict[str, list[int]]]:
    """Per dimension number, the rated levels by sector group (feed into suppress_small_groups
    before showing anything)."""
    grouped: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for number, level, _not_sure, _reason, sector in (
        submitted_scores(assessment) if scores is None else scores
    ):
        if level is not None:
            grouped[number][SECTOR_GROUP.get(sector, "other")].append(level)
    return {n: dict(groups) for n, groups in grouped.items()}
