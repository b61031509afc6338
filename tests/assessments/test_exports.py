"""CSV/XLSX exports: rows match the database, no names, formulas neutralised, roles, queries."""

from __future__ import annotations

import csv
import gzip
import io

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import AuditEvent, ConsensusScore, IndividualScore
from assessments.reports import exports
from assessments.reports.exports import neutralise
from assessments.views.reports import accepts_gzip
from smm_site import page_cache
from tests.assessments.test_reports_data import (
    make_round,
)
from tests.factories import CommunityFactory, FocalIssueFactory

CSV_URL = reverse("assessments:export_csv")
XLSX_URL = reverse("assessments:export_xlsx")
COUNTS_URL = reverse("assessments:export_counts_csv")


def body(response) -> bytes:
    # Streamed from storage, or (under page_cache.KEEP_MAX_BYTES) kept whole for the session.
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def rows_of(response) -> list[list[str]]:
    text = body(response).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("fine", "fine"),
        (3, 3),
        (None, None),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_rows_match_database(evaluator, review):
    response = evaluator.get(CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    header, *rows = rows_of(response)
    assert header[:4] == ["community", "round", "kind", "date"]
    expected = [
        [
            "Halton",
            c.assessment.title,
            c.assessment.get_kind_display(),
            "2022-03-10",
            str(c.dimension.number),
            c.dimension.name,
            str(c.level),
            "yes" if c.is_priority else "",
            c.reason,
        ]
        for c in ConsensusScore.objects.select_related("assessment", "dimension").order_by(
            "assessment__finalised_at", "dimension__number"
        )
    ]
    assert rows == expected
    assert len(rows) == 18


def test_csv_has_no_names_or_individual_reasons(evaluator, baseline):
    text = body(evaluator.get(CSV_URL)).decode("utf-8-sig")
    for participant in baseline.participants.select_related("stakeholder"):
        assert participant.stakeholder.name not in text
    assert "private reason" not in text


def test_csv_neutralises_formula_cells(evaluator, baseline):
    ConsensusScore.objects.filter(assessment=baseline, dimension__number=1).update(
        reason='=HYPERLINK("http://evil")'
    )
    rows = rows_of(evaluator.get(CSV_URL))
    assert rows[1][-1] == '\'=HYPERLINK("http://evil")'
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.EXPORTED).count() == 1


def test_counts_csv_matches_database(evaluator, baseline):
    header, *rows = rows_of(evaluator.get(COUNTS_URL))
    assert header[5] == "sheets submitted"
    assert len(rows) == 9
    for row in rows:
        number = int(row[3])
        scores = IndividualScore.objects.filter(
            participant__assessment=baseline, dimension__number=number
        )
        counts = [scores.filter(level=level).count() for level in range(1, 6)]
        assert [int(v) for v in row[6:11]] == counts
        assert row[5] == "3"


def test_counts_withheld_for_rounds_under_three_sheets(evaluator, community):
    make_round(community, participants=2)
    _header, *rows = rows_of(evaluator.get(COUNTS_URL))
    assert len(rows) == 1
    assert rows[0][6:11] == [""] * 5
    assert "withheld" in rows[0][-1]


def test_xlsx_has_both_sheets_matching_csv(evaluator, baseline):
    ConsensusScore.objects.filter(assessment=baseline, dimension__number=2).update(
        reason="@SUM(1) and a control \x0b char"
    )
    response = evaluator.get(XLSX_URL)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(body(response)))
    assert book.sheetnames == ["Agreed levels", "Level counts"]
    agreed = [[c.value for c in row] for row in book["Agreed levels"].iter_rows()]
    assert len(agreed) == 10
    assert agreed[1][:7] == ["Halton", "2022 baseline", "Baseline", "2022-03-10", 1, "Vision", 2]
    assert agreed[2][-1] == "'@SUM(1) and a control  char"
    assert len(list(book["Level counts"].iter_rows())) == 10


def test_facilitator_exports_only_their_communities(facilitator, baseline, other_community):
    make_round(other_community)
    communities = {row[0] for row in rows_of(facilitator.get(CSV_URL))[1:]}
    assert communities == {"Halton"}


