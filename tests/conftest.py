"""Shared personas and data. Each persona is a logged-in test client (or a plain one)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from communities.models import User
from tests.factories import (
    AssessmentFactory,
    CommunityFactory,
    FocalIssueFactory,
    MembershipFactory,
    ParticipantFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english_to_start():  # type: ignore[no-untyped-def]
    """Each test starts in the site's language: Django keeps the active language per thread,
    so a test that activated Welsh (a Welsh request, translation.activate) would otherwise leave
    it on for the next test in the same worker."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():  # type: ignore[no-untyped-def]
    from django.core.cache import caches

    from assessments import links
    from assessments.sheet import local_cache

    for alias in caches.settings:
        caches[alias].clear()
    local_cache.clear()  # the sheet's per-process rubric renderings
    links.local_counts.clear()  # the link rate limit's fallback when the shared cache is down
    links._shared_failed_at = None


@pytest.fixture(autouse=True)
def _one_rate_limit_minute(monkeypatch):  # type: ignore[no-untyped-def]
    """The link rate limit counts attempts per clock minute: a test whose attempts straddled a
    minute's end saw its count start again half way (it happened in CI). Each test runs in
    one minute; the count itself is what the tests check."""
    from assessments import links

    monkeypatch.setattr(links, "_window", lambda: 0)


@pytest.fixture(autouse=True)
def _rubric_after_flush(request):  # type: ignore[no-untyped-def]
    """A transactional test empties every table when it ends, the rubric that a data migration
    loaded included. Put it back for the transactional tests that come after."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if not (transactional or "live_server" in request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from assessments.models import Dimension, LevelDescriptor, Rubric
    from assessments.rubric_loader import FIXTURES, load_rubric, load_rubric_texts
    from assessments.rubric_texts import DimensionText, LevelText, RubricTranslation

    if not Rubric.objects.filter(is_current=True).exists():
        load_rubric(
            FIXTURES / "rubric-2021.json",
            rubric_model=Rubric,
            dimension_model=Dimension,
            level_model=LevelDescriptor,
        )
        load_rubric_texts(
            FIXTURES / "rubric-2021-texts.json",
            rubric_model=Rubric,
            translation_model=RubricTranslation,
            dimension_text_model=DimensionText,
            level_text_model=LevelText,
        )


@pytest.fixture
def community(db):  # type: ignore[no-untyped-def]
    community = CommunityFactory(name="Halton", slug="halton")
    FocalIssueFactory(community=community)
    return community


@pytest.fixture
def other_community(db):  # type: ignore[no-untyped-def]
    community = CommunityFactory(name="Bolsover", slug="bolsover")
    FocalIssueFactory(community=community, title="Domestic abuse", area="domestic abuse")
    return community


@pytest.fixture
def facilitator_user(community) -> User:  # type: ignore[no-untyped-def]
    user = UserFactory(username="fac")
    MembershipFactory(user=user, community=community)
    return user


@pytest.fixture
def other_facilitator_user(other_community) -> User:  # type: ignore[no-untyped-def]
    user = UserFactory(username="otherfac")
    MembershipFactory(user=user, community=other_community)
    return user


@pytest.fixture
def evaluator_user(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="eval", role=User.Role.EVALUATOR)


@pytest.fixture
def admin_user_(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def facilitator(facilitator_user) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(facilitator_user)


@pytest.fixture
def other_facilitator(other_facilitator_user) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(other_facilitator_user)


@pytest.fixture
def evaluator(evaluator_user) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(evaluator_user)


@pytest.fixture
def admin(admin_user_) -> Client:  # type: ignore[no-untyped-def]
    return _client_for(admin_user_)


@pytest.fixture
def assessment(community):  # type: ignore[no-untyped-def]
    return AssessmentFactory(
        community=community, focal_issue=community.current_focal_issue, title="2022 baseline"
    )


@pytest.fixture
def participant(assessment):  # type: ignore[no-untyped-def]
    """A participant of `assessment`; its plain token is `participant.token`."""
    return ParticipantFactory(assessment=assessment)


@pytest.fixture
def other_round_participant(other_community):  # type: ignore[no-untyped-def]
    other = AssessmentFactory(
        community=other_community, focal_issue=other_community.current_focal_issue
    )
    return ParticipantFactory(assessment=other)


@pytest.fixture
def make_participants(assessment) -> Callable[[int], list]:  # type: ignore[no-untyped-def]
    def make(n: int) -> list:
        return [ParticipantFactory(assessment=assessment) for _ in range(n)]

    return make
