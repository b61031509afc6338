"""In a browser: an admin sets up two-factor authentication and invites an evaluator, who sets a
password, sets up an authenticator (the codes computed here from the key shown) and signs in
again through the second step. Every page passes axe; the invitee's are on a phone."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django.core import mail
from django_otp.oath import totp

from tests.e2e.conftest import DESKTOP, PHONE, check_page, login, new_page
from tests.factories import UserFactory

PASSWORD = "a-Long-new-passphrase-42"


def app_code(key: str, steps_ahead: int = 0) -> str:
    """What an authenticator app set up with `key` (as the page shows it) shows now, or
    `steps_ahead` 30-second steps later (a code once used is refused until the next step)."""
    return f"{totp(b32decode(key.replace(' ', '')), t0=-30 * steps_ahead):06d}"


def set_up_authenticator(page, name: str) -> str:  # type: ignore[no-untyped-def]
    """On the set-up page: confirm with the app's code; returns the key for later codes."""
    assert page.get_by_role("heading", name="Set up two-factor authentication").is_visible()
    assert page.locator(".qr-code svg").is_visible()
    check_page(page, f"accounts-{name}-setup")
    key = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(app_code(key))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Your recovery codes").is_visible()
    assert page.locator(".recovery-codes li").count() == 10
    check_page(page, f"accounts-{name}-recovery-codes")
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_load_state("networkidle")
    return key


@pytest.mark.django_db(transaction=True)
def test_invite_set_password_set_up_totp_and_sign_in(browser, live_server, settings, community):  # type: ignore[no-untyped-def]
    settings.SMM_REQUIRE_2FA = True
    UserFactory(username="root", is_superuser=True, is_staff=True, password="pw-for-tests-only")

    admin = new_page(browser, live_server, viewport=DESKTOP)
    login(admin, "root")
    # Before any page, the admin sets up the second step.
    set_up_authenticator(admin, "admin")
    admin.get_by_role("link", name="Users").click()
    admin.wait_for_load_state("networkidle")
    check_page(admin, "accounts-users")
    admin.get_by_role("link", name="Invite someone").click()
    admin.get_by_label("Email address").fill("eve@example.org")
    admin.get_by_label("Evaluator").check()
    check_page(admin, "accounts-invite")
    admin.get_by_role("button", name="Send invitation").click()
    admin.wait_for_load_state("networkidle")
    assert admin.get_by_text("Invitation sent to eve@example.org").is_visible()
    assert admin.get_by_role("cell", name="eve@example.org", exact=True).is_visible()

    (message,) = mail.outbox
    link = re.search(r"/accounts/invitation/\S+/", message.body)
    assert link
    eve = new_page(browser, live_server, viewport=PHONE)
    eve.goto(link.group(0))
    check_page(eve, "accounts-invitation")
    eve.get_by_label("Username").fill("eve")
    eve.get_by_label("First name").fill("Eve")
    eve.get_by_label("Last name").fill("Evans")
    eve.locator("#id_password1").fill(PASSWORD)
    eve.get_by_label("Password confirmation").fill(PASSWORD)
    eve.get_by_role("button", name="Create my account").click()
    eve.wait_for_load_state("networkidle")
    key = set_up_authenticator(eve, "evaluator")
    assert eve.get_by_role("heading", name="All communities").is_visible()

    # Signing in again: the password, then the code the app shows next.
    eve.get_by_role("button", name="Toggle navigation").click()
    eve.get_by_role("button", name="Log out").click()
    eve.wait_for_url("**/accounts/login/")  # signed out: the log-in page, not the dashboard
    login(eve, "eve", PASSWORD)
    assert eve.get_by_role("heading", name="Second step").is_visible()
    check_page(eve, "accounts-second-step")
    eve.get_by_label("Code").fill("000000")
    eve.get_by_role("button", name="Continue").click()
    eve.wait_for_load_state("networkidle")
    # Said twice: in the error summary (a link to the field) and beside the field.
    assert eve.get_by_role("link", name="Code: That code is not right").is_visible()
    assert eve.get_by_text("That code is not right. Try again.", exact=True).is_visible()
    # The wrong code's page is a 400, which Chromium logs as a failed load: expected here.
    eve.watch.console_errors.clear()
    # django-otp makes one wait a second after a wrong code.
    eve.wait_for_timeout(1100)
    eve.get_by_label("Code").fill(app_code(key, steps_ahead=1))
    eve.get_by_role("button", name="Continue").click()
    eve.wait_for_load_state("networkidle")
    if not eve.get_by_role("heading", name="All communities").is_visible():
        # Once in a full run on two cores the right code was refused (a 400) straight after the
        # wrong one: what the page said is kept in the failure, and the person tries once more
        # after a pause, as someone would.
        said = eve.locator("main").inner_text()
        eve.wait_for_timeout(2500)
        eve.get_by_label("Code").fill(app_code(key, steps_ahead=1))
        eve.get_by_role("button", name="Continue").click()
        eve.wait_for_load_state("networkidle")
        assert eve.get_by_role("heading", name="All communities").is_visible(), said
    check_page(eve, "accounts-signed-in")


@pytest.mark.django_db(transaction=True)
def test_facilitators_communities_and_the_account_page_on_a_phone(
    browser, live_server, community, facilitator_user
):  # type: ignore[no-untyped-def]
    UserFactory(username="root", is_superuser=True, is_staff=True, password="pw-for-tests-only")
    UserFactory(username="newcomer", first_name="Nia", last_name="Evans")
    page = new_page(browser, live_server, viewport=PHONE)
    login(page, "root")
    page.goto(f"/communities/{community.slug}/")
    check_page(page, "accounts-community-facilitators")
    page.get_by_role("link", name="Add a facilitator").click()
    page.get_by_label("Person").select_option(label="Nia Evans (newcomer)")
    page.get_by_label("Local Implementation Lead").check()
    check_page(page)
    page.get_by_role("button", name="Add").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("newcomer now facilitates Halton").is_visible()
    row = page.get_by_role("row").filter(has_text="newcomer")
    assert row.get_by_text("Yes").is_visible()

    page.goto("/communities/new/")
    page.get_by_label("Name").fill("Wrexham")
    page.get_by_label("Slug").fill("wrexham")
    page.get_by_label("Nation").select_option("wales")
    check_page(page, "accounts-community-new")
    page.get_by_role("button", name="Create").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Wrexham").is_visible()
    page.get_by_role("button", name="Archive community").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Archived on").is_visible()
    check_page(page)

    for url in ("/accounts/users/fac/", "/accounts/users/activity/", "/accounts/password/change/"):
        page.goto(url)
        check_page(page)
    page.goto("/accounts/security/")
    check_page(page, "accounts-security")
    page.get_by_role("button", name="Sign out everywhere else").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("You are signed out everywhere else").is_visible()


@pytest.mark.django_db(transaction=True)
def test_the_password_reset_and_refused_invitation_pages_on_a_phone(browser, live_server):  # type: ignore[no-untyped-def]
    page = new_page(browser, live_server, viewport=PHONE)
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgotten your password?").click()
    check_page(page, "accounts-password-reset")
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_role("button", name="Send me a link").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Check your email").is_visible()
    check_page(page)
    page.goto("/accounts/password/reset/MQ/set-password/")
    assert page.get_by_role("heading", name="This link cannot be used").is_visible()
    check_page(page)
    page.goto("/accounts/invitation/no-such-invitation/")
    assert page.get_by_role("heading", name="This invitation cannot be used").is_visible()
    # A 404 page by design, which Chromium logs as a failed load.
    page.watch.console_errors.clear()
    check_page(page)
