"""factory_boy factories for every model. Build realistic graphs with few lines in tests."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from assessments.models import (
    Assessment,
    ConsensusScore,
    Dimension,
    IndividualScore,
    Participant,
    PriorityAction,
    Rubric,
    hash_token,
)
from communities.models import (
    Community,
    FocalIssue,
    Membership,
    Organisation,
    Sector,
    Stakeholder,
    User,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw-for-tests-only")
    role = User.Role.FACILITATOR


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"Community {n}")
    slug = factory.Sequence(lambda n: f"community-{n}")
    nation = "england"
    local_authority = factory.LazyAttribute(lambda c: f"{c.name} Council")


class FocalIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FocalIssue

    community = factory.SubFactory(CommunityFactory)
    title = "Homelessness and housing"
    area = "homelessness"
    started_on = datetime.date(2021, 6, 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Organisation {n}")
    sector = Sector.VCS


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    organisation = factory.SubFactory(
        OrganisationFactory, community=factory.SelfAttribute("..community")
    )
    sector = factory.LazyAttribute(lambda s: s.organisation.sector if s.organisation else "vcs")
    role = "Partner"


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    community = factory.SubFactory(CommunityFactory)
    focal_issue = factory.SubFactory(
        FocalIssueFactory, community=factory.SelfAttribute("..community")
    )
    rubric = factory.LazyFunction(Rubric.current)
    title = factory.Sequence(lambda n: f"{2020 + n % 10} baseline")
    kind = Assessment.Kind.BASELINE
    status = Assessment.Status.COLLECTING
    deadline = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))
    collection_opened_at = factory.LazyFunction(timezone.now)


class ParticipantFactory(factory.django.DjangoModelFactory):
    """Creates a participant; the plain token is kept on the instance as `.token`."""

    class Meta:
        model = Participant

    assessment = factory.SubFactory(AssessmentFactory)
    stakeholder = factory.SubFactory(
        StakeholderFactory, community=factory.SelfAttribute("..assessment.community")
    )
    sector = factory.LazyAttribute(lambda p: p.stakeholder.sector)
    token = factory.Sequence(lambda n: f"test-token-{n:04d}-abcdefghijklmnopqrstuvwxyz012345")
    token_hash = factory.LazyAttribute(lambda p: hash_token(p.token))
    invited_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        token = kwargs.pop("token")
        obj = super()._create(model_class, *args, **kwargs)
        obj.token = token
        return obj


def submit_sheet(
    participant: Participant,
    levels: list[int | None],
    reasons: list[str] | None = None,
    *,
    submitted: bool = True,
) -> None:
    """Give a participant a full sheet (None = not sure) and mark it submitted."""
    dimensions = list(Dimension.objects.filter(rubric=participant.assessment.rubric))
    reasons = reasons or [f"Reason for {d.name}" for d in dimensions]
    IndividualScore.objects.bulk_create(
        IndividualScore(
            participant=participant,
            dimension=dim,
            level=level,
            not_sure=level is None,
            reason=reason,
        )
        for dim, level, reason in zip(dimensions, levels, reasons, strict=False)
    )
    if submitted:
        participant.submitted_at = timezone.now()
        participant.save(update_fields=["submitted_at"])


class ConsensusScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsensusScore

    assessment = factory.SubFactory(AssessmentFactory)
    dimension = factory.LazyAttribute(lambda c: c.assessment.rubric.dimensions.get(number=1))
    level = 3
    reason = "We agreed because of the examples we shared."


class PriorityActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorityAction

    consensus = factory.SubFactory(ConsensusScoreFactory)
    action = "Hold a joint commissioning session"
    owner = "Local Implementation Lead"
    review_date = datetime.date(2026, 6, 1)
