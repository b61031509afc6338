"""After finalising, a stakeholder's own link shows what the group agreed, on a 375 px phone.

A stakeholder submits; the facilitator (also on a phone) closes collection, records the nine
agreed levels with their reasons (one with a note of dissent), marks a priority and gives it a
next step, and finalises; the stakeholder opens the same link again and finds the agreed levels,
the group's reasons and the priority with its next step beside their own levels, and neither
the spread nor anyone else's reason, nor the note of dissent. Every page passes axe.

That a reminder keeps the earlier link working is walked in test_links_browser.py
(test_remind_revoke_slips_and_room_qr_in_a_browser), not again here.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.models import Assessment, Participant, Rubric
from tests.e2e.conftest import PHONE, check_page, login, new_page
from tests.e2e.test_contrast_browser import contrast
from tests.e2e.test_journey import _score, rubric  # noqa: F401 - the fixture
from tests.factories import AssessmentFactory, StakeholderFactory, submit_sheet

OTHER_REASON = "OTHER-PERSONS-REASON-7f3a"
DISSENT = "DISSENT-NOTE-9b1c"
OWN = [2, 3, 2, 3, 2, 3, 2, 3, 2]
AGREED = [3, 3, 2, 4, 2, 3, 3, 3, 2]
# Each jump button's text colour and its own background (links and buttons alike).
JUMP_COLOURS_JS = """() => [...document.querySelectorAll('.jump-list .btn')].map((el) => ({
  text: el.textContent.trim(), color: getComputedStyle(el).color,
  background: getComputedStyle(el).backgroundColor.replace(/rgba\\(0, 0, 0, 0\\)/, 'rgb(0, 0, 0)'),
}))"""
NEXT_STEP = "Map the referral routes with housing and health by March"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("rubric")
def test_the_stakeholder_sees_the_agreed_result_on_the_same_link(
    browser, live_server, settings, community, facilitator_user
):  # type: ignore[no-untyped-def]
    settings.SITE_URL = live_server.url
    assessment = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        rubric=Rubric.current(),
        title="2026 baseline",
        created_by=facilitator_user,
    )
    ann = StakeholderFactory(community=community, name="Ann Partner", email="")
    Participant.objects.create(assessment=assessment, stakeholder=ann, sector=ann.sector)
    for name in ("Bo Other", "Cy Third"):
        person = StakeholderFactory(community=community, name=name, email="")
        other = Participant.objects.create(
            assessment=assessment, stakeholder=person, sector=person.sector
        )
        submit_sheet(other, [4] * 9, [f"{OTHER_REASON} from {name}"] * 9)

    # --- the facilitator shows Ann's link; Ann scores and submits on her phone ---------------
    fac = new_page(browser, live_server, viewport=PHONE)
    login(fac, "fac")
    fac.goto(assessment.get_absolute_url())
    fac.get_by_role("link", name="Show link – Ann Partner").click()
    link = fac.get_by_label("Personal link").input_value()

    sheet = new_page(browser, live_server, viewport=PHONE)
    sheet.goto(link)
    expect(sheet.get_by_role("heading", level=1)).to_contain_text("Your private scores")
    for number, level in enumerate(OWN, start=1):
        _score(sheet, number, level, f"Ann's own example for dimension {number}.")
    sheet.get_by_role("link", name="Review and submit").click()
    check_page(sheet, "closure-01-review-phone")
    sheet.get_by_role("button", name="Submit my sheet").click()
    expect(sheet.get_by_text("Thank you – you submitted your sheet")).to_be_visible()
    check_page(sheet)

    # --- close collection, nine agreed levels (one with dissent), a priority, finalise ------
    fac.goto(assessment.get_absolute_url())
    # The progress line itself: a row's "Organisation 2843 submitted" also matched the text.
    expect(fac.locator("#round-progress")).to_contain_text("3 submitted")
    fac.once("dialog", lambda dialog: dialog.accept())
    fac.get_by_role("button", name="Close collection and move to the workshop").click()
    expect(fac.get_by_text("Collection closed.")).to_be_visible()
    check_page(fac, "closure-02-round-closed-phone")
    for number, level in enumerate(AGREED, start=1):
        fac.goto(f"/rounds/{assessment.code}/present/{number}/")
        fac.locator(f"input[name=level][value='{level}']").check()
        fac.get_by_label("Why we scored it this way").fill(
            f"Group reason {number}: partners gave examples."
        )
        if number == 4:
            fac.get_by_label("Note of dissent (optional)").fill(DISSENT)
        fac.get_by_role("button", name="Save agreed score").click()
        expect(fac.get_by_text("Agreed score saved")).to_be_visible()
        if number == 1:
            check_page(fac, "closure-03-presenter-phone")
    fac.goto(f"/rounds/{assessment.code}/priorities/")
    dimension_4 = assessment.rubric.dimensions.get(number=4)
    fac.get_by_label(f"4. {dimension_4.name}").check()
    fac.get_by_role("button", name="Save priorities").click()
    expect(fac.get_by_text("Priorities saved.")).to_be_visible()
    fac.get_by_label("Next step").fill(NEXT_STEP)
    fac.get_by_label("Owner").fill("Housing partnership")
    fac.get_by_role("button", name="Add next step").click()
    expect(fac.get_by_text("Next step added.")).to_be_visible()
    check_page(fac, "closure-04-priorities-phone")
    fac.get_by_role("link", name="Summary and finalise").click()
    check_page(fac)
    fac.get_by_role("button", name="Finalise the round").click()
    expect(fac.get_by_text("The round is finalised.")).to_be_visible()
    check_page(fac)
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.FINALISED

    # --- the finalised presenter: its dimension links read as buttons, not link-yellow -------
    screen = new_page(browser, live_server, viewport={"width": 1920, "height": 1080})
    login(screen, "fac")
    screen.goto(f"/rounds/{assessment.code}/present/1/")
    check_page(screen)
    colours = screen.evaluate(JUMP_COLOURS_JS)
    assert len(colours) == 10  # 1-9 and next (no previous on the first)
    low = [c for c in colours if contrast(c["color"], c["background"]) < 4.5]
    assert low == [], f"jump buttons under 4.5:1 on the finalised presenter: {low}"

    # --- the same link, again: the group's result beside Ann's own levels --------------------
    again = new_page(browser, live_server, viewport=PHONE)
    again.goto(link)
    results = again.locator("section.agreed-results")
    expect(results.get_by_role("heading", name="What the group agreed")).to_be_visible()
    rows = results.locator("tbody tr")
    expect(rows).to_have_count(9)
    for index, (agreed, own) in enumerate(zip(AGREED, OWN, strict=True)):
        cells = rows.nth(index).locator("td")
        expect(cells.nth(0)).to_have_text(str(agreed))
        expect(cells.nth(1)).to_have_text(str(own))
    expect(results.get_by_text("Group reason 4: partners gave examples.")).to_be_visible()
    expect(rows.nth(3).get_by_text("priority")).to_be_visible()
    priorities = results.locator(".priorities-list")
    expect(priorities).to_contain_text(f"4. {dimension_4.name}")
    expect(priorities).to_contain_text(NEXT_STEP)
    expect(again.get_by_text("Ann's own example for dimension 1.")).to_be_visible()
    html = again.content()
    assert OTHER_REASON not in html  # nobody else's reason
    assert DISSENT not in html  # nor the note of dissent
    # nor the spread: no chart, counts table, median or disagreement measure
    expect(again.locator(".spread, .spread-table, .spread-stats, .disagreement")).to_have_count(0)
    for word in ("Median", "median", "submitted sheets", "ratings at each level"):
        assert word not in html, f"{word!r} on the stakeholder's finalised page"
    check_page(again, "closure-05-stakeholder-finalised-phone")
