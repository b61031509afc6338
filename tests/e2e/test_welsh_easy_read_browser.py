"""A Welsh stakeholder on a phone (issue 17): their link opens the sheet in Welsh, the rubric's
draft translation labelled as such; they turn on easy read, answer a dimension, and open the
official English wording. Axe-clean at 375 px. Under SMM_UPDATE_SCREENSHOTS=1 it saves
docs/screenshots/welsh-easy-read-375.png and a page of the bilingual sheet PDF
(docs/screenshots/pdf-bilingual-sheet.png)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from assessments.models import Assessment, IndividualScore
from communities.models import Nation
from tests.e2e.conftest import PHONE, SCREENSHOTS, check_page, new_page
from tests.factories import AssessmentFactory, CommunityFactory, ParticipantFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_welsh_stakeholder_scores_in_welsh_with_easy_read_at_375(browser, live_server):
    from playwright.sync_api import expect

    community = CommunityFactory(name="Merthyr Tudful", slug="merthyr", nation=Nation.WALES)
    assessment = AssessmentFactory(community=community, status=Assessment.Status.COLLECTING)
    participant = ParticipantFactory(assessment=assessment, language="cy")
    page = new_page(browser, live_server, viewport=PHONE)
    page.goto(f"/s/{participant.token}/")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.locator("#dim-1 legend")).to_have_text("1. Gweledigaeth")
    expect(page.locator("#draft-translation")).to_contain_text("Cyfieithiad drafft")
    check_page(page)

    page.get_by_role("link", name="Dangos y fersiwn hawdd ei ddarllen").click()
    page.wait_for_load_state("networkidle")
    first = page.locator("label[for=d2-l1]")
    expect(first.locator(".easy-read")).to_contain_text(
        "Dydy grwpiau ddim yn gweithio llawer gyda'i gilydd."
    )
    expect(first.locator(".official-text")).to_contain_text(
        "Cyfyngedig yw'r cydweithio ar draws ffiniau."
    )

    # Answer dimension 2 by tapping its easy-read text; it saves itself.
    first.locator(".easy-read").click()
    page.locator("#d2-reason").fill("Prin yw'r cydweithio.")
    expect(page.locator("#status-2")).not_to_be_empty()
    score = IndividualScore.objects.get(participant=participant, dimension__number=2)
    assert score.level == 1

    # The official English wording, one tap away, its target at least 44 px tall.
    summary = page.locator("#dim-2 details.official-english summary")
    assert summary.bounding_box()["height"] >= 44
    toggle = page.locator(".easy-read-toggle")
    assert toggle.bounding_box()["height"] >= 44
    summary.click()
    expect(page.locator("#dim-2 details.official-english")).to_contain_text(
        "Collaboration across boundaries is limited."
    )
    check_page(page)
    page.evaluate("document.getElementById('easy-read').scrollIntoView()")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "welsh-easy-read-375.png"))

    # The sheet links the bilingual PDF of the person's own sheet.
    link = page.locator("a[href$='sheet.pdf?lang=both']")
    expect(link).to_have_text("Dwyieithog")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
    pdf = SCREENSHOTS / "pdf-bilingual-sheet.pdf"
    pdf.write_bytes(response.body())
    if pdftoppm := shutil.which("pdftoppm"):
        subprocess.run(  # noqa: S603 - our own file
            [
                pdftoppm,
                "-r",
                "70",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(SCREENSHOTS / "pdf-bilingual-sheet"),
            ],
            check=True,
        )
    pdf.unlink()
