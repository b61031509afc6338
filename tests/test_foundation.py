import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Dimension, LevelDescriptor, Rubric
from assessments.rubric_loader import FIXTURES, read_fixture
from communities.models import Community, FocalIssue, Organisation, Stakeholder
from tests.factories import (
    CommunityFactory,
    FocalIssueFactory,
    MembershipFactory,
    OrganisationFactory,
    StakeholderFactory,
)

APPENDIX_NAMES = [
    "Vision",
    "Collaboration",
    "Accountability",
    "Involvement",
    "Planning/ Strategy/ Programming",
    "Finance",
    "Service delivery",
    "Workforce development",
    "Learning, evaluation and continuous improvement",
]


@pytest.mark.django_db
def test_rubric_2021_is_in_every_database_in_the_appendix_order():
    rubric = Rubric.objects.get(version="2021")
    assert rubric.is_current
    dims = list(rubric.dimensions.order_by("number"))
    assert [d.name for d in dims] == APPENDIX_NAMES
    for dim in dims:
        texts = dict(dim.levels.values_list("level", "text"))
        assert sorted(texts) == [1, 2, 3, 4, 5]
        assert all(t.strip() for t in texts.values())


@pytest.mark.django_db
def test_rubric_text_is_word_for_word_from_the_seed_document():
    seed = FIXTURES.parent.parent / "shared" / "seed" / "system-maturity-model-report.txt"
    if not seed.exists():
        pytest.skip("seed document not beside the repository")
    appendix = seed.read_text(encoding="utf-8").split("APPENDIX: SYSTEM MATURITY MODEL")[1]
    for descriptor in LevelDescriptor.objects.all():
        assert descriptor.text in appendix
    assert LevelDescriptor.objects.get(dimension__number=1, level=1).text == (
        "There is no clear shared vision for the future, or there are competing visions."
    )
    assert LevelDescriptor.objects.get(dimension__number=8, level=5).text == (
        "New ways of working are adopted. Shared workforce planning is in place."
    )


@pytest.mark.django_db
def test_a_second_rubric_version_loads_beside_the_first(tmp_path):
    from assessments.rubric_loader import load_rubric

    objects = json.loads((FIXTURES / "rubric-2021.json").read_text(encoding="utf-8"))
    for obj in objects:
        if obj["model"] == "assessments.rubric":
            obj["fields"]["version"] = "2030"
    path = tmp_path / "rubric-2030.json"
    path.write_text(json.dumps(objects), encoding="utf-8")
    load_rubric(path, rubric_model=Rubric, dimension_model=Dimension, level_model=LevelDescriptor)
    assert Rubric.objects.count() == 2
    assert Rubric.current().version == "2030"
    assert Dimension.objects.filter(rubric__version="2021").count() == 9
    assert Dimension.objects.filter(rubric__version="2030").count() == 9
    assert read_fixture(path)["rubric"]["version"] == "2030"


@pytest.mark.django_db
def test_constraints_reject_duplicates_and_out_of_range_levels():
    dim = Dimension.objects.get(rubric__version="2021", number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelDescriptor.objects.create(dimension=dim, level=1, text="duplicate")
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelDescriptor.objects.create(dimension=dim, level=6, text="too high")
    community = CommunityFactory()
    OrganisationFactory(community=community, name="Halton Council")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(community=community, name="halton council", sector="health")
    StakeholderFactory(community=community, email="a@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Stakeholder.objects.create(
            community=community, name="X", email="A@example.org", sector="vcs"
        )
    FocalIssueFactory(community=community)
    with pytest.raises(IntegrityError), transaction.atomic():
        FocalIssue.objects.create(
            community=community, title="Two", area="x", started_on="2022-01-01"
        )


@pytest.mark.django_db
def test_dashboard_shows_a_facilitator_only_their_communities(
    facilitator, community, other_community
):
    response = facilitator.get(reverse("communities:dashboard"))
    assert response.status_code == 200
    assert "Halton" in response.text
    assert "Bolsover" not in response.text


@pytest.mark.django_db
def test_dashboard_shows_an_evaluator_every_community(evaluator, community, other_community):
    response = evaluator.get(reverse("communities:dashboard"))
    assert "Halton" in response.text and "Bolsover" in response.text


def test_anonymous_is_sent_to_login(anonymous, db):
    response = anonymous.get(reverse("communities:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_dashboard_query_count_does_not_grow_with_communities(evaluator):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert evaluator.get(reverse("communities:dashboard")).status_code == 200
        return len(ctx.captured_queries)

    CommunityFactory()
    small = count()
    for _ in range(20):
        FocalIssueFactory(community=CommunityFactory())
    assert count() == small


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_membership_makes_a_community_visible(community):
    user = MembershipFactory(community=community).user
    assert list(Community.objects.visible_to(user)) == [community]


def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "Log in" in response.text
