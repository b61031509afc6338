"""A quick browser check of the public and dashboard pages, before the long journey."""

import pytest

from tests.e2e.conftest import PHONE, check_page, login, new_page


@pytest.mark.django_db(transaction=True)
def test_login_and_dashboard_pass_axe_on_a_phone(browser, live_server, facilitator_user):
    page = new_page(browser, live_server, viewport=PHONE)
    page.goto("/accounts/login/")
    check_page(page)
    login(page, "fac")
    assert page.get_by_role("heading", name="Your communities").is_visible()
    assert page.get_by_role("link", name="Halton").is_visible()
    check_page(page)
    # Keyboard: the first Tab lands on the skip link, and it is visible when focused.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    assert page.locator(".skip-link").is_visible()
