"""Privacy crawl: no page, export or PDF shows a participant's name with their own answers.

Every reason in the scenario carries a marker unique to its author ("MARKER-<hex>-<n>").
For the facilitator of the community, the evaluator and the admin we fetch every page the
permission matrix lets them GET (each round-based page for all three rounds, every sheet in
HTML and PDF, exports as CSV/XLSX, the one-time link and room-link pages) and assert that:
- no response contains both a participant's name and one of their markers;
- no table row, CSV/XLSX row or PDF line holding a participant's name also holds a level
  ("1".."5", "Level 3", "not sure").
Names alone are fine for facilitators: they see who has submitted, so they can chase.
Evaluators see counts only: a stakeholder with a unique name and email and a draft in the
collecting round must not appear, nor any per-person status, on anything an evaluator reaches.

Left out on purpose: the data-protection export (`stakeholder_data_export`), whose job is to
hand one person everything held about them, their own answers included (access request).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from communities.models import Stakeholder
from tests.factories import ParticipantFactory, StakeholderFactory
from tests.scenario import Person, Scenario, all_routes, build_scenario
from tests.test_permission_matrix import MATRIX

ROLES = ("facilitator", "evaluator", "admin")
EXCLUDED = {
    # Hands one person everything held about them (their own named answers): by design.
    "assessments:stakeholder_data_export",
    # Changes state or signs out; nothing to read.
    "logout",
}
# Pages that answer a POST with something worth reading (none now: the personal and room
# links are shown by GET, so the crawl reads them as every other page).
POST_PAGES: set[str] = set()
# A cell that reads as a score ("Level 3", "3/5", "not sure"); bare digits are counts unless
# several come together (a sheet has nine).
LEVEL_CELL = re.compile(r"^level\s*[1-5]$|^[1-5]\s*/\s*5$|^not sure$", re.IGNORECASE)
BARE_LEVEL = re.compile(r"^[1-5]$")
LEVEL_IN_LINE = re.compile(r"\blevel\s*[1-5]\b|\bnot sure\b", re.IGNORECASE)
# A participant's status as the round page's list shows it to facilitators (Participant.status_label).
PERSON_STATUS = re.compile(r"^(Submitted|Saved a draft|Opened|Invited|Not yet invited)\b")


@dataclass
class Fetched:
    label: str
    kind: str  # html, csv, xlsx, pdf, json, text
    text: str
    rows: list[list[str]]


def _strip(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _html_rows(html: str) -> list[list[str]]:
    rows = []
    for match in re.finditer(r"<(tr|li)\b(.*?)</\1>", html, flags=re.S | re.I):
        cells = re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", match.group(2), flags=re.S | re.I)
        rows.append([_strip(c) for c in cells] or [_strip(match.group(2))])
    return rows


def extract(label: str, response) -> Fetched:  # type: ignore[no-untyped-def]
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "pdf" in content_type:
        from pypdf import PdfReader

        text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
        return Fetched(label, "pdf", text, [[line] for line in text.splitlines()])
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        rows = [
            ["" if v is None else str(v) for v in row]
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        ]
        return Fetched(label, "xlsx", "\n".join(" ".join(r) for r in rows), rows)
    text = body.decode("utf-8", errors="replace")
    if "csv" in content_type:
        return Fetched(label, "csv", text, list(csv.reader(io.StringIO(text))))
    if "html" in content_type:
        return Fetched(label, "html", text, _html_rows(text))
    return Fetched(label, "text", text, [[line] for line in text.splitlines()])


def leaks(fetched: Fetched, people: list[Person]) -> list[str]:
    found = []
    for person in people:
        if person.name not in fetched.text:
            continue
        markers = [m for m in person.markers if m in fetched.text]
        if markers:
            found.append(f"{fetched.label}: {person.name} shown with their reason {markers[0]}")
        for row in fetched.rows:
            if not any(person.name in cell for cell in row):
                continue
            if fetched.kind == "pdf":
                if LEVEL_IN_LINE.search(row[0]):
                    found.append(f"{fetched.label}: {person.name} on a line with a level: {row}")
            elif any(LEVEL_CELL.match(cell.strip()) for cell in row) or (
                sum(1 for cell in row if BARE_LEVEL.match(cell.strip())) >= 3
            ):
                found.append(f"{fetched.label}: {person.name} in a row with a level: {row}")
    return found


def _round_codes(s: Scenario) -> list:
    return [s.collecting.code, s.workshop.code, s.finalised.code]


def _variants(kwargs: dict, s: Scenario) -> list[dict]:
    variants = [kwargs]
    if kwargs.get("code") in _round_codes(s):
        variants = [{**kwargs, "code": code} for code in _round_codes(s)]
    if "fmt" in kwargs:
        variants = [{**v, "fmt": fmt} for v in variants for fmt in ("html", "pdf")]
    if "number" in kwargs:
        variants = [{**v, "number": n} for v in variants for n in (1, 2, 3)]
    return variants


def crawl(client: Client, role: str, s: Scenario) -> list[Fetched]:
    fetched = []
    for route in all_routes():
        entry = MATRIX[route.key]
        if route.key in EXCLUDED or "token" in route.params:
            continue
        method = "POST" if route.key in POST_PAGES else "GET"
        expected = entry.post[role] if method == "POST" else entry.get[role]
        if expected != 200:
            continue
        for kwargs in _variants(entry.kwargs(s, role), s):
            url = reverse(route.name, kwargs=kwargs or None)
            urls = [url, f"{url}?sort=disagreement"] if route.key.endswith("analysis") else [url]
            for one in urls:
                cache.clear()
                with transaction.atomic():
                    response = client.post(one) if method == "POST" else client.get(one)
                    transaction.set_rollback(True)
                assert response.status_code != 500, f"{method} {one} as {role}: 500"
                if response.status_code == 200:
                    fetched.append(extract(f"{method} {one} as {role}", response))
    return fetched


@pytest.fixture
def scenario(community, other_community) -> Scenario:  # type: ignore[no-untyped-def]
    return build_scenario(community, other_community)


@pytest.mark.parametrize("role", ROLES)
def test_no_name_next_to_its_answers(role, scenario, request):  # type: ignore[no-untyped-def]
    client = request.getfixturevalue(role)
    client.raise_request_exception = False
    fetched = crawl(client, role, scenario)
    kinds = {f.kind for f in fetched}
    assert {"html", "pdf", "csv", "xlsx"} <= kinds, kinds
    found = [line for f in fetched for line in leaks(f, scenario.people)]
    assert not found, "\n".join(found)

    # The crawl really saw names and anonymous reasons (otherwise it proves nothing).
    everything = "\n".join(f.text for f in fetched)
    labels = "\n".join(f.label for f in fetched)
    for fragment in ("/report/", "report.pdf", "agreed-levels.xlsx", "agreed-sheet.pdf"):
        assert fragment in labels, fragment
    if role != "evaluator":  # evaluators see neither who took part nor individual reasons
        assert any(p.name in everything for p in scenario.people)
        assert any(m in everything for p in scenario.people for m in p.markers)
        for fragment in ("/analysis/", "/present/1/", "/rounds/"):
            assert fragment in labels, fragment


# --- the checker can fail ----------------------------------------------------------------------


def _person(scenario: Scenario) -> Person:
    return next(p for p in scenario.people if p.participant.submitted_at)


def test_checker_flags_a_name_with_its_marker(scenario):  # type: ignore[no-untyped-def]
    person = _person(scenario)
    html = f"<p>{person.name}</p><p>{person.markers[3]}</p>"
    assert leaks(Fetched("fake", "html", html, _html_rows(html)), scenario.people)


def test_checker_flags_a_name_in_a_row_with_a_level(scenario):  # type: ignore[no-untyped-def]
    person = _person(scenario)
    html = f"<table><tr><td>{person.name}</td><td>Level 4</td></tr></table>"
    assert leaks(Fetched("fake", "html", html, _html_rows(html)), scenario.people)
    cells = "".join(f"<td>{level}</td>" for level in (3, 4, 2))
    html = f"<table><tr><td>{person.name}</td>{cells}</tr></table>"
    assert leaks(Fetched("fake", "html", html, _html_rows(html)), scenario.people)
    rows = [["name", "level"], [person.name, "not sure"]]
    assert leaks(Fetched("fake", "csv", person.name, rows), scenario.people)
    line = f"{person.name} Level 2"
    assert leaks(Fetched("fake", "pdf", line, [[line]]), scenario.people)


def test_checker_accepts_names_alone(scenario):  # type: ignore[no-untyped-def]
    person = _person(scenario)
    html = f"<table><tr><td>{person.name}</td><td>Submitted 3 May 2025</td></tr></table>"
    assert not leaks(Fetched("fake", "html", html, _html_rows(html)), scenario.people)


# --- evaluators see counts, never people -------------------------------------------------------


@pytest.fixture
def marked(scenario) -> list[str]:  # type: ignore[no-untyped-def]
    """A stakeholder with a unique name and email who saved a draft in the collecting round
    (through their own link): what must never reach an evaluator, with the references that
    would lead to them."""
    tag = uuid.uuid4().hex[:12]
    stakeholder = StakeholderFactory(
        community=scenario.community,
        organisation=scenario.organisation,
        name=f"Ottoline{tag} Vexley",
        email=f"ovexley-{tag}@example.org",
    )
    participant = ParticipantFactory(assessment=scenario.collecting, stakeholder=stakeholder)
    dimension = scenario.collecting.rubric.dimensions.get(number=1)
    save = reverse("assessments:sheet_save", kwargs={"token": participant.token})
    response = Client().post(save, {"dimension": dimension.pk, "level": "2", "reason": ""})
    assert response.status_code in (200, 303)
    participant.refresh_from_db()
    assert participant.draft_saved_at and not participant.submitted_at
    return [stakeholder.name, stakeholder.email, str(stakeholder.code), str(participant.code)]


def test_marker_is_what_a_facilitator_sees(facilitator, scenario, marked):  # type: ignore[no-untyped-def]
    """The marker is real: the community's facilitator sees the person and their draft."""
    name, email = marked[:2]
    community = facilitator.get(
        reverse("communities:detail", kwargs={"slug": scenario.community.slug})
    )
    assert name in community.content.decode() and email in community.content.decode()
    page = facilitator.get(reverse("assessments:round", kwargs={"code": scenario.collecting.code}))
    row = next(r for r in _html_rows(page.content.decode()) if any(name in c for c in r))
    assert any(PERSON_STATUS.match(cell) for cell in row), row


