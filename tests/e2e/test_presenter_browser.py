"""Presenter mode on a projector (1920×1080) and a laptop (1280×720): Save on screen without
scrolling, the anonymous reasons behind their toggle, last round's level hidden until the reveal,
agreed dimensions ticked in the jump list, and what is typed kept when moving on or reloading."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from assessments.models import Assessment, ConsensusScore, Rubric
from tests.e2e.conftest import check_page, login, new_page
from tests.e2e.test_journey import rubric  # noqa: F401 - the fixture
from tests.factories import (
    AssessmentFactory,
    ConsensusScoreFactory,
    ParticipantFactory,
    submit_sheet,
)

PROJECTOR = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1280, "height": 720}


def _round(community) -> Assessment:  # type: ignore[no-untyped-def]
    previous = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        rubric=Rubric.current(),
        title="2021 baseline",
        status=Assessment.Status.WORKSHOP,
    )
    ConsensusScoreFactory(
        assessment=previous,
        dimension=previous.rubric.dimensions.get(number=1),
        level=2,
        reason="Back then there was no shared forum.",
    )
    previous.finalise()
    assessment = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        rubric=Rubric.current(),
        title="2026 review",
        status=Assessment.Status.WORKSHOP,
        previous=previous,
    )
    for index, levels in enumerate([[2] * 9, [3] * 9, [4] * 9]):
        submit_sheet(
            ParticipantFactory(assessment=assessment),
            levels,
            [f"Sheet {index} says {n}: the housing forum meets monthly" for n in range(1, 10)],
        )
    ConsensusScoreFactory(
        assessment=assessment,
        dimension=assessment.rubric.dimensions.get(number=2),
        level=3,
        reason="Agreed in the room",
    )
    return assessment


def _save_on_screen(page: Page, *, at_top: bool = True) -> None:
    """The Save button inside the window as the page opened (bounding boxes are relative to
    the window)."""
    if at_top:
        assert page.evaluate("window.scrollY") == 0
    box = page.get_by_role("button", name="Save agreed score").bounding_box()
    height = page.viewport_size["height"]
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (box, page.viewport_size)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("rubric")
@pytest.mark.parametrize("viewport", [PROJECTOR, LAPTOP], ids=["1920x1080", "1280x720"])
def test_presenter_reasons_reveal_ticks_drafts_and_save_on_screen(
    browser, live_server, community, facilitator_user, viewport
):  # type: ignore[no-untyped-def]
    assessment = _round(community)
    size = f"{viewport['width']}"
    fac = new_page(browser, live_server, viewport=viewport)
    login(fac, "fac")
    fac.goto(f"/rounds/{assessment.code}/present/1/")
    _save_on_screen(fac)

    # Agreed dimensions carry a tick, as text, not a colour alone.
    jump = fac.get_by_role("navigation", name="Dimensions")
    two = jump.get_by_role("button", name=re.compile(r"^Go to 2\b"))
    expect(two).to_contain_text("✓")
    expect(two).to_have_accessible_name(re.compile(r"Collaboration \(agreed\)$"))
    expect(jump.get_by_role("button", name=re.compile(r"^Go to 3\b"))).not_to_contain_text("✓")
    expect(fac.get_by_text("✓ = agreed (1 of 9).")).to_be_visible()

    # Last round's level waits for the reveal, like the spread.
    expect(fac.get_by_role("heading", name="Last time (2021 baseline)")).to_be_visible()
    expect(fac.get_by_text("Agreed level 2")).to_have_count(0)
    expect(fac.get_by_text("Back then there was no shared forum.")).to_have_count(0)

    # The anonymous reasons: hidden until asked for, by a real button that says so.
    toggle = fac.get_by_role("button", name="Show the reasons")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(fac.locator("#reasons-list")).to_be_hidden()
    check_page(fac, f"presenter-{size}")
    toggle.click()
    hide = fac.get_by_role("button", name="Hide the reasons")
    expect(hide).to_have_attribute("aria-expanded", "true")
    expect(fac.locator("#reasons-list li")).to_have_count(3)
    expect(fac.get_by_text("Sheet 1 says 1: the housing forum meets monthly")).to_be_visible()
    hide.click()
    expect(fac.locator("#reasons-list")).to_be_hidden()

    fac.get_by_role("button", name="Reveal the spread").click()
    expect(fac.get_by_text("Agreed level 2")).to_be_visible()
    expect(fac.get_by_text("Back then there was no shared forum.")).to_be_visible()
    # The reveal reloads the page: the reasons are hidden again there.
    expect(fac.locator("#reasons-list")).to_be_hidden()
    _save_on_screen(fac, at_top=False)  # the reveal opens the page at the spread
    check_page(fac, f"presenter-{size}-revealed")

    # What is typed survives moving to another dimension and back, and a reload.
    fac.get_by_role("radio", name="3", exact=True).check()
    fac.get_by_label("Why we scored it this way").fill("Typed, not yet saved: the forum")
    fac.get_by_label("Note of dissent (optional)").fill("Police saw a 2")
    fac.get_by_role("button", name="Next dimension").click()
    expect(fac).to_have_url(f"{live_server.url}/rounds/{assessment.code}/present/2/")
    expect(fac.get_by_label("Why we scored it this way")).to_have_value("Agreed in the room")
    fac.get_by_role("button", name="Previous dimension").click()
    expect(fac).to_have_url(f"{live_server.url}/rounds/{assessment.code}/present/1/")
    expect(fac.get_by_label("Why we scored it this way")).to_have_value(
        "Typed, not yet saved: the forum"
    )
    expect(fac.get_by_label("Note of dissent (optional)")).to_have_value("Police saw a 2")
    expect(fac.get_by_role("radio", name="3", exact=True)).to_be_checked()
    expect(fac.get_by_role("status").filter(has_text="Restored what you typed")).to_be_visible()
    fac.reload()
    expect(fac.get_by_label("Why we scored it this way")).to_have_value(
        "Typed, not yet saved: the forum"
    )

    fac.get_by_role("button", name="Save agreed score").click()
    expect(fac.get_by_text("Agreed score saved", exact=False)).to_be_visible()
    score = ConsensusScore.objects.get(assessment=assessment, dimension__number=1)
    assert (score.level, score.reason, score.dissent) == (
        3,
        "Typed, not yet saved: the forum",
        "Police saw a 2",
    )
    # Saved, the draft is forgotten: a reload shows the stored text and no restore note.
    fac.reload()
    expect(fac.get_by_text("Restored what you typed", exact=False)).to_have_count(0)
    expect(jump.get_by_role("button", name=re.compile(r"^Go to 1\b"))).to_contain_text("✓")
    _save_on_screen(fac)
