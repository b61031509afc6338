"""The whole journey in a real browser, as the three kinds of user live it.

A facilitator creates a round and copies three personal links; three stakeholders score on a
phone (one saves half and comes back, one uses the keyboard only, one is "not sure" twice);
the facilitator runs the workshop and finalises; the evaluator reads the overview and downloads
the PDF and the CSV; a stakeholder's link then shows a read-only sheet.

Every page visited passes `check_page` (axe-core, console, loopback, no sideways scroll) and
`check_keyboard` (every interactive element reachable with Tab and visibly focused), and leaves
a screenshot in docs/screenshots/journey-NN-<step>.png for the README and the guides.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import Assessment, Dimension, LevelDescriptor, Rubric
from assessments.rubric_loader import FIXTURES, load_rubric
from tests.e2e.conftest import DESKTOP, PHONE, check_page, login, new_page
from tests.factories import OrganisationFactory, StakeholderFactory, UserFactory

PEOPLE = [
    ("Asha Patel", "Halton Borough Council", "local_authority"),
    ("Ben Okafor", "Halton Women's Centre", "vcs"),
    ("Cara Jones", "Cheshire Police", "police"),
]

# Levels each stakeholder gives dimensions 1..9 (None = "not sure").
ASHA = [2, 3, 2, 3, 2, 3, 2, 3, 2]
BEN = [3, 3, 2, 4, 3, 2, 3, 3, 2]
CARA = [2, None, 3, 3, 2, 3, None, 2, 3]
AGREED = [2, 3, 2, 3, 2, 3, 2, 3, 2]

# Elements someone should be able to reach with Tab (tabindex=-1 opts out on purpose, e.g. the
# per-dimension Save buttons that autosave makes redundant).
FOCUSABLE = ", ".join(
    f"{selector}:not([tabindex='-1'])"
    for selector in (
        "a[href]",
        "button:not([disabled])",
        "input:not([disabled]):not([type=hidden])",
        "select:not([disabled])",
        "textarea:not([disabled])",
        "summary",
        "[tabindex]",
    )
)

# Tabs through the page (from the top) and reports what could not be reached or was reached
# without a visible focus indicator. Radio buttons are one tab stop per group, as in every
# browser, so a group counts as reached when any of its buttons is.
KEYBOARD_JS = """
([selector, maxSteps]) => {
  const visible = (el) => {
    if (!el.getClientRects().length || el.matches(':disabled')) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none';
  };
  const all = [...document.querySelectorAll(selector)].filter(visible);
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 40) + '"';
  return {all: all.map(describe), count: all.length};
}
"""

FOCUS_STATE_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  if (!el.dataset.kbdSeen) {
    window.kbdCount = (window.kbdCount || 0) + 1;
    el.dataset.kbdSeen = String(window.kbdCount);
  }
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  // A custom-styled control may show its focus on its label or wrapper instead.
  const label = el.labels && el.labels[0];
  const labelStyle = label ? getComputedStyle(label) : null;
  const labelRing = labelStyle && ((labelStyle.outlineStyle !== 'none' &&
    parseFloat(labelStyle.outlineWidth) > 0) || (labelStyle.boxShadow && labelStyle.boxShadow !== 'none'));
  return {
    key: el.dataset.kbdSeen,
    describe: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' +
      (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40) + '"',
    segmented: el.tagName === 'INPUT' && ['date', 'time', 'datetime-local', 'month'].includes(el.type),
    onScreen: rect.width > 0 && rect.height > 0,
    ring: outline || shadow || labelRing,
  };
}
"""

UNREACHED_JS = """
(selector) => {
  const visible = (el) => {
    if (!el.getClientRects().length || el.matches(':disabled')) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none';
  };
  const groups = new Set([...document.querySelectorAll('input[type=radio][data-kbd-seen]')]
    .map((r) => (r.form ? r.form.id : '') + '|' + r.name));
  return [...document.querySelectorAll(selector)].filter(visible).filter((el) => {
    if (el.dataset.kbdSeen) return false;
    if (el.type === 'radio' && groups.has((el.form ? el.form.id : '') + '|' + el.name)) return false;
    return true;
  }).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' +
    (el.innerText || el.value || el.name || '').trim().slice(0, 40) + '"');
}
"""


