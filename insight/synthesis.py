"""The synthesis across communities: per dimension, how the latest agreed levels are spread,
how far they moved since each baseline, and what every community agreed and why, side by side.

Group statements only: agreed levels, reasons, dissent, priorities and their next steps, all
written by the group in its workshop. No private score or reason is read here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from assessments.aggregation import LEVELS
from assessments.models import Assessment, ConsensusScore, PriorityAction
from assessments.reports.data import CommunityLine, DimensionInfo, overview
from communities.models import Community

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User

CHART_LABEL_WIDTH = 8  # SVG units before a bar, 100 units long
CHART_ROW = 6  # SVG units a dimension
MAX_WORDS = 8  # more words than this narrow nothing further and make the query slow


def search_words(q: str) -> list[str]:
    """The words of a search, each looked for on its own (all must appear somewhere)."""
    return [word for word in q.split() if word][:MAX_WORDS]


@dataclass(frozen=True)
class Segment:
    level: int
    count: int
    x: float  # where the segment starts, 0–100 (per cent of the bar)
    width: float

    # The chart's bars start after the dimension's number, and the count sits just inside.
    @property
    def bar_x(self) -> float:
        return round(self.x + CHART_LABEL_WIDTH, 2)

    @property
    def text_x(self) -> float:
        return round(self.x + CHART_LABEL_WIDTH + 1, 2)


@dataclass(frozen=True)
class Distribution:
    number: int
    name: str
    counts: dict[int, int]  # level → communities at it
    scored: int
    up: int  # communities whose level rose since their baseline
    same: int
    down: int
    mean_change: float | None
    row: int = 0  # its place in the chart

    @property
    def y(self) -> int:
        return self.row * CHART_ROW

    @property
    def segments(self) -> list[Segment]:
        """The stacked bar of the chart: one segment per level that has communities."""
        segments, x = [], 0.0
        for level in LEVELS:
            count = self.counts[level]
            if count:
                width = 100 * count / self.scored
                segments.append(Segment(level, count, round(x, 2), round(width, 2)))
                x += width
        return segments

    @property
    def compared(self) -> int:
        return self.up + self.same + self.down


def distributions(
    dimensions: Sequence[DimensionInfo], lines: Sequence[CommunityLine]
) -> list[Distribution]:
    result = []
    for index, dim in enumerate(dimensions):
        levels = [level for line in lines if (level := line.levels[index]) is not None]
        changes = [change for line in lines if (change := line.changes[index]) is not None]
        counts = dict.fromkeys(LEVELS, 0)
        for level in levels:
            counts[level] += 1
        result.append(
            Distribution(
                number=dim.number,
                name=dim.name,
                counts=counts,
                scored=len(levels),
                up=sum(1 for c in changes if c > 0),
                same=sum(1 for c in changes if c == 0),
                down=sum(1 for c in changes if c < 0),
                mean_change=round(mean(changes), 1) if changes else None,
                row=index,
            )
        )
    return result


@dataclass(frozen=True)
class Statement:
    """What one community agreed on one dimension in its latest round."""

    number: int
    dimension: str
    community: Community
    round: Assessment
    baseline: Assessment | None
    level: int
    change: int | None
    reason: str
    dissent: str
    is_priority: bool
    actions: list[str]


@dataclass(frozen=True)
class Synthesis:
    dimensions: list[DimensionInfo]
    lines: Sequence[CommunityLine]
    distributions: list[Distribution]
    areas: list[str]
    statements: QuerySet[ConsensusScore, Any]  # unevaluated: paginated by the view

    @property
    def chart_height(self) -> int:
        return len(self.distributions) * CHART_ROW

    def statements_of(self, rows: Sequence[dict[str, Any]]) -> list[Statement]:
        """The statements of one page of rows, with their next steps. One query."""
        by_round = {line.latest.pk: line for line in self.lines}
        positions = {dim.number: i for i, dim in enumerate(self.dimensions)}
        names = {dim.number: dim.name for dim in self.dimensions}
        actions: dict[int, list[str]] = defaultdict(list)
        ids = [row["pk"] for row in rows if row["is_priority"]]
        if ids:
            for consensus_id, action in (
                PriorityAction.objects.filter(consensus_id__in=ids)
                .order_by("created_at", "pk")
                .values_list("consensus_id", "action")
            ):
                actions[consensus_id].append(action)
        statements = []
        for row in rows:
            line = by_round[row["assessment_id"]]
            number = row["dimension__number"]
            position = positions.get(number)
            statements.append(
                Statement(
                    number=number,
                    dimension=names.get(number, str(number)),
                    community=line.community,
                    round=line.latest,
                    baseline=line.baseline,
                    level=row["level"],
                    change=line.changes[position] if position is not None else None,
                    reason=row["reason"],
                    dissent=row["dissent"],
                    is_priority=row["is_priority"],
                    actions=actions[row["pk"]],
                )
            )
        return statements


def synthesis(
    user: User | AnonymousUser,
    *,
    words: Sequence[str] = (),
    dimension: int | None = None,
    **filters: str,
) -> Synthesis:
    """The overview's choice of rounds (each community's latest finalised round matching the
    filters, and its baseline), their distributions, and the statements that have every word
    in their reason, dissent or a next step. Four queries, and two for a page of statements."""
    data = overview(user, **filters)
    lines = list(data.lines)  # every community: the distributions count them all
    statements = ConsensusScore.objects.filter(assessment_id__in=[li.latest.pk for li in lines])
    if dimension is not None:
        statements = statements.filter(dimension__number=dimension)
    for word in words:
        in_actions = PriorityAction.objects.filter(consensus=OuterRef("pk"), action__icontains=word)
        statements = statements.filter(
            Q(reason__icontains=word) | Q(dissent__icontains=word) | Exists(in_actions)
        )
    rows = statements.order_by("dimension__number", "assessment__community__name", "pk").values(
        "pk", "assessment_id", "dimension__number", "level", "reason", "dissent", "is_priority"
    )
    return Synthesis(
        dimensions=data.dimensions,
        lines=lines,
        distributions=distributions(data.dimensions, lines),
        areas=data.areas,
        statements=rows,
    )
