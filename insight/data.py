"""What the API and the data package read: finalised rounds, their agreed levels and their
level counts, as plain values. Group statements and counts only: no stakeholder, participant
or private score is ever read into these rows, so none can leak out of them.

Rounds are finalised ones only: until then the agreed levels can still change, and evaluators
read reports of finalised rounds only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate

from assessments.aggregation import LEVELS, MIN_GROUP_SIZE
from assessments.models import Assessment, ConsensusScore, Dimension, IndividualScore

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User

ROUND_FIELDS = (
    "pk",
    "code",
    "community__code",
    "community__name",
    "community__nation",
    "title",
    "kind",
    "focal_issue__title",
    "focal_issue__area",
    "workshop_date",
    "finalised_at",
    "day",
    "previous__code",
    "rubric__version",
    "rubric_id",
    "invited",
    "submitted",
)


@dataclass(frozen=True)
class RoundFilters:
    community: UUID | None = None
    nation: str = ""
    area: str = ""
    kind: str = ""


def finalised_rounds(
    user: User | AnonymousUser | None, filters: RoundFilters | None = None
) -> QuerySet[Assessment]:
    """The finalised rounds the user may read, by community and date, unevaluated. No user:
    every finalised round (for an operator's management command)."""
    f = filters or RoundFilters()
    everything = Assessment.objects.all()
    rounds = (everything if user is None else everything.visible_to(user)).finalised()
    if f.community:
        rounds = rounds.filter(community__code=f.community)
    if f.nation:
        rounds = rounds.filter(community__nation=f.nation)
    if f.area:
        rounds = rounds.filter(focal_issue__area=f.area)
    if f.kind:
        rounds = rounds.filter(kind=f.kind)
    return rounds.order_by("community__name", "finalised_at", "pk")


def round_values(rounds: QuerySet[Assessment]) -> QuerySet[Assessment, Any]:
    """Each round's public facts and how many were invited and submitted (counts only)."""
    return rounds.annotate(
        # As round_date(): the workshop's date, else the day it was finalised.
        day=Coalesce("workshop_date", TruncDate("finalised_at", tzinfo=UTC)),
        invited=Count("participants", distinct=True),
        submitted=Count(
            "participants", filter=Q(participants__submitted_at__isnull=False), distinct=True
        ),
    ).values(*ROUND_FIELDS)


def agreed_values(rounds: QuerySet[Assessment]) -> QuerySet[ConsensusScore, Any]:
    """Every agreed level of the rounds, with the group's reason and dissent."""
    return (
        ConsensusScore.objects.filter(assessment__in=rounds)
        .order_by(
            "assessment__community__name",
            "assessment__finalised_at",
            "assessment_id",
            "dimension__number",
        )
        .values(
            "assessment__code",
            "assessment__title",
            "assessment__community__code",
            "assessment__community__name",
            "dimension__number",
            "dimension__name",
            "level",
            "is_priority",
            "reason",
            "dissent",
        )
    )


@dataclass(frozen=True)
class DimensionCounts:
    number: int
    name: str
    counts: dict[int, int] | None  # level → sheets; None when withheld
    not_sure: int | None


def level_counts(round_rows: Iterable[dict[str, Any]]) -> dict[int, list[DimensionCounts]]:
    """Per round (by pk), per dimension of its rubric, how many submitted sheets chose each
    level, or None for a round with fewer than MIN_GROUP_SIZE submissions. Two queries."""
    rows = list(round_rows)
    counted = [r["pk"] for r in rows if r["submitted"] >= MIN_GROUP_SIZE]
    dimensions: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rubric_ids = {r["rubric_id"] for r in rows}
    for rubric_id, number, name in (
        Dimension.objects.filter(rubric_id__in=rubric_ids)
        .order_by("number")
        .values_list("rubric_id", "number", "name")
    ):
        dimensions[rubric_id].append((number, name))
    tallies: dict[tuple[int, int], dict[str, Any]] = {}
    if counted:
        scores = (
            IndividualScore.objects.filter(
                participant__assessment_id__in=counted, participant__submitted_at__isnull=False
            )
            .values("participant__assessment_id", "dimension__number")
            .annotate(
                **{f"l{level}": Count("pk", filter=Q(level=level)) for level in LEVELS},
                unsure=Count("pk", filter=Q(not_sure=True)),
            )
            .order_by()
        )
        for row in scores:
            tallies[(row["participant__assessment_id"], row["dimension__number"])] = dict(row)
    result: dict[int, list[DimensionCounts]] = {}
    for r in rows:
        withheld = r["submitted"] < MIN_GROUP_SIZE
        result[r["pk"]] = [
            DimensionCounts(
                number=number,
                name=name,
                counts=None
                if withheld
                else {
                    level: tallies.get((r["pk"], number), {}).get(f"l{level}", 0)
                    for level in LEVELS
                },
                not_sure=None if withheld else tallies.get((r["pk"], number), {}).get("unsure", 0),
            )
            for number, name in dimensions[r["rubric_id"]]
        ]
    return result
