"""Reads for the community pages: the dashboard's lines, who is at the table, and the network
with its history (or, for evaluators, its counts)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, OuterRef, QuerySet, Subquery

from assessments.aggregation import suppress_small_groups

from .models import (
    EXPECTED_SECTORS,
    SECTOR_GROUP,
    Community,
    FocalIssue,
    Nation,
    Organisation,
    Sector,
    SectorGroup,
    Stakeholder,
)


@dataclass(frozen=True)
class SectorSeat:
    sector: str
    label: str
    stakeholders: int
    organisations: int
    expected: bool

    @property
    def is_gap(self) -> bool:
        return self.expected and self.stakeholders == 0


def seats_by_sector(
    stakeholder_counts: Mapping[str, int], organisation_counts: Mapping[str, int]
) -> list[SectorSeat]:
    """Every sector with its counts; an expected sector with nobody in it is a gap."""
    return [
        SectorSeat(
            sector=value,
            label=str(label),
            stakeholders=stakeholder_counts.get(value, 0),
            organisations=organisation_counts.get(value, 0),
            expected=value in EXPECTED_SECTORS,
        )
        for value, label in Sector.choices
    ]


def at_the_table(
    community: Community,
    *,
    network: Iterable[NetworkRow] | None,
    organisations: Iterable[OrganisationRow],
) -> list[SectorSeat]:
    """Active stakeholders and organisations by sector, counted from the page's rows; when the
    network's rows are not read (evaluators see no person), its counts in one query."""
    if network is None:
        people: Mapping[str, int] = dict(
            Stakeholder.objects.active()
            .filter(community=community)
            .values("sector")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("sector", "n")
        )
    else:
        people = Counter(row.sector for row in network if row.is_active)
    return seats_by_sector(people, Counter(o.sector for o in organisations if o.is_active))


@dataclass(frozen=True)
class NetworkCounts:
    """What an evaluator sees of a network: how many active people, and how many in each
    sector group, or None when a group shown would have fewer than three (small numbers)."""

    total: int
    by_group: dict[str, int] | None


def network_counts(seats: Iterable[SectorSeat]) -> NetworkCounts:
    """Counts from `at_the_table`'s seats: no further query, no person."""
    people = dict.fromkeys(SectorGroup.values, 0)
    for seat in seats:
        people[SECTOR_GROUP[seat.sector]] += seat.stakeholders
    # The suppression rule counts members; a range of n stands for n people.
    shown = suppress_small_groups({group: range(n) for group, n in people.items()})
    labels = dict(SectorGroup.choices)
    return NetworkCounts(
        total=sum(people.values()),
        by_group=None
        if shown is None
        else {str(labels[group]): len(members) for group, members in shown.items()},
    )


def network(community: Community) -> QuerySet[Stakeholder]:
    """The stakeholders, active first, each with how many rounds they took part in."""
    return (
        Stakeholder.objects.filter(community=community, erased_at__isnull=True)
        .select_related("organisation")
        .annotate(rounds_taken=Count("participations"))
        .order_by("-is_active", "name", "pk")
    )


@dataclass(frozen=True, slots=True)
class NetworkRow:
    """One person of the network table: plain values, no model instance (a network has hundreds
    of people, and building a Stakeholder and its Organisation for each was a visible cost)."""

    code: uuid.UUID
    name: str
    email: str
    organisation: str
    sector: str
    sector_label: str
    role: str
    is_active: bool
    rounds_taken: int


def network_rows(community: Community) -> list[NetworkRow]:
    """`network` as the community page shows it (one query)."""
    sectors = labels(Sector.choices)
    values = network(community).values_list(  # type: ignore[misc]  # (the annotation)
        "code", "name", "email", "organisation__name", "sector", "role", "is_active", "rounds_taken"
    )
    return [
        NetworkRow(code, name, email, org or "", sector, sectors.get(sector, sector), *rest)
        for code, name, email, org, sector, *rest in values
    ]