def check_keyboard(page: Page) -> None:
    """Every interactive element is reachable with Tab, and visibly focused when it is."""
    count = page.evaluate(KEYBOARD_JS, [FOCUSABLE, 0])["count"]
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    # Start from the top of the document, as someone arriving on the page does.
    page.evaluate("document.body.setAttribute('tabindex', '-1'); document.body.focus();")
    first_key = None
    previous = None
    invisible: list[str] = []
    for _ in range(count * 3 + 10):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE_JS)
        if state is None:
            break  # focus left the document: every stop has been visited
        if state["segmented"] and state["key"] == previous:
            continue  # Tab steps through day, month and year inside a date field
        assert state["key"] != previous, f"Tab did not move focus on {page.url}: {state}"
        if state["key"] == first_key:
            break
        first_key = first_key or state["key"]
        previous = state["key"]
        if not (state["onScreen"] and state["ring"]):
            invisible.append(state["describe"])
    page.evaluate("document.body.removeAttribute('tabindex')")
    unreached = page.evaluate(UNREACHED_JS, FOCUSABLE)
    page.evaluate(
        "document.querySelectorAll('[data-kbd-seen]').forEach(e => delete e.dataset.kbdSeen)"
    )
    assert unreached == [], f"not reachable by keyboard on {page.url}: {unreached}"
    assert invisible == [], f"focus not visible on {page.url}: {invisible}"


class Journey:
    """Numbers the steps so the screenshots sort in the order they happened."""

    def __init__(self) -> None:
        self.step = 0

    def check(self, page: Page, name: str, *, keyboard: bool = True) -> None:
        self.step += 1
        check_page(page, f"journey-{self.step:02d}-{name}")
        if keyboard:
            check_keyboard(page)


@pytest.fixture
def rubric(db) -> Rubric:  # type: ignore[no-untyped-def]
    # Transactional tests empty every table afterwards, the migrated rubric included.
    current = Rubric.objects.filter(is_current=True).first()
    if current is None:
        current = load_rubric(
            FIXTURES / "rubric-2021.json",
            rubric_model=Rubric,
            dimension_model=Dimension,
            level_model=LevelDescriptor,
        )
    return current


@pytest.fixture
def network(community) -> list[Any]:  # type: ignore[no-untyped-def]
    people = []
    for name, organisation, sector in PEOPLE:
        org = OrganisationFactory(community=community, name=organisation, sector=sector)
        people.append(
            StakeholderFactory(
                community=community, name=name, organisation=org, sector=sector, email=""
            )
        )
    # Someone else in the network who is not invited this time.
    StakeholderFactory(community=community, name="Dev Singh", email="")
    return people


def _score(page: Page, number: int, level: int | None, reason: str) -> None:
    form = page.locator(f"#dim-{number}")
    if level is None:
        form.get_by_label("Not sure").check()
    else:
        form.locator(f"#d{number}-l{level}").check()
    form.get_by_label("Why? Use examples wherever you can").fill(reason)
    expect(form.locator(".save-status")).to_contain_text("Saved at", timeout=10_000)


