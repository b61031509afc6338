"""The evaluator pack's data: the overview plus, for every community in it, a compact round
report of its latest finalised round, in a constant number of queries.

`data.round_report` costs seven queries per round, which for a pack of 300 communities means
2,100 queries before any layout starts. The pack shows agreed levels, reasons, priorities with
their next steps, the previous round's levels and how many people took part, so those come here
in four queries for all communities together. The private spread is not fetched: the pack does
not show it, and the band it would draw on the radar is left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from ..models import Assessment, ConsensusScore, Participant, PriorityAction
from . import svg
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


def _previous(latest: Assessment, rounds: list[Assessment]) -> Assessment | None:
    """As `data.previous_round`: the linked round, else the one finalised just before (among
    the community's finalised rounds, which the overview has already fetched)."""
    by_pk = {r.pk: r for r in rounds}
    if latest.previous_id in by_pk:
        return by_pk[latest.previous_id]
    earlier = [r for r in rounds if r.finalised_at and r.finalised_at < latest.finalised_at]  # type: ignore[operator]
    return earlier[-1] if earlier else None


def pack_data(
    user: User | AnonymousUser, *, nation: str = "", area: str = "", kind: str = ""
) -> PackData:
    """Six queries (the overview's three, then three), however many communities."""
    data = overview(user, nation=nation, area=area, kind=kind)
    latest_ids = [line.latest.pk for line in data.lines]
    previous = {line.latest.pk: _previous(line.latest, line.rounds) for line in data.lines}
    wanted = latest_ids + [p.pk for p in previous.values() if p is not None]

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
        before = previous[latest.pk]
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


def pack_radar_svg(report: RoundReport) -> str:
    """The round report's radar, smaller: axes numbered 1-9 (the table beside it names them),
    which keeps the page light to lay out. No private-score band: the pack does not show it."""
    previous = [row.previous_level for row in report.rows] if report.previous else None
    return svg.radar_svg(
        [str(row.number) for row in report.rows],
        svg.RadarSeries(agreed=report.agreed, previous=previous),
        title=_("Agreed levels, %(community)s, %(round)s")
        % {"community": report.assessment.community.name, "round": report.assessment.title},
        legend={
            "agreed": _("Agreed level"),
            "previous": report.previous.title if report.previous else "",
        },
        size=300,
        pad_x=30,
    )
