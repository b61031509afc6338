"""The benchmark's cheap parts: the data generator at a tiny scale (PostgreSQL only, since it
uses COPY), the page targets and their floors, the floor views, the Server-Timing middleware
and its parsing, the percentile maths and the table. Never starts gunicorn and never asserts on
wall-clock time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
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
from bench.server_timing import ServerTimingMiddleware

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


def test_server_timing_header_is_parsed():
    assert load.server_ms("app;dur=1.25") == pytest.approx(1.25)
    assert load.server_ms('db;dur=3, app;desc="Django";dur="4.5"') == pytest.approx(4.5)
    assert load.server_ms(None) is None
    assert load.server_ms("db;dur=3") is None
    assert load.server_ms("app;dur=x") is None
    result = load.Result(clients=1, server_ms=[3.0, 1.0, 2.0])
    assert result.server_p50_ms == 2.0
    assert load.Result(clients=1).server_p50_ms is None


@override_settings(ROOT_URLCONF="bench.bench_urls")
def test_minimal_view_is_served_next_to_the_app(client, db):
    response = client.get("/bench/minimal")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert client.get("/healthz").status_code == 200
    assert client.get("/bench/minimal-page").status_code == 200


@override_settings(
    ROOT_URLCONF="bench.bench_urls",
    MIDDLEWARE=["bench.server_timing.ServerTimingMiddleware", *settings.MIDDLEWARE],
)
def test_every_response_says_how_long_the_server_took(client, db):
    for path, status in (("/bench/minimal", 200), ("/bench/minimal-page-signed-in", 302)):
        response = client.get(path)
        assert response.status_code == status
        duration = load.server_ms(response["Server-Timing"])
        assert duration is not None and duration >= 0


def test_bench_settings_put_server_timing_first():
    # In a process of its own: importing the production settings here would change the
    # settings dictionaries this test run shares with them (databases, storages).
    code = (
        "import json, bench.bench_settings as b, smm_site.settings.production as p; "
        "print(json.dumps([b.ROOT_URLCONF, b.MIDDLEWARE, p.MIDDLEWARE]))"
    )
    env = {
        **os.environ,
        "SECRET_KEY": "k" * 60,
        "DATABASE_URL": "postgres://bench@127.0.0.1:5432/smm_bench",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    out = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    urlconf, middleware, production = json.loads(out)
    assert urlconf == "bench.bench_urls"
    assert middleware[0] == "bench.server_timing.ServerTimingMiddleware"
    assert middleware[1:] == production
    assert ServerTimingMiddleware.__module__ == "bench.server_timing"


@override_settings(ROOT_URLCONF="bench.bench_urls")
def test_signed_in_layout_reads_the_user(client, facilitator, facilitator_user):
    anonymous = client.get("/bench/minimal-page-signed-in")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    response = facilitator.get("/bench/minimal-page-signed-in")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<p>ok</p>" in html
    assert facilitator_user.get_username() in html  # the layout's menu for that user


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
    assert by_label[targets.LAYOUT_SIGNED_IN].paths == ["/bench/minimal-page-signed-in"]
    assert by_label["stakeholder page"].built
    assert len(by_label["stakeholder page"].paths) == len(set(by_label["stakeholder page"].paths))
    # The floors: signed-in pages on the signed-in layout, link pages on the anonymous one.
    for page in pages:
        assert page.built, page.label
        if page.is_floor:
            assert page.server_target_ms is None and page.ratio_target is None
        elif page.who == "stakeholder":
            assert page.floor == targets.LAYOUT
        else:
            assert page.who in ("facilitator", "evaluator")
            assert page.floor == targets.LAYOUT_SIGNED_IN
    assert by_label["autosave (POST, htmx)"].ratio_target == 2.0
    assert by_label["evaluator overview"].server_target_ms == 25.0


def test_table_and_targets_from_a_made_up_run():
    from bench import run

    rows = [
        {
            "label": targets.LAYOUT_SIGNED_IN,
            "built": True,
            "floor": targets.MINIMAL,
            "is_floor": True,
            "server_target_ms": None,
            "ratio_target": None,
            "c1": {"p50_ms": 2.0, "p95_ms": 3.0, "server_p50_ms": 1.5, "errors": 0, "rps": 400},
            "c20": {"p50_ms": 20, "p95_ms": 30, "errors": 0, "rps": 800, "ratio": 2.0},
        },
        {
            "label": "community page",
            "built": True,
            "floor": targets.LAYOUT_SIGNED_IN,
            "is_floor": False,
            "server_target_ms": 10.0,
            "ratio_target": 3.0,
            "c1": {"p50_ms": 9.0, "p95_ms": 11.0, "server_p50_ms": 12.5, "errors": 0, "rps": 90},
            "c20": {
                "p50_ms": 90,
                "p95_ms": 120,
                "errors": 0,
                "rps": 150,
                "floor_p95_ms": 30,
                "ratio": 4.0,
            },
        },
    ]
    big = {r["label"]: {"built": True, "queries": 2, "queries_again": 2} for r in rows}
    demo = {**big, "community page": {"built": True, "queries": 3, "queries_again": 3}}
    text = run.table(rows, big, demo)
    assert "server 12.5 > 10 ms; 4.0× > 3×; SQL not flat" in text
    assert "(floor)" in text
    report = run.targets_report(rows, big, demo, {})
    assert "community page 12.5 ms" in report
    assert "community page 4.00×" in report
    assert "community page 2 vs 3" in report
    assert "200 concurrent complete sheets, 0 errors, nothing lost: not measured" in report