def test_other_facilitator_sees_none_of_this_community(other_facilitator, baseline):
    assert rows_of(other_facilitator.get(CSV_URL))[1:] == []
    assert rows_of(other_facilitator.get(COUNTS_URL))[1:] == []


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL, COUNTS_URL])
def test_exports_need_login(anonymous, url):
    assert anonymous.get(url).status_code == 302


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL, COUNTS_URL])
def test_admin_can_export(admin, baseline, url):
    assert admin.get(url).status_code == 200


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL, COUNTS_URL])
def test_export_query_count_1_vs_50_communities(evaluator, url):
    def build(n: int) -> None:
        for _ in range(n):
            c = CommunityFactory()
            FocalIssueFactory(community=c)
            make_round(c, participants=3)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = evaluator.get(url)
            assert response.status_code == 200
            body(response)
        return len(ctx.captured_queries)

    build(1)
    one = count()
    build(49)
    page_cache.bump()  # the factories wrote behind the app's back; a request would have bumped
    assert count() == one
    # Until the next write the download is kept whole for the session (page_cache.keep_whole):
    # the session and the audit record (after the first time, which on PostgreSQL also
    # prepares that INSERT on the connection).
    count()
    assert count() == 2


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL, COUNTS_URL])
def test_export_is_served_from_storage_until_a_write(
    evaluator, facilitator, baseline, other_community, monkeypatch, url
):
    make_round(other_community, title="2023 baseline")
    first = body(evaluator.get(url))
    with monkeypatch.context() as patched:
        for builder in ("agreed_rows", "counts_rows", "to_csv", "to_xlsx"):
            patched.setattr(exports, builder, lambda *a, **k: pytest.fail("built again"))
        second = evaluator.get(url)
        assert body(second) == first
    # Every download is recorded, the stored ones too, with the number of rows.
    events = AuditEvent.objects.filter(verb=AuditEvent.Verb.EXPORTED, actor__username="eval")
    assert [e.detail["rows"] for e in events] == [events[0].detail["rows"]] * 2
    assert events[0].detail["rows"] >= 2

    # A write through the app (reopening Halton's round) is in the next download.
    response = facilitator.post(
        reverse("assessments:reopen", kwargs={"code": baseline.code}), {"reason": "A typo"}
    )
    assert response.status_code == 302
    third = body(evaluator.get(url))
    assert third != first
    if url != XLSX_URL:
        assert {row[0] for row in csv.reader(io.StringIO(third.decode("utf-8-sig")))} == {
            "community",
            "Bolsover",
        }
    # Only the latest version of each export is kept.
    _dirs, files = default_storage.listdir(f"exports/{events[0].actor_id}")
    kind = url.rsplit("/", 1)[1]
    assert len([f for f in files if f.startswith(kind) and not f.endswith(".gz")]) == 1
    assert len([f for f in files if f.startswith(kind) and f.endswith(".gz")]) <= 1


@pytest.mark.parametrize("url", [CSV_URL, COUNTS_URL])
def test_stored_csv_comes_compressed_to_browsers_that_ask(evaluator, baseline, url):
    plain = body(evaluator.get(url))  # builds and stores both copies
    packed = evaluator.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    compressed = body(packed)
    assert gzip.decompress(compressed) == plain and len(compressed) < len(plain)
    identity = evaluator.get(url, headers={"Accept-Encoding": "identity"})
    assert not identity.has_header("Content-Encoding") and body(identity) == plain


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("*", True),
        ("x-gzip", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000, deflate", False),
        ("*;q=0", False),
        ("identity", False),
        ("", False),
        ("gzip;q=nonsense", False),
        ("deflate, *;q=0.5, gzip;q=0", False),  # named beats the wildcard
    ],
)
def test_accept_encoding_is_read_with_its_weights(header, expected):
    assert accepts_gzip(header) is expected


def test_a_browser_that_refuses_gzip_gets_the_plain_file(evaluator, baseline):
    plain = body(evaluator.get(CSV_URL))
    refused = evaluator.get(CSV_URL, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert not refused.has_header("Content-Encoding") and body(refused) == plain


def test_xlsx_is_never_sent_gzip_encoded(evaluator, baseline):
    evaluator.get(XLSX_URL)
    response = evaluator.get(XLSX_URL, headers={"Accept-Encoding": "gzip"})
    assert not response.has_header("Content-Encoding")
    assert body(response)[:2] == b"PK"  # already a zip file


@pytest.mark.parametrize("url", [CSV_URL, COUNTS_URL])
def test_stored_exports_are_per_user(
    evaluator, facilitator, other_facilitator, baseline, other_community, url
):
    make_round(other_community, title="2023 baseline")
    # The evaluator's file (every community) is stored first; nobody else is given it.
    assert {row[0] for row in rows_of(evaluator.get(url))[1:]} == {"Halton", "Bolsover"}
    assert {row[0] for row in rows_of(facilitator.get(url))[1:]} == {"Halton"}
    assert {row[0] for row in rows_of(other_facilitator.get(url))[1:]} == {"Bolsover"}
    assert {row[0] for row in rows_of(evaluator.get(url))[1:]} == {"Halton", "Bolsover"}


def test_exports_without_a_shared_cache_are_built_every_time(settings, evaluator, baseline):
    settings.CACHES = {
        **settings.CACHES,
        "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    first = rows_of(evaluator.get(CSV_URL))
    ConsensusScore.objects.filter(assessment=baseline, dimension__number=1).update(reason="New")
    second = rows_of(evaluator.get(CSV_URL))
    assert first[1][-1] != "New" and second[1][-1] == "New"
    assert not default_storage.exists("exports")


def test_a_small_export_is_kept_for_the_session_and_every_download_audited(evaluator, baseline):
    first = evaluator.get(CSV_URL)
    evaluator.get(CSV_URL)  # kept; on PostgreSQL the audit INSERT is prepared this time
    with CaptureQueriesContext(connection) as queries:
        again = evaluator.get(CSV_URL)
    assert not again.streaming and body(again) == body(first)
    assert again["Content-Disposition"] == first["Content-Disposition"]
    # The session (a query on the test settings' database sessions) and the audit record.
    assert len(queries) == 2
    downloads = AuditEvent.objects.filter(verb=AuditEvent.Verb.EXPORTED)
    assert downloads.count() == 3
    assert {e.detail["export"] for e in downloads} == {"agreed levels"}


def test_a_big_export_streams_from_storage_and_is_not_kept(evaluator, baseline, monkeypatch):
    monkeypatch.setattr(page_cache, "KEEP_MAX_BYTES", 100)
    first = evaluator.get(CSV_URL)
    assert first.streaming  # a file from storage, never built in memory
    plain = b"".join(first.streaming_content)
    again = evaluator.get(CSV_URL)
    assert again.streaming and b"".join(again.streaming_content) == plain