def _arrow(page: Page, key: str, number: int) -> None:
    """Presenter mode: an arrow key (nothing focused, as on a projector) moves the room on."""
    page.wait_for_load_state("load")  # presenter.js is listening
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)
    expect(page).to_have_url(re.compile(rf"/present/{number}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Dimension {number} of 9")


def _open_sheet(browser, live_server, link: str) -> Page:  # type: ignore[no-untyped-def]
    page = new_page(browser, live_server, viewport=PHONE)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your private scores")
    return page


def _submit(page: Page, journey: Journey, name: str) -> None:
    page.get_by_role("link", name="Review and submit").click()
    expect(page.get_by_role("heading", name="Review your answers")).to_be_visible()
    expect(page.get_by_text("9 of 9 answered.")).to_be_visible()
    journey.check(page, f"{name}-review")
    page.get_by_role("button", name="Submit my sheet").click()
    expect(page.get_by_text("Thank you – you submitted your sheet")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_the_whole_journey(  # type: ignore[no-untyped-def]
    browser, live_server, settings, rubric, community, facilitator_user, network
):
    settings.SITE_URL = live_server.url
    UserFactory(username="eval", role="evaluator")
    journey = Journey()

    # --- The facilitator creates a round and copies three personal links ---------------------
    fac = new_page(browser, live_server, viewport=DESKTOP)
    fac.context.grant_permissions(["clipboard-read", "clipboard-write"])
    fac.goto("/accounts/login/")
    journey.check(fac, "login")
    login(fac, "fac")
    expect(fac.get_by_role("heading", name="Your communities")).to_be_visible()
    journey.check(fac, "dashboard")
    fac.get_by_role("link", name="Halton").click()
    expect(fac.get_by_role("heading", level=1)).to_contain_text("Halton")
    journey.check(fac, "community")

    fac.goto(f"/communities/{community.slug}/rounds/new/")
    today = timezone.localdate()
    fac.get_by_label("Title").fill("2024 baseline")
    fac.get_by_label("Kind").select_option("baseline")
    fac.get_by_label("Deadline for private scores").fill(
        (today + datetime.timedelta(days=14)).isoformat()
    )
    fac.get_by_label("Workshop date").fill((today + datetime.timedelta(days=21)).isoformat())
    journey.check(fac, "new-round")
    fac.get_by_role("button", name="Create round").click()
    expect(fac.get_by_text("Round created.")).to_be_visible()
    journey.check(fac, "round-draft")

    fac.get_by_role("link", name="Add people from the network").click()
    for name, _org, _sector in PEOPLE:
        fac.get_by_label(name).check()
    journey.check(fac, "add-people")
    fac.get_by_role("button", name="Add the ticked people").click()
    expect(fac.get_by_text("3 people added.")).to_be_visible()
    fac.get_by_role("button", name="Open collection").click()
    expect(fac.get_by_text("Collection is open")).to_be_visible()
    journey.check(fac, "round-collecting")

    links: dict[str, str] = {}
    for index, (name, _org, _sector) in enumerate(PEOPLE):
        fac.get_by_role("link", name=f"Show link – {name}").click()
        expect(fac.get_by_role("heading", name=f"Personal link for {name}")).to_be_visible()
        fac.get_by_role("button", name="Copy link").click()
        expect(fac.locator("#copy-status")).to_have_text("Copied")
        links[name] = fac.get_by_label("Personal link").input_value()
        assert links[name].startswith(f"{live_server.url}/s/")
        if index == 0:
            journey.check(fac, "personal-link")
        fac.get_by_role("link", name="Back to the round").click()
    assert len(set(links.values())) == 3
    expect(fac.get_by_text("3 people ·")).to_be_visible()

    # --- Asha saves half, comes back later and finds her draft -------------------------------
    asha = _open_sheet(browser, live_server, links["Asha Patel"])
    journey.check(asha, "sheet-empty", keyboard=False)
    for number in range(1, 5):
        _score(asha, number, ASHA[number - 1], f"Asha's example for dimension {number}.")
    expect(asha.locator("#progress")).to_have_text("4 of 9")
    asha.reload()
    for number in range(1, 5):
        expect(asha.locator(f"#d{number}-l{ASHA[number - 1]}")).to_be_checked()
        expect(asha.locator(f"#d{number}-reason")).to_have_value(
            f"Asha's example for dimension {number}."
        )
    expect(asha.locator("#dim-5 input[name=level]:checked")).to_have_count(0)
    journey.check(asha, "sheet-draft")
    for number in range(5, 10):
        _score(asha, number, ASHA[number - 1], f"Asha's example for dimension {number}.")
    _submit(asha, journey, "asha")
    journey.check(asha, "sheet-submitted", keyboard=False)

    # --- Ben uses the keyboard only ------------------------------------------------------------
    ben = _open_sheet(browser, live_server, links["Ben Okafor"])
    for _ in range(40):
        ben.keyboard.press("Tab")
        if ben.evaluate("document.activeElement.id") == "d1-l1":
            break
    else:
        pytest.fail("Tab never reached the first answer")
    for number, level in enumerate(BEN, start=1):
        assert ben.evaluate("document.activeElement.id") == f"d{number}-l1"
        ben.keyboard.press("Space")
        for _ in range(level - 1):
            ben.keyboard.press("ArrowDown")
        expect(ben.locator(f"#d{number}-l{level}")).to_be_checked()
        expect(ben.locator(f"#d{number}-l{level}")).to_be_focused()
        ben.keyboard.press("Tab")
        expect(ben.locator(f"#d{number}-reason")).to_be_focused()
        ben.keyboard.type(f"Ben: level {level} because of what I saw.")
        ben.keyboard.press("Tab")  # on to the next dimension (autosave needs no Save button)
    for number in range(1, 10):
        expect(ben.locator(f"#status-{number}")).to_contain_text("Saved at", timeout=10_000)
    expect(ben.locator("#progress")).to_have_text("9 of 9")
    expect(ben.get_by_role("link", name="Review and submit")).to_be_focused()
    ben.keyboard.press("Enter")
    expect(ben.get_by_role("heading", name="Review your answers")).to_be_visible()
    for _ in range(60):
        ben.keyboard.press("Tab")
        if ben.evaluate("document.activeElement.textContent.trim()") == "Submit my sheet":
            break
    else:
        pytest.fail("Tab never reached the submit button")
    ben.keyboard.press("Enter")
    expect(ben.get_by_text("Thank you – you submitted your sheet")).to_be_visible()

    # --- Cara is not sure twice ---------------------------------------------------------------
    cara = _open_sheet(browser, live_server, links["Cara Jones"])
    for number, level in enumerate(CARA, start=1):
        reason = "I do not know this part well." if level is None else f"Cara on {number}."
        _score(cara, number, level, reason)
    journey.check(cara, "sheet-not-sure", keyboard=False)
    _submit(cara, journey, "cara")

    # --- The facilitator closes collection and studies the analysis ---------------------------
    fac.reload()
    expect(fac.get_by_text("3 submitted")).to_be_visible()
    fac.once("dialog", lambda dialog: dialog.accept())
    fac.get_by_role("button", name="Close collection and move to the workshop").click()
    expect(fac.get_by_text("Collection closed.")).to_be_visible()
    journey.check(fac, "round-closed")
    fac.get_by_role("link", name="Study the anonymous spread").click()
    expect(fac.get_by_text("Based on 3 submitted sheets.")).to_be_visible()
    journey.check(fac, "analysis")

    # --- Presenter mode with the arrow keys; nine agreed levels with reasons ------------------
    fac.get_by_role("link", name="Presenter mode").click()
    expect(fac).to_have_url(re.compile(r"/present/1/$"))
    fac.get_by_role("button", name="Reveal the spread").click()
    expect(fac.get_by_role("button", name="Hide the spread")).to_be_visible()
    journey.check(fac, "presenter")
    _arrow(fac, "ArrowRight", 2)
    _arrow(fac, "ArrowLeft", 1)
    for number, level in enumerate(AGREED, start=1):
        fac.locator(f"input[name=level][value='{level}']").check()
        fac.get_by_label("Why we scored it this way").fill(
            f"Agreed {level} for dimension {number}: partners gave examples."
        )
        fac.get_by_role("button", name="Save agreed score").click()
        expect(fac.get_by_text("Agreed score saved")).to_be_visible()
        if number == 9:
            break
        _arrow(fac, "ArrowRight", number + 1)
    journey.check(fac, "presenter-agreed")

    # --- Two priorities, then finalise --------------------------------------------------------
    fac.get_by_role("link", name="Leave presenter mode").click()
    fac.get_by_role("link", name="Priorities").click()
    dimensions = list(rubric.dimensions.order_by("number"))
    for number in (3, 7):
        fac.get_by_label(f"{number}. {dimensions[number - 1].name}").check()
    fac.get_by_role("button", name="Save priorities").click()
    expect(fac.get_by_text("Priorities saved.")).to_be_visible()
    journey.check(fac, "priorities")
    fac.get_by_role("link", name="Summary and finalise").click()
    journey.check(fac, "summary")
    fac.get_by_role("button", name="Finalise the round").click()
    expect(fac.get_by_text("The round is finalised.")).to_be_visible()
    journey.check(fac, "finalised")
    assessment = Assessment.objects.get(title="2024 baseline")
    assert assessment.status == Assessment.Status.FINALISED
    assert assessment.consensus_scores.count() == 9
    assert assessment.consensus_scores.filter(is_priority=True).count() == 2

    # --- The evaluator reads the overview and the report, downloads the PDF and the CSV -------
    ev = new_page(browser, live_server, viewport=DESKTOP)
    login(ev, "eval")
    ev.get_by_role("link", name="Evaluator overview").click()
    expect(ev.get_by_role("heading", name="Evaluator overview")).to_be_visible()
    journey.check(ev, "overview")
    with ev.expect_download() as csv_download:
        ev.get_by_role("link", name="Agreed levels (CSV)").click()
    csv_text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    assert "Halton" in csv_text and "2024 baseline" in csv_text
    ev.get_by_role("link", name="2024 baseline").first.click()
    expect(ev.get_by_role("heading", level=1)).to_contain_text("Halton: 2024 baseline")
    journey.check(ev, "report")
    pdf_href = ev.get_by_role("link", name="Download PDF report").get_attribute("href")
    pdf = ev.request.get(pdf_href)  # served inline; fetched with the evaluator's session
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # --- A stakeholder's link now shows a read-only sheet -------------------------------------
    late = _open_sheet(browser, live_server, links["Cara Jones"])
    expect(late.get_by_text("Scoring has closed for this round.")).to_be_visible()
    expect(late.locator("fieldset:not([disabled])")).to_have_count(0)
    expect(late.get_by_role("button", name="Save")).to_have_count(0)
    expect(late.locator("#d2-ns")).to_be_checked()
    journey.check(late, "sheet-read-only")