def test_evaluators_see_no_person_anywhere(evaluator, scenario, marked):  # type: ignore[no-untyped-def]
    evaluator.raise_request_exception = False
    fetched = crawl(evaluator, "evaluator", scenario)
    # The evaluator pack, which the crawl sees only as a job page: made (at once, by the test
    # settings' task backend) and downloaded.
    job_page = evaluator.post(reverse("assessments:pack_start"))["Location"]
    pack = evaluator.get(f"{job_page}download/")
    assert pack.status_code == 200 and pack["Content-Type"] == "application/pdf"
    fetched.append(extract("GET the evaluator pack as evaluator", pack))
    assert "2022 baseline" in fetched[-1].text
    labels = "\n".join(f.label for f in fetched)
    # The pages that show people to facilitators were reached (else this proves nothing).
    for url in (
        reverse("communities:detail", kwargs={"slug": scenario.community.slug}),
        *(reverse("assessments:round", kwargs={"code": code}) for code in _round_codes(scenario)),
    ):
        assert f"GET {url} as" in labels, url
    people = [
        *marked,
        *(x for s in Stakeholder.objects.all() for x in (s.name, s.email, str(s.code)) if x),
        *(str(p.participant.code) for p in scenario.people),
    ]
    found = [f"{f.label}: {who}" for f in fetched for who in people if who in f.text]
    assert not found, "\n".join(found)
    statuses = [
        f"{f.label}: {row}"
        for f in fetched
        for row in f.rows
        if any(PERSON_STATUS.match(cell.strip()) for cell in row)
    ]
    assert not statuses, "\n".join(statuses)
    # The counts are there instead.
    round_page = next(f for f in fetched if f"/rounds/{scenario.collecting.code}/" in f.label)
    assert "4 people · 4 invited" in round_page.text and "1 saved a draft" in round_page.text
