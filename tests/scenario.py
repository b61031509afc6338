"""One realistic graph for the cross-cutting trust tests (matrix, privacy crawl, fuzz, XSS).

`build_scenario` makes, in `community` (facilitated by the `facilitator` persona):
- a collecting round with named participants (one of them is `link_this`, one has a revoked
  link, one has submitted),
- a workshop round with four submitted sheets, agreed scores for every dimension, a priority
  with a next step, and a room link,
- a finalised round like the workshop one,
and in `other_community` a collecting round with `link_other`.

Every individual reason carries a marker unique to its author ("MARKER-<hex>"), and every
stakeholder a distinctive name, so tests can look for a name next to its author's words.
The URL helpers enumerate every pattern of the resolver the way the matrix keys them.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from assessments.models import Assessment, ConsensusScore, Participant, PriorityAction
from communities.models import Community, FocalIssue, Organisation, Sector, Stakeholder
from tests.factories import (
    AssessmentFactory,
    OrganisationFactory,
    ParticipantFactory,
    StakeholderFactory,
    submit_sheet,
)

UNKNOWN_TOKEN = "no-such-token-0000000000000000000000000000000000000"

# Distinctive levels per sheet (None = not sure): no two sheets alike.
SHEETS: list[list[int | None]] = [
    [1, 2, 3, 4, 5, 1, 2, 3, None],
    [5, 5, 4, 4, 3, 3, 2, 2, 1],
    [2, 4, 1, 5, 3, 2, 4, 1, 5],
    [4, 1, 5, 2, 2, 5, 1, 4, 3],
]


@dataclass
class Person:
    participant: Participant
    name: str
    markers: list[str]
    levels: list[int | None]


@dataclass
class Scenario:
    community: Community
    other_community: Community
    focal_issue: FocalIssue
    organisation: Organisation
    stakeholder: Stakeholder
    collecting: Assessment
    workshop: Assessment
    finalised: Assessment
    other_round: Assessment
    link_this: Participant
    link_other: Participant
    revoked: Participant
    revoked_token: str
    room_token: str
    action: PriorityAction
    finalised_action: PriorityAction
    people: list[Person] = field(default_factory=list)

    def token_for(self, role: str) -> str:
        return {
            "link_this": self.link_this.token,  # type: ignore[attr-defined]
            "link_other": self.link_other.token,  # type: ignore[attr-defined]
            "link_revoked": self.revoked_token,
        }.get(role, UNKNOWN_TOKEN)


def _person(assessment: Assessment, index: int, sector: str, *, submit: bool = True) -> Person:
    tag = uuid.uuid4().hex[:10]
    name = f"Zelda{tag[:5]} Quimby{assessment.pk}x{index}"
    organisation = OrganisationFactory(community=assessment.community, sector=sector)
    stakeholder = StakeholderFactory(
        community=assessment.community, organisation=organisation, sector=sector, name=name
    )
    participant = ParticipantFactory(assessment=assessment, stakeholder=stakeholder)
    levels = SHEETS[index % len(SHEETS)]
    markers = [f"MARKER-{tag}-{n}" for n in range(1, 10)]
    if submit:
        submit_sheet(participant, levels, [f"Because {m} happened" for m in markers])
    return Person(participant=participant, name=name, markers=markers, levels=levels)


SECTORS = [Sector.STATUTORY, Sector.HEALTH, Sector.VCS, Sector.LIVED_EXPERIENCE]


def _agree_all(assessment: Assessment, *, priority: int = 3) -> PriorityAction:
    for dimension in assessment.rubric.dimensions.order_by("number"):
        ConsensusScore.objects.create(
            assessment=assessment,
            dimension=dimension,
            level=dimension.number % 5 + 1,
            reason=f"Agreed reason {dimension.number}",
            dissent=f"Dissent {dimension.number}" if dimension.number == 2 else "",
            is_priority=dimension.number == priority,
        )
    return PriorityAction.objects.create(
        consensus=assessment.consensus_scores.get(dimension__number=priority),
        action="Hold a joint commissioning session",
        owner="Local Implementation Lead",
        review_date=datetime.date(2026, 6, 1),
    )


def _round_with_sheets(community: Community, title: str, people: list[Person]) -> Assessment:
    assessment = AssessmentFactory(
        community=community, focal_issue=community.current_focal_issue, title=title
    )
    for index, sector in enumerate(SECTORS):
        people.append(_person(assessment, index, sector))
    return assessment


def build_scenario(community: Community, other_community: Community) -> Scenario:
    people: list[Person] = []
    focal_issue = community.current_focal_issue
    assert focal_issue is not None
    organisation = OrganisationFactory(community=community, name="Halton Housing Trust")
    stakeholder = StakeholderFactory(community=community, organisation=organisation)

    collecting = AssessmentFactory(
        community=community, focal_issue=focal_issue, title="2024 review"
    )
    this_person = _person(collecting, 0, Sector.HOUSING, submit=False)
    people.append(this_person)
    people.append(_person(collecting, 1, Sector.HEALTH))
    revoked_person = _person(collecting, 2, Sector.VCS, submit=False)
    people.append(revoked_person)
    revoked = revoked_person.participant
    revoked_token = revoked.token  # type: ignore[attr-defined]
    revoked.token = revoked.issue_token()  # type: ignore[attr-defined]

    workshop = _round_with_sheets(community, "2023 review", people)
    workshop.status = Assessment.Status.WORKSHOP
    workshop.collection_closed_at = workshop.collection_opened_at
    workshop.save()
    action = _agree_all(workshop)
    room_token = workshop.issue_room_token()

    finalised = _round_with_sheets(community, "2022 baseline", people)
    finalised.status = Assessment.Status.WORKSHOP
    finalised.collection_closed_at = finalised.collection_opened_at
    finalised.save()
    finalised_action = _agree_all(finalised)
    finalised.finalise()

    other_round = AssessmentFactory(
        community=other_community,
        focal_issue=other_community.current_focal_issue,
        title="Bolsover baseline",
    )
    other_person = _person(other_round, 0, Sector.VCS, submit=False)
    people.append(other_person)

    return Scenario(
        community=community,
        other_community=other_community,
        focal_issue=focal_issue,
        organisation=organisation,
        stakeholder=stakeholder,
        collecting=collecting,
        workshop=workshop,
        finalised=finalised,
        other_round=other_round,
        link_this=this_person.participant,
        link_other=other_person.participant,
        revoked=revoked,
        revoked_token=revoked_token,
        room_token=room_token,
        action=action,
        finalised_action=finalised_action,
        people=people,
    )


# --- URL enumeration ---------------------------------------------------------------------------

SKIPPED_PREFIXES = ("admin/", "static/", "media/", "__debug__/")


@dataclass(frozen=True)
class Route:
    key: str  # how MATRIX names it: "namespace:name", "[kw,...]" appended when names repeat
    name: str  # the name to reverse: "namespace:name"
    route: str  # the full route, for messages
    params: tuple[str, ...]
    callback: Any


def _walk(resolvers: list[Any], prefix: str, namespace: str) -> list[tuple[str, str, Any]]:
    found = []
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            sub_prefix = prefix + str(entry.pattern)
            if sub_prefix.startswith(SKIPPED_PREFIXES):
                continue
            sub_ns = namespace
            if entry.namespace:
                sub_ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found.extend(_walk(entry.url_patterns, sub_prefix, sub_ns))
        elif isinstance(entry, URLPattern):
            full = prefix + str(entry.pattern)
            if full.startswith(SKIPPED_PREFIXES):
                continue
            name = entry.name or f"<unnamed {full}>"
            qualified = f"{namespace}:{name}" if namespace and entry.name else name
            found.append((qualified, full, entry))
    return found


def all_routes(urlconf: str | None = None) -> list[Route]:
    """Every URL pattern of the project (admin and static files left out)."""
    import re

    raw = _walk(get_resolver(urlconf).url_patterns, "", "")
    counts: dict[str, int] = {}
    for qualified, _full, _entry in raw:
        counts[qualified] = counts.get(qualified, 0) + 1
    routes = []
    for qualified, full, entry in raw:
        params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", full))
        key = qualified if counts[qualified] == 1 else f"{qualified}[{','.join(params)}]"
        routes.append(Route(key, qualified, full, params, entry.callback))
    return routes
