"""Form controls measured in a browser: their borders ≥ 3:1 against what is behind them (WCAG
1.4.11), and buttons, controls and links styled as buttons ≥ 44 px on a 375 px phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from assessments.models import Assessment, Rubric
from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, login, new_page
from tests.e2e.test_journey import rubric  # noqa: F401 - the fixture
from tests.factories import AssessmentFactory, ParticipantFactory, submit_sheet

# Each visible control's border colour and the first opaque background behind it.
CONTROLS_JS = """() => {
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
    && getComputedStyle(el).visibility !== 'hidden'; };
  const behind = (el) => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const bg = getComputedStyle(node).backgroundColor;
      if (bg && !/rgba\\(.*, 0\\)$/.test(bg) && bg !== 'transparent') return bg;
    }
    return 'rgb(255, 255, 255)';
  };
  return [...document.querySelectorAll(
    'input:not([type=hidden]):not([type=submit]), select, textarea')]
    .filter(shown)
    .map((el) => ({id: el.id || el.name, border: getComputedStyle(el).borderTopColor,
                   background: behind(el)}));
}"""

# Each visible target's size; a checkbox or radio counts with its label (its .form-check row).
TARGETS_JS = """() => {
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
    && getComputedStyle(el).visibility !== 'hidden' && !el.closest('.visually-hidden-focusable'); };
  const targets = [...document.querySelectorAll(
    'button, .btn, .page-link, input:not([type=hidden]), select, textarea')].filter(shown);
  return targets.map((el) => {
    const box = (el.matches('[type=checkbox], [type=radio]') && el.closest('.form-check')) || el;
    const r = box.getBoundingClientRect();
    return {what: el.outerHTML.slice(0, 90), width: r.width, height: r.height};
  });
}"""


def _luminance(css: str) -> float:
    red, green, blue = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(one: str, two: str) -> float:
    """The WCAG 2 contrast ratio of two CSS rgb() colours."""
    light, dark = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula():
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21)
    assert contrast("rgb(222, 226, 230)", "rgb(255, 255, 255)") < 1.5  # Bootstrap's own border
    assert contrast("rgb(108, 117, 125)", "rgb(255, 255, 255)") == pytest.approx(4.69, abs=0.01)


def _pages(community) -> list[str]:  # type: ignore[no-untyped-def]
    workshop = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        rubric=Rubric.current(),
        status=Assessment.Status.WORKSHOP,
    )
    for _ in range(3):
        submit_sheet(ParticipantFactory(assessment=workshop), [3] * 9)
    collecting = AssessmentFactory(
        community=community, focal_issue=community.current_focal_issue, rubric=Rubric.current()
    )
    participant = ParticipantFactory(assessment=collecting)
    return [
        f"/communities/{community.slug}/rounds/new/",
        f"/communities/{community.slug}/stakeholders/new/",
        f"/rounds/{collecting.code}/participants/add/",
        f"/rounds/{workshop.code}/present/1/",  # white fields on black
        f"/rounds/{workshop.code}/priorities/",
        f"/s/{participant.token}/",  # type: ignore[attr-defined]
    ]


def _visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    page.wait_for_load_state("networkidle")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("rubric")
def test_control_borders_contrast_and_targets_are_44px(
    browser, live_server, community, facilitator_user
):  # type: ignore[no-untyped-def]
    pages = _pages(community)
    low: list[str] = []
    small: list[str] = []
    measured = 0
    for viewport in (DESKTOP, PHONE):
        page = new_page(browser, live_server, viewport=viewport)
        _visit(page, "/accounts/login/")
        for path in ["/accounts/login/", *pages]:
            if path != "/accounts/login/" and "/s/" not in path and page.url.endswith("/login/"):
                login(page, "fac")
            _visit(page, path)
            for control in page.evaluate(CONTROLS_JS):
                measured += 1
                ratio = contrast(control["border"], control["background"])
                if ratio < 3:
                    low.append(f"{path} #{control['id']}: {ratio:.2f} ({control})")
            if viewport is PHONE:
                if path.endswith("/stakeholders/new/"):
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(SCREENSHOTS / "form-375.png"), full_page=True)
                for target in page.evaluate(TARGETS_JS):
                    if target["height"] < 44 or target["width"] < 44:
                        small.append(f"{path}: {target}")
        page.context.close()
    assert measured > 20
    assert low == [], "control borders under 3:1:\n" + "\n".join(low)
    assert small == [], "targets under 44 px at 375 px:\n" + "\n".join(small)
