"""Baseline report PDF: WeasyPrint's first render vs Chromium printing the same HTML, and the
download of the stored file.

    .venv/bin/python bench/pdf_bench.py [--participants 12] [--repeat 5]

Builds a throw-away SQLite database with one finalised round (nine agreed scores, priorities,
private sheets), then in one run:
  1. WeasyPrint: the first render of the round report in this process (data + template +
     layout + PDF), then the median of further renders;
  2. Chromium (/usr/bin/chromium via Playwright, browser already running): the same report HTML
     and the same pdf.css printed with page.pdf(), median of the renders;
  3. the stored download: GET of the report PDF through Django's full request stack once the
     file is in storage (each request checks access, writes the download's audit record and
     reads the file from storage), median over 30 requests (time spent in the server, no
     network).
Targets (issue 6): WeasyPrint first render ≤ 1.5 × Chromium; stored download < 20 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="smm-pdf-bench-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smm_site.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

settings.MEDIA_ROOT = WORK / "media"
settings.ALLOWED_HOSTS = ["*"]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def build_round(participants: int):  # type: ignore[no-untyped-def]
    from assessments.models import Assessment, Dimension
    from tests.factories import (
        AssessmentFactory,
        CommunityFactory,
        ConsensusScoreFactory,
        FocalIssueFactory,
        ParticipantFactory,
        PriorityActionFactory,
        UserFactory,
        submit_sheet,
    )

    community = CommunityFactory(name="Halton", slug="halton")
    FocalIssueFactory(community=community)
    baseline = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        title="2022 baseline",
        status=Assessment.Status.WORKSHOP,
    )
    for i in range(participants):
        submit_sheet(ParticipantFactory(assessment=baseline), [1 + (i + n) % 5 for n in range(9)])
    for dim in Dimension.objects.filter(rubric=baseline.rubric):
        score = ConsensusScoreFactory(
            assessment=baseline,
            dimension=dim,
            level=1 + dim.number % 5,
            reason=f"Partners agreed on {dim.name} after sharing examples from their work. " * 3,
            is_priority=dim.number in (4, 6),
        )
        if score.is_priority:
            PriorityActionFactory(consensus=score)
    baseline.finalise()
    user = UserFactory(username="bench-evaluator", role="evaluator")
    return baseline, user


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    assessment, user = build_round(args.participants)

    from django.contrib.staticfiles import finders
    from django.template.loader import render_to_string
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from assessments.reports import pdf
    from assessments.reports.data import round_report

    # 1. WeasyPrint
    start = time.perf_counter()
    first_pdf = pdf.round_report_pdf(assessment)
    weasy_first = time.perf_counter() - start
    weasy_runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        pdf.round_report_pdf(assessment)
        weasy_runs.append(time.perf_counter() - start)

    # 2. Chromium printing the same HTML (+ the same stylesheet, inlined).
    css = Path(finders.find("css/pdf.css")).read_text()
    report = round_report(assessment)
    context = {
        **pdf.report_context(report),
        "running_title": f"{assessment.community.name} · {assessment.title}",
        "lang": "en-gb",
        "generated": timezone.now(),
    }
    html = render_to_string("assessments/pdf/round_report.html", context)
    html = html.replace("</head>", f"<style>{css}</style></head>", 1)
    chromium_runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        for i in range(args.repeat + 1):
            start = time.perf_counter()
            page.set_content(html, wait_until="load")
            chrome_pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            elapsed = time.perf_counter() - start
            if i:  # the first print warms Chromium's renderer; count the rest
                chromium_runs.append(elapsed)
        browser.close()
        # What a server without a browser pool would pay per report: launch, print, close.
        start = time.perf_counter()
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_content(html, wait_until="load")
        page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        browser.close()
        chromium_cold = time.perf_counter() - start

    # 3. The stored file's download through Django's request stack.
    client = Client()
    client.force_login(user)
    url = reverse("assessments:report_pdf", kwargs={"code": assessment.code})
    response = client.get(url)  # renders and stores
    assert response.status_code == 200
    stored_runs = []
    for _ in range(30):
        start = time.perf_counter()
        response = client.get(url)
        # Read from storage on every request: the response holds the file's bytes.
        body = response.content
        stored_runs.append(time.perf_counter() - start)
        assert response.status_code == 200 and body.startswith(b"%PDF")

    weasy_median = statistics.median(weasy_runs)
    chromium = statistics.median(chromium_runs)
    stored = statistics.median(stored_runs)
    print(f"participants: {args.participants}, repeats: {args.repeat}")
    print(
        f"WeasyPrint first render (data+template+layout): {ms(weasy_first)}  "
        f"({len(first_pdf) // 1024} KiB)"
    )
    print(f"WeasyPrint later renders, median:               {ms(weasy_median)}")
    print(
        f"Chromium page.pdf of the same HTML, median:     {ms(chromium)}  "
        f"({len(chrome_pdf) // 1024} KiB, browser already running)"
    )
    print(
        f"ratio first render / Chromium:                  {weasy_first / chromium:8.2f}x "
        f"(target <= 1.5x)"
    )
    print(f"ratio median render / Chromium:                 {weasy_median / chromium:8.2f}x")
    print(f"Chromium incl. launch and close (cold):         {ms(chromium_cold)}")
    print(f"ratio first render / cold Chromium:             {weasy_first / chromium_cold:8.2f}x")
    print(f"stored download, median of 30:                  {ms(stored)}  (target < 20 ms)")
    print(f"stored download, max:                           {ms(max(stored_runs))}")


if __name__ == "__main__":
    main()
