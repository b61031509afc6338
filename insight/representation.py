"""Who was at the table: per finalised round, submitted sheets by sector group (small groups
withheld) and which sectors took part, and which sectors are most often missing across
communities. Counts only.

Per sector, only whether anyone took part: with nine sectors and a dozen sheets most sectors
have one or two, so their counts would nearly all be withheld (seen on the demo data), while
whether a sector took part is on every round's report already. The counts are by the three
sector groups the community page uses, big enough that suppression rarely bites."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date
from typing import TYPE_CHECKING

from django.db.models import Count
from django.db.models.functions import Coalesce, TruncDate

from assessments.models import Assessment, Participant
from communities.models import EXPECTED_SECTORS, SECTOR_GROUP, Sector, SectorGroup

from .suppression import suppress_counts

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User


@dataclass(frozen=True)
class Seat:
    key: str  # a sector group
    count: int | None  # None: withheld (a small group)


@dataclass(frozen=True)
class Presence:
    sector: str
    present: bool


@dataclass(frozen=True)
class RoundSeats:
    code: str
    community: str
    title: str
    kind: str
    day: date | None
    submitted: int
    groups: list[Seat]  # sheets by sector group, in SectorGroup order
    sectors: list[Presence]  # in Sector order


@dataclass(frozen=True)
class Gap:
    sector: str
    label: str
    expected: bool
    communities_missing: int  # communities whose latest round had nobody from the sector
    rounds_missing: int


@dataclass(frozen=True)
class Representation:
    rounds: list[RoundSeats]  # by community name and date
    gaps: list[Gap]  # most often missing first
    communities: int
    groups: list[tuple[str, str]]
    sectors: list[tuple[str, str]]
    areas: list[str]  # for the filter: every focal issue area of the nation's rounds


def representation(
    user: User | AnonymousUser, *, nation: str = "", area: str = "", kind: str = ""
) -> Representation:
    """Three queries, however many rounds."""
    rounds = Assessment.objects.visible_to(user).finalised()
    if nation:
        rounds = rounds.filter(community__nation=nation)
    areas = sorted(set(rounds.values_list("focal_issue__area", flat=True).order_by()))
    if area:
        rounds = rounds.filter(focal_issue__area=area)
    if kind:
        rounds = rounds.filter(kind=kind)
    values = (
        rounds.order_by("community__name", "community_id", "finalised_at", "pk")
        .annotate(day=Coalesce("workshop_date", TruncDate("finalised_at", tzinfo=UTC)))
        .values_list("pk", "code", "community_id", "community__name", "title", "kind", "day")
    )
    rows = list(values)
    by_round: dict[int, dict[str, int]] = defaultdict(dict)
    seats = (
        Participant.objects.filter(assessment__in=rounds, submitted_at__isnull=False)
        .values("assessment_id", "sector")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("assessment_id", "sector", "n")
    )
    for assessment_id, sector, n in seats:
        by_round[assessment_id][sector] = n
    sectors = [value for value, _label in Sector.choices]
    groups = [value for value, _label in SectorGroup.choices]
    result: list[RoundSeats] = []
    latest: dict[int, RoundSeats] = {}  # rows are by date: the last one seen is the latest
    rounds_missing: dict[str, int] = defaultdict(int)
    for pk, code, community_id, community, title, kind_, day in rows:
        counts = {s: by_round[pk].get(s, 0) for s in sectors}
        by_group = dict.fromkeys(groups, 0)
        for sector, n in counts.items():
            by_group[SECTOR_GROUP.get(sector, SectorGroup.VOLUNTARY)] += n
        shown = suppress_counts(by_group)
        line = RoundSeats(
            code=str(code),
            community=community,
            title=title,
            kind=kind_,
            day=day,
            submitted=sum(counts.values()),
            groups=[Seat(g, shown[g]) for g in groups],
            sectors=[Presence(s, counts[s] > 0) for s in sectors],
        )
        result.append(line)
        latest[community_id] = line
        for s in sectors:
            if counts[s] == 0:
                rounds_missing[s] += 1
    communities_missing: dict[str, int] = defaultdict(int)
    for line in latest.values():
        for presence in line.sectors:
            if not presence.present:
                communities_missing[presence.sector] += 1
    labels = dict(Sector.choices)
    gaps = sorted(
        (
            Gap(
                sector=s,
                label=str(labels[s]),
                expected=s in EXPECTED_SECTORS,
                communities_missing=communities_missing[s],
                rounds_missing=rounds_missing[s],
            )
            for s in sectors
        ),
        key=lambda g: (-g.communities_missing, -g.rounds_missing, g.label),
    )
    return Representation(
        rounds=result,
        gaps=gaps,
        communities=len(latest),
        groups=[(value, str(label)) for value, label in SectorGroup.choices],
        sectors=[(s, str(labels[s])) for s in sectors],
        areas=areas,
    )
