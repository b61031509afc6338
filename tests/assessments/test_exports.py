"""CSV/XLSX exports: rows match the database, no names, formulas neutralised, roles, queries."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import AuditEvent, ConsensusScore, IndividualScore
from assessments.reports.exports import neutralise
from tests.assessments.test_reports_data import (
    make_round,
)
from tests.factories import CommunityFactory, FocalIssueFactory

CSV_URL = reverse("assessments:export_csv")
XLSX_URL = reverse("assessments:export_xlsx")
COUNTS_URL = reverse("assessments:export_counts_csv")


def body(response) -> bytes:
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
            c.dissent,
            "England",
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
    assert rows[1][8] == '\'=HYPERLINK("http://evil")'
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.EXPORTED).count() == 1


def test_csv_quotes_what_a_spreadsheet_would_split(evaluator, baseline):
    """The export writes its lines itself: a reason with quotes, commas and line breaks, and a
    round title with a comma, read back as they are stored."""
    reason = 'Partners said "not yet", then\r\nagreed: 2, maybe 3.'
    ConsensusScore.objects.filter(assessment=baseline, dimension__number=3).update(reason=reason)
    baseline.title = "2022, first baseline"
    baseline.save()
    header, *rows = rows_of(evaluator.get(CSV_URL))
    assert [row[8] for row in rows if row[4] == "3"] == [reason]
    assert {row[1] for row in rows} == {"2022, first baseline"}
    assert all(len(row) == len(header) for row in rows)


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
    # A date is a date in the spreadsheet (sorts and filters as one), not text.
    day = datetime.datetime(2022, 3, 10)
    assert agreed[1][:7] == ["Halton", "2022 baseline", "Baseline", day, 1, "Vision", 2]
    assert agreed[0][-2:] == ["dissent", "nation"]
    assert agreed[2][-3:] == [
        "'@SUM(1) and a control  char",
        "One partner felt it was lower.",
        "England",
    ]
    assert book["Agreed levels"]["D2"].number_format == "yyyy-mm-dd"
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
        return len(ctx.captured_queries)

    build(1)
    one = count()
    build(49)
    assert count() == one


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL, COUNTS_URL])
def test_every_download_is_audited_with_its_row_count(evaluator, baseline, url):
    evaluator.get(url)
    evaluator.get(url)
    events = AuditEvent.objects.filter(verb=AuditEvent.Verb.EXPORTED, actor__username="eval")
    assert [e.detail["rows"] for e in events] == [events[0].detail["rows"]] * 2
    assert events[0].detail["rows"] >= 2


@pytest.mark.parametrize("url", [CSV_URL, COUNTS_URL])
def test_a_write_made_anywhere_is_in_the_next_download(evaluator, facilitator, baseline, url):
    first = rows_of(evaluator.get(url))
    # Written with the ORM, outside any request (a shell, a script, another host).
    baseline.community.__class__.objects.filter(pk=baseline.community_id).update(name="Runcorn")
    assert {row[0] for row in first[1:]} == {"Halton"}
    assert {row[0] for row in rows_of(evaluator.get(url))[1:]} == {"Runcorn"}


@pytest.mark.parametrize("url", [CSV_URL, COUNTS_URL])
def test_exports_are_per_user(
    evaluator, facilitator, other_facilitator, baseline, other_community, url
):
    make_round(other_community, title="2023 baseline")
    assert {row[0] for row in rows_of(evaluator.get(url))[1:]} == {"Halton", "Bolsover"}
    assert {row[0] for row in rows_of(facilitator.get(url))[1:]} == {"Halton"}
    assert {row[0] for row in rows_of(other_facilitator.get(url))[1:]} == {"Bolsover"}


def test_xlsx_is_a_zip_file(evaluator, baseline):
    response = evaluator.get(XLSX_URL)
    assert response["Content-Disposition"].startswith("attachment;")
    assert body(response)[:2] == b"PK"


@pytest.mark.parametrize("url", [CSV_URL, COUNTS_URL])
def test_csv_names_dimensions_in_the_downloaders_language(evaluator, baseline, url):
    from django.conf import settings

    from assessments.rubric_texts import DimensionText

    dimension = baseline.rubric.dimensions.get(number=1)
    welsh_name = DimensionText.objects.get(
        dimension=dimension, translation__language="cy", translation__kind="official"
    ).name
    assert welsh_name != dimension.name
    column = 5 if url == CSV_URL else 4
    english = [row[column] for row in rows_of(evaluator.get(url))[1:] if row[column - 1] == "1"]
    evaluator.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    welsh = [row[column] for row in rows_of(evaluator.get(url))[1:] if row[column - 1] == "1"]
    assert english and set(english) == {dimension.name}
    assert set(welsh) == {welsh_name}
