"""Every HTML page of the site is valid HTML, checked by the Nu HTML Checker (vnu.jar).

The pages are those of the permission matrix (every URL pattern) that answer 200 with HTML, each
as every kind of visitor who may see it (the facilitator, the evaluator, a stakeholder's link,
an anonymous visitor; the admin only where nobody else may), plus a few states the matrix does
not reach (the spread revealed, a finalised round in presenter mode, a form with its errors).
They are all checked in one run of vnu, because each start of the JVM costs seconds.

vnu comes from the `vnu-jar` npm package (package.json; `make test` runs `npm ci`) and needs a
Java (`scripts/system-deps.sh --browser`). Without them the test is skipped, except in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests import test_permission_matrix as matrix
from tests.scenario import Scenario, all_routes
from tests.test_permission_matrix import MATRIX, request_as, url_for

ROOT = Path(__file__).resolve().parents[1]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# Who looks at each page: the first three see different pages at the same address.
VIEWERS = ("facilitator", "evaluator", "link_this", "anonymous")

# The matrix's own graph and clients, as fixtures of this module too.
scenario = matrix.scenario
clients = matrix.clients


def _vnu_command() -> list[str]:
    java = shutil.which("java")
    if java is None or not VNU.exists():
        missing = "java" if java is None else f"{VNU.relative_to(ROOT)} (run `npm ci`)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"The HTML checker cannot run without {missing}; `make test` installs it")
        pytest.skip(f"The HTML checker needs {missing}: `make test` installs it")
    return [java, "-jar", str(VNU), "--format", "json", "--errors-only"]


def _html(response) -> str | None:  # type: ignore[no-untyped-def]
    if response.status_code not in (200, 400, 409) or not response.get(
        "Content-Type", ""
    ).startswith("text/html"):
        return None
    body = b"".join(response.streaming_content) if response.streaming else response.content
    html = body.decode()
    if not html.lstrip()[:15].lower().startswith("<!doctype html"):
        # An htmx partial: checked as the body of a page.
        html = f'<!doctype html><html lang="en"><title>partial</title><body>{html}</body></html>'
    return html


def _matrix_pages(s: Scenario, by_role: dict[str, Client]) -> dict[str, str]:
    pages: dict[str, str] = {}
    for route in all_routes():
        entry = MATRIX[route.key]
        viewers = [role for role in VIEWERS if entry.get[role] == 200]
        if not viewers and entry.get["admin"] == 200:
            viewers = ["admin"]
        for role in viewers:
            url = url_for(route, entry, s, role)
            html = _html(request_as(by_role[role], "GET", url))
            if html is not None:
                pages[f"GET {url} as {role}"] = html
    return pages


def _extra_pages(s: Scenario, by_role: dict[str, Client]) -> dict[str, str]:
    """States the matrix's GETs do not show."""
    fac = by_role["facilitator"]
    pages: dict[str, str] = {}
    workshop = s.workshop
    present = reverse("assessments:presenter", kwargs={"code": workshop.code, "number": 1})
    # A form sent back with its errors.
    record = reverse("assessments:consensus_record", kwargs={"code": workshop.code, "number": 1})
    pages["POST consensus_record (errors)"] = fac.post(record, {"version": "0"}).content.decode()
    # The room on dimension 1 with the spread revealed.
    workshop.current_dimension, workshop.spread_revealed = 1, True
    workshop.save(update_fields=["current_dimension", "spread_revealed"])
    pages[f"GET {present} (revealed)"] = fac.get(present).content.decode()
    room = reverse("assessments:room", kwargs={"token": s.room_token})
    pages[f"GET {room} (revealed)"] = Client().get(room).content.decode()
    finalised = reverse("assessments:presenter", kwargs={"code": s.finalised.code, "number": 2})
    pages[f"GET {finalised} (finalised)"] = fac.get(finalised).content.decode()
    pages["GET /no-such-page/ (404)"] = Client().get("/no-such-page/").content.decode()
    # Pages with a dated event each (their <time datetime>).
    from assessments.models import AuditEvent, audit
    from communities.accounts import AccountVerb

    audit(verb=AuditEvent.Verb.CONSENSUS_SAVED, summary="saved", assessment=workshop)
    audit(verb=AccountVerb.values[0], summary="account event")
    trail = reverse("assessments:audit", kwargs={"code": workshop.code})
    pages[f"GET {trail} (an event)"] = fac.get(trail).content.decode()
    activity = reverse("accounts:activity")
    pages[f"GET {activity} (an event)"] = by_role["admin"].get(activity).content.decode()
    return pages


def _errors(command: list[str], pages: dict[str, str], folder: Path) -> list[str]:
    files: dict[str, str] = {}
    for index, (name, html) in enumerate(pages.items()):
        path = folder / f"page-{index:03d}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = name
    result = subprocess.run(  # noqa: S603 - our own arguments
        [*command, *(str(folder / file) for file in files)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(result.stderr or result.stdout)
    lines = []
    for message in report["messages"]:
        url = message.get("url", "?")
        name = files.get(url.rsplit("/", 1)[-1], url)
        extract = re.sub(r"\s+", " ", message.get("extract", ""))[:160]
        lines.append(f"{name}: line {message.get('lastLine')}: {message['message']} [{extract}]")
    return lines


def test_every_page_is_valid_html(scenario, clients, tmp_path):  # type: ignore[no-untyped-def]
    command = _vnu_command()
    pages = _matrix_pages(scenario, clients) | _extra_pages(scenario, clients)
    assert len(pages) > 60, sorted(pages)  # the walk reached the site
    errors = _errors(command, pages, tmp_path)
    assert errors == [], f"{len(errors)} vnu errors:\n" + "\n".join(errors)


def test_the_checker_finds_invalid_html(tmp_path):  # type: ignore[no-untyped-def]
    """The test above cannot pass by checking nothing."""
    page = '<!doctype html><html lang="en"><title>x</title><p><time datetime="soon">x</time>'
    errors = _errors(_vnu_command(), {"broken": page}, tmp_path)
    assert any("datetime" in line for line in errors), errors
