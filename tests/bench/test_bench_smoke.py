"""The benchmark's cheap parts: the data generator at a tiny scale (PostgreSQL only, since it
uses COPY), the page targets, the minimal view and the percentile maths. Never starts gunicorn
and never asserts on wall-clock time."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings

from assessments.models import (
    Assessment,
    ConsensusScore,
    IndividualScore,
    Participant,
    hash_token,
)
from bench import datagen, load, targets

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the generator writes with PostgreSQL COPY"
)
TINY = datagen.Scale(communities=3, rounds=3, participants=5, stakeholders=8, facilitators=2)


def test_copy_encoding_escapes_tabs_newlines_and_backslashes():
    assert datagen._enc(None) == r"\N"
    assert datagen._enc(True) == "t"
    assert datagen._enc("a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re"
    assert datagen._enc({"k": 1}) == '{"k": 1}'


def test_bench_tokens_look_like_real_links_and_differ():
    tokens = {datagen.bench_token(i) for i in range(1, 2001)}
    assert len(tokens) == 2000
    assert all(len(t) == 43 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)


def test_full_scale_is_the_issues_648000_scores():
    assert datagen.FULL.individual_scores == 648_000
    assert datagen.expected_counts(datagen.FULL)["participants"] == 72_000


def test_percentiles():
    result = load.Result(clients=1, latencies=[i / 1000 for i in range(1, 101)], elapsed=2.0)
    assert result.p95 == pytest.approx(0.095)
    assert result.p50 == pytest.approx(0.0505)
    assert result.rps == 50


@override_settings(ROOT_URLCONF="bench.bench_urls")
def test_minimal_view_is_served_next_to_the_app(client, db):
    response = client.get("/bench/minimal")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert client.get("/healthz").status_code == 200


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_generator_writes_consistent_rows_and_targets_resolve():
    datagen.generate(TINY, log=lambda _msg: None)
    assert datagen.actual_counts() == datagen.expected_counts(TINY)
    rounds = Assessment.objects.filter(community__slug__startswith=datagen.SLUG_PREFIX)
    # Every participant has all nine dimensions; only finalised rounds have consensus.
    for participant in Participant.objects.filter(assessment__in=rounds):
        assert participant.scores.count() == 9
        assert participant.token_hash == hash_token(datagen.bench_token(participant.pk))
        assert participant.stakeholder.community_id == participant.assessment.community_id
    assert not IndividualScore.objects.filter(level__isnull=False, not_sure=True).exists()
    assert ConsensusScore.objects.exclude(assessment__status="finalised").count() == 0
    assert rounds.filter(status="finalised").count() == 3 * 2
    # Sequences were reset: a normal insert after COPY does not collide.
    extra = Participant.objects.filter(assessment__in=rounds).first()
    assert extra is not None
    new = Participant.objects.create(
        assessment=extra.assessment,
        stakeholder=extra.assessment.community.stakeholders.exclude(
            participations__assessment=extra.assessment
        ).first(),
        sector="vcs",
        token_hash="x" * 64,
    )
    assert new.pk > extra.pk

    who, pages = targets.build(demo=False)
    assert who.facilitator == "bench-facilitator"
    by_label = {page.label: page for page in pages}
    assert by_label["minimal Django view"].paths == ["/bench/minimal"]
    assert by_label["stakeholder page"].built
    assert len(by_label["stakeholder page"].paths) == len(set(by_label["stakeholder page"].paths))
