"""Communities with finalised rounds for the insight tests, and a marked stakeholder whose
name, email and private reason must appear in no API response and no package file."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from assessments.models import Assessment, ConsensusScore, Dimension, PriorityAction
from communities.models import Community, Sector
from insight.models import ApiToken
from tests.factories import (
    AssessmentFactory,
    CommunityFactory,
    FocalIssueFactory,
    ParticipantFactory,
    StakeholderFactory,
    submit_sheet,
)

MARKER = "QXMARKER7731"  # planted in a stakeholder's name, email and private reason


def finalised_round(
    community: Community,
    title: str,
    *,
    kind: str = Assessment.Kind.BASELINE,
    levels: list[int] | None = None,
    sectors: list[str] = (),  # type: ignore[assignment]
    reason: str = "",
    days_ago: int = 30,
    priority: int = 0,
    action: str = "",
) -> Assessment:
    """A finalised round with one submitted sheet per entry of `sectors` and an agreed level
    for every dimension (`levels`, default 3)."""
    assessment = AssessmentFactory(
        community=community, focal_issue=community.current_focal_issue, title=title, kind=kind
    )
    for sector in sectors:
        participant = ParticipantFactory(
            assessment=assessment,
            stakeholder=StakeholderFactory(community=community, organisation=None, sector=sector),
            sector=sector,
        )
        submit_sheet(participant, [3] * 9)
    dimensions = list(Dimension.objects.filter(rubric=assessment.rubric).order_by("number"))
    for dim, level in zip(dimensions, levels or [3] * 9, strict=False):
        score = ConsensusScore.objects.create(
            assessment=assessment,
            dimension=dim,
            level=level,
            reason=f"{reason or community.name} agreed on {dim.number}",
            dissent=f"{community.name} dissent {dim.number}" if dim.number == 2 else "",
            is_priority=dim.number == priority,
        )
        if dim.number == priority and action:
            PriorityAction.objects.create(consensus=score, action=action, owner="the lead")
    assessment.status = Assessment.Status.FINALISED
    assessment.finalised_at = timezone.now() - datetime.timedelta(days=days_ago)
    assessment.workshop_date = (assessment.finalised_at - datetime.timedelta(days=1)).date()
    assessment.save()
    return assessment


def new_community(name: str, *, nation: str = "england", area: str = "homelessness") -> Community:
    community = CommunityFactory(
        name=name, slug="i-" + name.lower().replace(" ", "-"), nation=nation
    )
    FocalIssueFactory(community=community, area=area)
    return community


def more_communities(n: int) -> None:
    """n more communities, each with a finalised baseline: for pinned query counts."""
    for i in range(n):
        community = new_community(f"Extra {i}")
        finalised_round(
            community, "baseline", sectors=FOUR, priority=1, action=f"Extra step {i}", days_ago=9
        )


@dataclass
class Places:
    halton: Community
    merthyr: Community
    baseline: Assessment
    review: Assessment
    merthyr_round: Assessment


FOUR = [Sector.STATUTORY, Sector.STATUTORY, Sector.STATUTORY, Sector.HEALTH]


@pytest.fixture
def places(db) -> Places:  # type: ignore[no-untyped-def]
    halton = new_community("Halton")
    merthyr = new_community("Merthyr Tydfil", nation="wales", area="domestic abuse")
    baseline = finalised_round(halton, "2022 baseline", levels=[2] * 9, sectors=FOUR, days_ago=400)
    review = finalised_round(
        halton,
        "2024 review",
        kind=Assessment.Kind.REVIEW,
        levels=[3, 2, 1, 4, 4, 4, 4, 4, 4],
        sectors=[*FOUR, Sector.VCS, Sector.VCS, Sector.VCS],
        reason="Housing partners pooled budgets",
        priority=3,
        action="Joint commissioning board",
    )
    review.previous = baseline
    review.save()
    merthyr_round = finalised_round(merthyr, "2023 baseline", levels=[5] * 9, sectors=FOUR[:2])
    return Places(halton, merthyr, baseline, review, merthyr_round)


@pytest.fixture
def marked(places: Places) -> str:
    """A stakeholder with the marker in their name, email and private reasons, who submitted
    a sheet in Halton's review."""
    stakeholder = StakeholderFactory(
        community=places.halton,
        organisation=None,
        name=f"Ada {MARKER}",
        email=f"{MARKER.lower()}@example.org",
        sector=Sector.HOUSING,
    )
    participant = ParticipantFactory(
        assessment=places.review, stakeholder=stakeholder, sector=Sector.HOUSING
    )
    submit_sheet(participant, [1] * 9, [f"Private {MARKER} reason"] * 9)
    return MARKER


@pytest.fixture
def evaluator_token(evaluator_user) -> str:  # type: ignore[no-untyped-def]
    _row, token = ApiToken.issue(user=evaluator_user, name="notebook")
    return token
