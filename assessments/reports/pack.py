"""The evaluator pack's data: the overview plus, for every community in it, a compact round
report of its latest finalised round, in a constant number of queries.

`data.round_report` costs six queries per round, which for a pack of 300 communities means
1,800 queries before any layout starts. The pack shows agreed levels, reasons, priorities with
their next steps, the previous round's levels and how many people took part, so those come here
in four queries for all communities together. The private spread is not fetched: the pack does
not show it, and the band it would draw on the radar is left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q

from ..models import ConsensusScore, Participant, PriorityAction
from .data import (
    CommunityLine,
    DimensionRow,
    Overview,
    Participation,
    RoundReport,
    overview,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User


@dataclass(frozen=True)
class PackEntry:
    line: CommunityLine
    report: RoundReport  # rows without spread; participation holds the two counts only


@dataclass(frozen=True)
class PackData:
    overview: Overview
    entries: list[PackEntry]


def pack_data(
    user: User | AnonymousUser, *, nation: str = "", area: str = "", kind: str = ""
) -> PackData:
    """Seven queries (the overview's four, its lines included, then three), however many
    communities."""
    data = overview(user, nation=nation, area=area, kind=kind)
    latest_ids = [line.latest.pk for line in data.lines]
    wanted = latest_ids + [line.previous.pk for line in data.lines if line.previous]

    consensus: dict[int, dict[int, ConsensusScore]] = defaultdict(dict)
    for score in ConsensusScore.objects.filter(assessment_id__in=wanted).select_related(
        "dimension"
    ):
        consensus[score.assessment_id][score.dimension.number] = score
    actions: dict[int, list[PriorityAction]] = defaultdict(list)
    for action in PriorityAction.objects.filter(
        consensus__assessment_id__in=latest_ids, consensus__is_priority=True
    ).order_by("pk"):
        actions[action.consensus_id].append(action)
    counts = {
        row["assessment_id"]: row
        for row in Participant.objects.filter(assessment_id__in=latest_ids)
        .values("assessment_id")
        .annotate(invited=Count("pk"), submitted=Count("pk", filter=Q(submitted_at__isnull=False)))
    }

    entries = []
    for line in data.lines:
        latest = line.latest
        before = line.previous
        agreed = consensus.get(latest.pk, {})
        earlier = consensus.get(before.pk, {}) if before else {}
        rows = []
        for dim in data.dimensions:
            agreed_score = agreed.get(dim.number)
            prev = earlier.get(dim.number)
            rows.append(
                DimensionRow.of(
                    dim,
                    agreed_score,
                    previous_level=prev.level if prev else None,
                    actions=actions.get(agreed_score.pk, []) if agreed_score else [],
                )
            )
        people = counts.get(latest.pk, {"invited": 0, "submitted": 0})
        report = RoundReport(
            assessment=latest,
            previous=before,
            rows=rows,
            participation=Participation(
                invited=people["invited"],
                submitted=people["submitted"],
                sectors_represented=[],
                by_group=None,
                missing_sectors=[],
            ),
            spread_withheld=False,
            small_round=False,
        )
        entries.append(PackEntry(line=line, report=report))
    return PackData(overview=data, entries=entries)
