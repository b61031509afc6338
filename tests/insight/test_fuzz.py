"""Hostile input to the insight pages never gets a 500: a token's name, and the synthesis and
representation pages' query strings."""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insight.models import ApiToken

pytestmark = pytest.mark.django_db

TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        ["", "\x00", "%", "_", "' OR 1=1 --", "<script>x</script>", "é" * 250, "9" * 40]
    ),
)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(name=TEXT)
def test_a_token_name_is_made_or_refused_never_a_500(evaluator, name):  # type: ignore[no-untyped-def]
    ApiToken.objects.all().delete()
    response = evaluator.post(reverse("insight:tokens"), {"name": name})
    assert response.status_code in (201, 400)
    assert ApiToken.objects.exists() == (response.status_code == 201)


@SETTINGS
@given(
    params=st.dictionaries(
        st.sampled_from(["q", "nation", "area", "kind", "dimension", "page", "other"]), TEXT
    )
)
def test_query_strings_are_answered_never_a_500(places, evaluator, params):  # type: ignore[no-untyped-def]
    for name in ("insight:synthesis", "insight:representation"):
        response = evaluator.get(reverse(name), params)
        assert response.status_code in (200, 400), (name, params)
