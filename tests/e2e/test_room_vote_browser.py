"""A room vote on three phones beside the presenter: the facilitator opens a vote at 1280 px,
two phones on the room link and one on a follow-along link (375 px) tap, one changes its mind,
the facilitator reveals, and presenter and phones show the same three votes. axe on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.models import Assessment, Rubric
from tests.e2e.conftest import PHONE, check_page, login, new_page
from tests.e2e.test_journey import rubric  # noqa: F401 - the fixture
from tests.e2e.test_presenter_browser import PROJECTOR
from tests.factories import AssessmentFactory, ParticipantFactory, submit_sheet


def _round(community) -> tuple[Assessment, str, str]:  # type: ignore[no-untyped-def]
    assessment = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        rubric=Rubric.current(),
        title="2026 review",
        status=Assessment.Status.WORKSHOP,
    )
    participants = [ParticipantFactory(assessment=assessment) for _ in range(3)]
    for participant, levels in zip(participants, ([2] * 9, [3] * 9, [4] * 9), strict=True):
        submit_sheet(participant, levels)
    room_token = assessment.issue_room_token()
    assessment.save()
    return assessment, room_token, participants[0].token  # type: ignore[attr-defined]


def _count(page, choice: str):  # type: ignore[no-untyped-def]
    return page.locator(f'td[data-vote-count="{choice}"]').first


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("rubric")
def test_three_phones_vote_beside_the_presenter(browser, live_server, community, facilitator_user):  # type: ignore[no-untyped-def]
    assessment, room_token, personal_token = _round(community)
    fac = new_page(browser, live_server)
    login(fac, "fac")
    fac.goto(f"/rounds/{assessment.code}/present/1/")
    check_page(fac)
    fac.get_by_role("button", name="Open Vote 1 (before discussion)").click()
    expect(fac.get_by_text("0 votes so far")).to_be_visible()
    check_page(fac)

    pages = [
        new_page(browser, live_server, viewport=PHONE),
        new_page(browser, live_server, viewport=PHONE),
        new_page(browser, live_server, viewport=PHONE),
    ]
    urls = [f"/room/{room_token}/", f"/room/{room_token}/", f"/s/{personal_token}/follow/"]
    for phone, url in zip(pages, urls, strict=True):
        phone.goto(url)
        expect(
            phone.get_by_role("heading", name="Room vote: Vote 1 (before discussion)")
        ).to_be_visible()
        check_page(phone)
        # Big targets: every choice at least 44 px each way.
        for button in phone.locator("button[name=choice]").all():
            box = button.bounding_box()
            assert box is not None and box["height"] >= 44 and box["width"] >= 44, box

    for phone, level in zip(pages, ("2", "3", "4"), strict=True):
        phone.get_by_role("button", name=f"Level {level}", exact=True).click()
        expect(
            phone.get_by_text(f"Your vote: level {level} — tap another to change.")
        ).to_be_visible()
    # The third phone changes its mind: its one vote moves from 4 to 3.
    pages[2].get_by_role("button", name="Level 3", exact=True).click()
    expect(pages[2].get_by_text("Your vote: level 3 — tap another to change.")).to_be_visible()
    check_page(pages[2], "room-vote-phone-375-voting")

    # The presenter's count updates by itself (polled), with no counts per level yet.
    expect(fac.get_by_text("3 votes so far")).to_be_visible(timeout=10_000)
    expect(fac.locator("td[data-vote-count]")).to_have_count(0)
    fac.get_by_role("button", name="Close and show the result").click()
    for page in (fac, *pages):
        if page is not fac:
            page.reload()
        expect(_count(page, "3")).to_have_text("2")
        expect(_count(page, "2")).to_have_text("1")
        expect(_count(page, "4")).to_have_text("0")
        expect(page.get_by_text("Vote 1 (before discussion): 3 votes")).to_be_visible()
        check_page(page)

    # With the spread revealed too, the presenter shows convergence and the split rule.
    fac.get_by_role("button", name="Reveal the spread").click()
    expect(fac.get_by_text("From private scores to the agreed level")).to_be_visible()
    check_page(fac, "room-vote-presenter-1280")
    fac.set_viewport_size(PROJECTOR)
    check_page(fac, "room-vote-presenter-1920")
    pages[0].reload()
    check_page(pages[0], "room-vote-phone-375-result")
