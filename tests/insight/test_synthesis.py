"""The synthesis page: distributions, change since baseline, statements side by side, search."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from insight.synthesis import search_words
from insight.templatetags.insight import highlight
from tests.insight.conftest import MARKER, Places, more_communities

pytestmark = pytest.mark.django_db
URL = reverse("insight:synthesis")


def page(client, **params):  # type: ignore[no-untyped-def]
    response = client.get(URL, params)
    return response, response.content.decode()


def test_each_dimension_shows_how_levels_are_spread_and_moved(places: Places, evaluator):
    response, _html = page(evaluator)
    assert response.status_code == 200
    first = response.context["data"].distributions[0]
    # Halton's review agreed 3 (from 2 at baseline); Merthyr's baseline is its latest, 5.
    assert first.counts == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert (first.up, first.same, first.down, first.mean_change) == (1, 0, 0, 1)
    third = response.context["data"].distributions[2]
    assert (third.up, third.down, third.mean_change) == (0, 1, -1)
    assert [(s.level, s.width) for s in first.segments] == [(3, 50.0), (5, 50.0)]


def test_the_chart_has_a_table_of_the_same_numbers(places, evaluator):
    _response, html = page(evaluator)
    assert '<svg class="dist-chart"' in html and 'role="img"' in html
    assert "The same numbers are in the table below." in html
    assert '<th scope="row" class="text-start">1. Vision</th>' in html


def test_every_communitys_why_dissent_and_priority_side_by_side(places, evaluator):
    _response, html = page(evaluator, dimension=2)
    assert "Housing partners pooled budgets agreed on 2" in html
    assert "Merthyr Tydfil agreed on 2" in html
    assert "Halton dissent 2" in html and "Merthyr Tydfil dissent 2" in html
    assert "agreed on 3" not in html
    _response, html = page(evaluator, dimension=3)
    assert "Joint commissioning board" in html  # Halton's priority's next step


def test_words_are_searched_in_reasons_dissent_and_next_steps(places, evaluator):
    response, html = page(evaluator, q="pooled BUDGETS")
    statements = response.context["statements"]
    assert {s.community.name for s in statements} == {"Halton"}
    assert len(statements) == 9
    assert "<mark>pooled</mark> <mark>budgets</mark>" in html
    response, _html = page(evaluator, q="commissioning")
    assert [(s.community.name, s.number) for s in response.context["statements"]] == [("Halton", 3)]
    response, _html = page(evaluator, q="dissent Merthyr")
    assert [(s.community.name, s.number) for s in response.context["statements"]] == [
        ("Merthyr Tydfil", 2)
    ]
    _response, html = page(evaluator, q="nowhere-to-be-found")
    assert "No agreed statement has all of these words." in html


def test_private_reasons_are_never_searched_or_shown(places, marked, evaluator):
    response, html = page(evaluator, q=MARKER)
    assert list(response.context["statements"]) == []
    _response, html = page(evaluator)
    assert MARKER not in html and MARKER.lower() not in html
    assert "Private" not in html


def test_the_overviews_filters_apply(places, evaluator):
    response, _html = page(evaluator, nation="wales")
    assert [line.community.name for line in response.context["data"].lines] == ["Merthyr Tydfil"]
    response, _html = page(evaluator, area="homelessness", kind="baseline")
    lines = response.context["data"].lines
    assert [(line.community.name, line.latest.title) for line in lines] == [
        ("Halton", "2022 baseline")
    ]


@pytest.mark.parametrize(
    "params", [{"nation": "atlantis"}, {"dimension": "99"}, {"kind": "x"}, {"q": "x" * 201}]
)
def test_a_bad_filter_is_a_400_with_a_message(places, evaluator, params):
    response, html = page(evaluator, **params)
    assert response.status_code == 400
    assert "One of the filters has a value we do not know" in html


def test_search_words_are_capped():
    assert search_words("  a  b c d e f g h i j ") == ["a", "b", "c", "d", "e", "f", "g", "h"]


def test_highlight_escapes_and_never_marks_inside_an_entity():
    assert highlight("<b>Tom & Amp</b>\nnext", ["amp"]) == (
        "&lt;b&gt;Tom &amp; <mark>Amp</mark>&lt;/b&gt;<br>next"
    )


def test_statements_come_a_page_at_a_time(places, evaluator):
    more_communities(3)  # 5 communities × 9 dimensions = 45 statements, 30 a page
    response, html = page(evaluator)
    assert len(response.context["statements"]) == 30
    response, html = page(evaluator, page=2)
    assert len(response.context["statements"]) == 15
    assert 'aria-label="Pages of statements"' in html


def test_query_count_does_not_grow_with_communities(places, evaluator, django_assert_num_queries):  # type: ignore[no-untyped-def]
    page(evaluator)  # the rubric's dimensions are then kept by the process (sheet.local_cache)
    # Session and user, the current rubric, the overview's rounds and its communities waiting
    # for a first round, the lines' rounds and levels, the statements' count, page and next
    # steps: 10. Pinned as measured, so that a change to the overview's own reads (which this
    # page shares) does not fail it, as long as the count stays flat and within that.
    with CaptureQueriesContext(connection) as small:
        page(evaluator, q="agreed")
    assert len(small) <= 10
    more_communities(6)
    with django_assert_num_queries(len(small)):
        response, _html = page(evaluator, q="agreed")
    assert len(response.context["data"].lines) == 8
