"""The anonymised open data package: valid Frictionless, small numbers withheld, no person."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from frictionless import validate

from assessments.models import AuditEvent
from insight.datapackage import build
from tests.insight.conftest import MARKER, Places, more_communities

pytestmark = pytest.mark.django_db


def unpack(content: bytes, into: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(into)
    return into / "datapackage.json"


def rows(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[f"data/{name}.csv"].decode())))


def test_the_downloaded_package_is_valid_frictionless(places, marked, evaluator, tmp_path):
    response = evaluator.get(reverse("insight:datapackage"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "private, no-store"
    report = validate(str(unpack(response.content, tmp_path)))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    assert [r["name"] for r in descriptor["resources"]] == [
        "rounds",
        "agreed-levels",
        "level-counts",
    ]


def test_validation_would_catch_a_broken_file(places, tmp_path):
    # The check above can fail: a level out of range is reported.
    files = build(None)
    agreed = files["data/agreed-levels.csv"].decode().replace(",2,false,", ",7,false,", 1)
    files["data/agreed-levels.csv"] = agreed.encode()
    for path, content in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    assert not validate(str(tmp_path / "datapackage.json")).valid


def test_no_name_email_or_private_reason_in_any_file(places, marked):
    for path, content in build(None).items():
        text = content.decode()
        assert MARKER not in text and MARKER.lower() not in text, path
        assert "Private" not in text, path
        assert "@example.org" not in text, path


def test_level_counts_are_withheld_under_three_sheets(places: Places, marked):
    files = build(None)
    counts = rows(files, "level-counts")
    merthyr = [r for r in counts if r["round"] == str(places.merthyr_round.code)]
    assert len(merthyr) == 9
    assert all(r["withheld"] == "true" and r["level_1"] == "" for r in merthyr)
    review = [r for r in counts if r["round"] == str(places.review.code)]
    assert (review[0]["submitted"], review[0]["level_1"], review[0]["level_3"]) == ("8", "1", "7")
    assert review[0]["withheld"] == "false"


def test_agreed_levels_carry_the_groups_reasons(places: Places):
    agreed = rows(build(None), "agreed-levels")
    assert len(agreed) == 27
    third = next(
        r for r in agreed if r["round"] == str(places.review.code) and r["dimension_number"] == "3"
    )
    assert (third["level"], third["priority"]) == ("1", "true")
    assert third["reason"] == "Housing partners pooled budgets agreed on 3"


def test_text_a_spreadsheet_would_run_is_neutralised(places: Places):
    score = places.review.consensus_scores.get(dimension__number=1)
    score.reason = "=HYPERLINK(1)"
    score.save()
    agreed = rows(build(None), "agreed-levels")
    assert "'=HYPERLINK(1)" in {r["reason"] for r in agreed}


def test_the_download_is_audited(places, evaluator):
    evaluator.get(reverse("insight:datapackage"))
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.EXPORTED)
    assert event.detail["export"] == "data package"


def test_the_management_command_writes_the_same_package(places, marked, tmp_path):
    output = tmp_path / "smm-data.zip"
    call_command("build_datapackage", "--output", str(output), stdout=io.StringIO())
    report = validate(str(unpack(output.read_bytes(), tmp_path / "out")))
    assert report.valid
    written = sorted((tmp_path / "out").rglob("*.*"))
    assert [p.name for p in written] == [
        "agreed-levels.csv",
        "level-counts.csv",
        "rounds.csv",
        "datapackage.json",
    ]
    assert not any(MARKER in p.read_text() for p in written)


def test_the_package_is_built_in_constant_queries(places, django_assert_num_queries):
    with django_assert_num_queries(4):
        build(None)
    more_communities(4)
    with django_assert_num_queries(4):
        assert len(rows(build(None), "rounds")) == 7
