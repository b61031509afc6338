import pytest
from django.core.management import call_command

from assessments.models import (
    Assessment,
    ConsensusScore,
    IndividualScore,
    Participant,
    PriorityAction,
)
from communities.models import Community, Membership, Organisation, Sector, Stakeholder, User

MODELS = [
    Community,
    Organisation,
    Stakeholder,
    User,
    Membership,
    Assessment,
    Participant,
    IndividualScore,
    ConsensusScore,
    PriorityAction,
]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.mark.django_db
def test_load_demo_twice_gives_the_same_counts():
    call_command("load_demo", quiet=True)
    first = counts()
    call_command("load_demo", quiet=True)
    assert counts() == first
    assert first["Community"] == 6


@pytest.mark.django_db
def test_demo_matches_the_design():
    call_command("load_demo", quiet=True)
    assert set(Community.objects.values_list("name", flat=True)) == {
        "Bolsover",
        "Great Yarmouth",
        "Halton",
        "Merthyr Tydfil",
        "Redcar & Cleveland",
        "Telford & Wrekin",
    }
    assert all(Community.objects.values_list("is_demo", flat=True))
    for community in Community.objects.all():
        assert 8 <= community.stakeholders.count() <= 15
        sectors = set(community.organisations.values_list("sector", flat=True))
        assert {Sector.SMALL_CHARITY, Sector.LIVED_EXPERIENCE} <= sectors
    facilitator = User.objects.get(username="facilitator")
    lead = User.objects.get(username="lead-merthyr")
    assert set(Community.objects.visible_to(lead).values_list("slug", flat=True)) == {
        "merthyr-tydfil"
    }
    assert Community.objects.visible_to(facilitator).count() == 5
    assert User.objects.get(username="evaluator").is_evaluator
    assert User.objects.get(username="admin").is_superuser
    assert facilitator.check_password("demo-password")
    finalised = Assessment.objects.finalised()
    assert finalised.filter(kind="baseline").values("community").distinct().count() == 5
    assert finalised.filter(kind="review").count() >= 2
    assert Assessment.objects.filter(status="collecting").count() == 1
    for assessment in finalised:
        assert assessment.consensus_scores.count() == 9
        assert assessment.consensus_scores.filter(is_priority=True).count() == 2
