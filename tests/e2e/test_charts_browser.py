"""The charts in a real browser with the partial plotly.js bundle (scatter, scatterpolar, bar):
each kind of chart our pages show is drawn, with no console error, at desktop and phone sizes."""

import pytest

from tests.assessments.test_reports_data import REVIEW_LEVELS, make_round
from tests.e2e.conftest import DESKTOP, PHONE, check_page, login, new_page


@pytest.mark.django_db(transaction=True)
def test_radar_and_change_over_time_are_drawn(browser, live_server, community, facilitator_user):
    from assessments.models import Assessment

    baseline = make_round(community)
    review = make_round(
        community,
        title="2024 review",
        kind=Assessment.Kind.REVIEW,
        levels=REVIEW_LEVELS,
        previous=baseline,
    )
    for viewport in (DESKTOP, PHONE):
        page = new_page(browser, live_server, viewport=viewport)
        login(page, "fac")
        page.goto(f"/rounds/{review.code}/report/")
        radar = page.locator("[data-chart=radar-figure]")
        radar.locator(".polarlayer path").first.wait_for()  # scatterpolar drew the rings
        assert radar.locator(".scatterlayer .trace").count() >= 2  # agreed and the baseline
        # The agreed-levels table shows all six columns without scrolling inside its box.
        table = page.locator(".report-table")
        assert table.locator("thead th").count() == 6
        box = table.locator("xpath=..")
        assert box.evaluate("e => e.scrollWidth <= e.clientWidth"), viewport
        check_page(page)
        page.goto(community.get_absolute_url())
        bars = page.locator(f"[data-chart=change-figure-{community.pk}]")
        bars.locator(".barlayer .point").first.wait_for()
        assert bars.locator(".barlayer .point").count() == 2 * 9  # two rounds, nine dimensions
        check_page(page)
