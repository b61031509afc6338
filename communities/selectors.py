"""Reads for the community page: who is at the table, and the network with its history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from .models import EXPECTED_SECTORS, Community, Organisation, Sector, Stakeholder


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


def at_the_table(community: Community) -> list[SectorSeat]:
    """Active stakeholders and organisations by sector (two queries)."""
    people = dict(
        Stakeholder.objects.active()
        .filter(community=community)
        .values("sector")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("sector", "n")
    )
    organisations = dict(
        Organisation.objects.filter(community=community, is_active=True)
        .values("sector")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("sector", "n")
    )
    return seats_by_sector(people, organisations)


def network(community: Community) -> QuerySet[Stakeholder]:
    """The stakeholders, active first, each with how many rounds they took part in."""
    return (
        Stakeholder.objects.filter(community=community, erased_at__isnull=True)
        .select_related("organisation")
        .annotate(rounds_taken=Count("participations"))
        .order_by("-is_active", "name", "pk")
    )


def organisations(community: Community) -> QuerySet[Organisation]:
    return (
        Organisation.objects.filter(community=community)
        .annotate(people=Count("stakeholders"))
        .order_by("-is_active", "name")
    )
