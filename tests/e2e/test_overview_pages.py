"""The evaluator overview in a browser, with more communities than fit on one page."""

import pytest

from tests.assessments.test_reports_data import make_round
from tests.e2e.conftest import DESKTOP, PHONE, check_page, login, new_page
from tests.factories import CommunityFactory, FocalIssueFactory


@pytest.mark.django_db(transaction=True)
def test_overview_pages_pass_axe_and_keep_their_filters(browser, live_server, evaluator_user):
    for n in range(27):
        community = CommunityFactory(name=f"Community {n:02}", nation="england")
        FocalIssueFactory(community=community)
        make_round(community, participants=0)
    # One test for both sizes: a transactional test empties the database (the rubric too).
    for viewport in (DESKTOP, PHONE):
        check_both_pages(new_page(browser, live_server, viewport=viewport))


def check_both_pages(page) -> None:  # type: ignore[no-untyped-def]
    login(page, "eval")
    page.goto("/overview/?nation=england")
    assert page.get_by_text("Communities 1–25 of 27, by name.").is_visible()
    assert page.locator("[data-chart=heatmap-figure] svg").count() > 0  # plotly drew it
    width = page.viewport_size["width"]
    ticks = page.locator("[data-chart=heatmap-figure] .xtick text").all_text_contents()
    if width < 576:  # the dimensions' numbers: nine names would overlap on a phone
        assert ticks == [str(n) for n in range(1, 10)]
    else:
        assert ticks[0].startswith("1. Vision")
    # The table scrolls sideways on a phone; its caption stays on the screen.
    caption = page.locator(".overview-table caption").bounding_box()
    assert caption is not None and caption["x"] >= 0 and caption["x"] + caption["width"] <= width
    check_page(page)
    page.get_by_role("navigation", name="Pages of communities").get_by_role(
        "link", name="Next"
    ).click()
    page.wait_for_load_state("networkidle")
    assert "nation=england" in page.url and "page=2" in page.url
    assert page.get_by_text("Communities 26–27 of 27, by name.").is_visible()
    assert page.get_by_role("row", name="Community 26").count() == 1
    check_page(page)
