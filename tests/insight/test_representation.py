"""Who was at the table: submitted sheets by sector per round, small groups withheld, and the
sectors most often missing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.models import Sector
from tests.factories import ParticipantFactory, StakeholderFactory, submit_sheet
from tests.insight.conftest import MARKER, Places, more_communities

pytestmark = pytest.mark.django_db
URL = reverse("insight:representation")


def line_of(response, title: str, community: str):  # type: ignore[no-untyped-def]
    for line in response.context["data"].rounds:
        if line.title == title and line.community == community:
            return line
    raise AssertionError(title)


def groups(response, title: str, community: str) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    return {s.key: s.count for s in line_of(response, title, community).groups}


def present(response, title: str, community: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {p.sector for p in line_of(response, title, community).sectors if p.present}


def test_each_round_by_sector_group_with_small_groups_withheld(places: Places, evaluator):
    response = evaluator.get(URL)
    assert response.status_code == 200
    # 3 statutory and 1 health: one group of 4.
    assert groups(response, "2022 baseline", "Halton") == {
        "statutory": 4,
        "voluntary": 0,
        "lived-experience": 0,
    }
    assert groups(response, "2024 review", "Halton") == {
        "statutory": 4,
        "voluntary": 3,
        "lived-experience": 0,
    }
    assert groups(response, "2023 baseline", "Merthyr Tydfil") == {
        "statutory": None,
        "voluntary": 0,
        "lived-experience": 0,
    }
    assert present(response, "2024 review", "Halton") == {"statutory", "health", "vcs"}
    html = response.content.decode()
    assert html.count(">withheld</span>") == 1


def test_a_lone_small_group_takes_the_next_smallest_with_it(places: Places, evaluator):
    # Halton's review with one lived-experience sheet: 4, 3 and 1 of 8 would give the 1 away.
    participant = ParticipantFactory(
        assessment=places.review,
        stakeholder=StakeholderFactory(
            community=places.halton, organisation=None, sector=Sector.LIVED_EXPERIENCE
        ),
        sector=Sector.LIVED_EXPERIENCE,
    )
    submit_sheet(participant, [3] * 9)
    response = evaluator.get(URL)
    assert groups(response, "2024 review", "Halton") == {
        "statutory": 4,
        "voluntary": None,
        "lived-experience": None,
    }


def test_the_sectors_most_often_missing_come_first(places, evaluator):
    gaps = evaluator.get(URL).context["data"].gaps
    by_sector = {g.sector: (g.communities_missing, g.rounds_missing) for g in gaps}
    assert by_sector["lived-experience"] == (2, 3)
    assert by_sector["statutory"] == (0, 0)
    assert by_sector["vcs"] == (1, 2)
    assert gaps[0].communities_missing == 2
    assert gaps[-1].sector == "statutory"


def test_no_person_is_shown(places, marked, evaluator):
    html = evaluator.get(URL).content.decode()
    assert MARKER not in html and MARKER.lower() not in html


def test_the_filters_apply_and_a_bad_one_is_a_400(places, evaluator):
    response = evaluator.get(URL, {"nation": "wales"})
    assert [line.community for line in response.context["data"].rounds] == ["Merthyr Tydfil"]
    response = evaluator.get(URL, {"kind": "nonsense"})
    assert response.status_code == 400
    assert "One of the filters has a value we do not know" in response.content.decode()


def test_query_count_does_not_grow_with_rounds(places, evaluator, django_assert_num_queries):  # type: ignore[no-untyped-def]
    # Session, user, the areas, the rounds, the sheets by round and sector.
    with django_assert_num_queries(5):
        evaluator.get(URL)
    more_communities(6)
    with django_assert_num_queries(5):
        assert len(evaluator.get(URL).context["data"].rounds) == 9