def organisations(community: Community) -> QuerySet[Organisation]:
    return (
        Organisation.objects.filter(community=community)
        .annotate(people=Count("stakeholders"))
        .order_by("-is_active", "name")
    )


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    code: uuid.UUID
    name: str
    sector: str
    sector_label: str
    is_active: bool
    people: int


def organisation_rows(community: Community) -> list[OrganisationRow]:
    """`organisations` as the community page shows them (one query)."""
    sectors = labels(Sector.choices)
    values = organisations(community).values_list(  # type: ignore[misc]  # (the annotation)
        "code", "name", "sector", "is_active", "people"
    )
    return [
        OrganisationRow(code, name, sector, sectors.get(sector, sector), is_active, people)
        for code, name, sector, is_active, people in values
    ]


def labels(choices: Iterable[tuple[str, object]]) -> dict[str, str]:
    """A choices' labels in the active language, by value: one lookup per table rather than
    get_FOO_display() per row (which builds the field's choices again every time)."""
    return {value: str(label) for value, label in choices}


@dataclass(slots=True)
class RoundLine:
    """One round in the community page's list."""

    code: uuid.UUID
    title: str
    kind: str  # its label
    status: str  # its label
    deadline: date | None
    round_url: str = ""  # set by the view (smm_site.rows.with_links)


def community_rounds(community: Community) -> list[RoundLine]:
    """The community's rounds, newest first (one query)."""
    from assessments.models import Assessment

    kinds, statuses = labels(Assessment.Kind.choices), labels(Assessment.Status.choices)
    return [
        RoundLine(code, title, kinds.get(kind, kind), statuses.get(status, status), deadline)
        for code, title, kind, status, deadline in Assessment.objects.filter(community=community)
        .order_by("-created_at")
        .values_list("code", "title", "kind", "status", "deadline")
    ]


@dataclass(frozen=True)
class CommunityLine:
    """One line of the dashboard: a community with its focal issue and latest round."""

    name: str
    slug: str
    place: str
    focal_issue: str
    rounds: int
    latest_title: str = ""
    latest_status: str = ""
    latest_code: str = ""


def dashboard_communities(communities: QuerySet[Community]) -> QuerySet[Community]:
    """The communities in name order, each with its number of rounds and its latest round's
    id, ready to be paginated (the latest round is fetched for one page only)."""
    from assessments.models import Assessment

    latest = Assessment.objects.filter(community=OuterRef("pk")).order_by("-created_at", "-pk")
    return communities.annotate(
        round_count=Count("assessments", distinct=True),
        latest_round=Subquery(latest.values("pk")[:1]),
    ).order_by("name", "pk")


def community_lines(page: Iterable[Community]) -> list[CommunityLine]:
    """Lines for one page of ``dashboard_communities`` (two queries, whatever the page size)."""
    from assessments.models import Assessment

    communities = list(page)
    issues = dict(
        FocalIssue.objects.filter(
            community__in=[c.pk for c in communities], status=FocalIssue.Status.CURRENT
        ).values_list("community_id", "title")
    )
    rounds = {
        row["pk"]: row
        for row in Assessment.objects.filter(
            pk__in=[c.latest_round for c in communities if c.latest_round]  # type: ignore[attr-defined]
        ).values("pk", "code", "title", "status")
    }
    nations, statuses = labels(Nation.choices), labels(Assessment.Status.choices)
    lines = []
    for community in communities:
        latest = rounds.get(community.latest_round)  # type: ignore[attr-defined]
        place = nations.get(community.nation, community.nation)
        if community.local_authority:
            place = f"{place} · {community.local_authority}"
        lines.append(
            CommunityLine(
                name=community.name,
                slug=community.slug,
                place=place,
                focal_issue=issues.get(community.pk, ""),
                rounds=community.round_count,  # type: ignore[attr-defined]
                latest_title=latest["title"] if latest else "",
                latest_status=statuses.get(latest["status"], "") if latest else "",
                latest_code=str(latest["code"]) if latest else "",
            )
        )
    return lines
