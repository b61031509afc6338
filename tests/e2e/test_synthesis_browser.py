"""The evaluator's synthesis, representation, tokens and API docs pages in a browser: axe with no
violations, nothing loaded from another host, no sideways scroll at 375 px, search by keyboard."""

from __future__ import annotations

import pytest

from assessments.models import Assessment
from communities.models import Sector
from tests.e2e.conftest import DESKTOP, PHONE, check_page, login, new_page
from tests.insight.conftest import FOUR, finalised_round, new_community


def build_places() -> None:
    halton = new_community("Halton")
    merthyr = new_community("Merthyr Tydfil", nation="wales", area="domestic abuse")
    finalised_round(halton, "2022 baseline", levels=[2] * 9, sectors=FOUR, days_ago=400)
    finalised_round(
        halton,
        "2024 review",
        kind=Assessment.Kind.REVIEW,
        levels=[3, 2, 1, 4, 4, 4, 4, 4, 4],
        sectors=[*FOUR, Sector.VCS, Sector.VCS, Sector.VCS],
        reason="Housing partners pooled budgets & shared data",
        priority=3,
        action="Joint commissioning board",
    )
    finalised_round(merthyr, "2023 baseline", levels=[5] * 9, sectors=FOUR[:2])


@pytest.mark.django_db(transaction=True)
def test_synthesis_pages_pass_axe_at_both_sizes(browser, live_server, evaluator_user):
    build_places()
    # One test for both sizes: a transactional test empties the database (the rubric too).
    for viewport, size in ((DESKTOP, "1280"), (PHONE, "375")):
        page = new_page(browser, live_server, viewport=viewport)
        login(page, "eval")
        if size == "1280":  # from the top bar (on a phone it is folded away)
            page.get_by_role("link", name="Synthesis", exact=True).first.click()
        else:
            page.goto("/insight/synthesis/")
        page.wait_for_load_state("networkidle")
        assert page.get_by_role("heading", name="Synthesis across communities").is_visible()
        assert page.locator("svg.dist-chart rect").count() > 0
        # The guide shows the desktop pages; the phone's are checked, not kept.
        check_page(page, "insight-synthesis" if size == "1280" else None)

        # Search by keyboard: type the words, press Enter in the field.
        page.get_by_label("Words to look for").fill("pooled budgets")
        page.get_by_label("Words to look for").press("Enter")
        page.wait_for_load_state("networkidle")
        assert "q=pooled+budgets" in page.url
        assert page.locator("mark").first.inner_text() == "pooled"
        assert page.get_by_text("Merthyr Tydfil agreed on 1").count() == 0
        check_page(page)

        page.goto("/insight/representation/")
        assert page.get_by_role("heading", name="Who was at the table").is_visible()
        check_page(page, "insight-representation" if size == "1280" else None)

        page.goto("/api/tokens/")
        page.get_by_label("What is this token for?").fill("browser test")
        page.get_by_role("button", name="Make token").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("#new-token").inner_text().startswith("smm_")
        check_page(page)

        page.goto("/api/v1/docs/")
        assert page.get_by_role("heading", name="GET /api/v1/agreed-levels").count() == 1
        check_page(page)
        page.context.close()
