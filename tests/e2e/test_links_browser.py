"""Personal links in a browser: a reminder never stops a link, revoking does (and says whom to
ask), a QR code on the invitation slips reads back to the link, and the room link's large QR
code on the presenter screen never moves the room. Every page passes axe."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from assessments.models import Assessment, Participant, Rubric
from tests.e2e.conftest import DESKTOP, PHONE, SCREENSHOTS, check_page, login, new_page
from tests.e2e.test_journey import rubric  # noqa: F401 - the fixture
from tests.factories import AssessmentFactory, OrganisationFactory, StakeholderFactory

PROJECTOR = {"width": 1920, "height": 1080}


def _qr_texts(png: Path) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode)
    return [code.text for code in found]


def _shown_link(fac: Page, name: str) -> str:
    fac.get_by_role("link", name=f"Show link – {name}").click()
    expect(fac.get_by_role("heading", name=f"Personal link for {name}")).to_be_visible()
    return fac.get_by_label("Personal link").input_value()


def _open(browser, live_server, link: str, viewport=PHONE) -> Page:  # type: ignore[no-untyped-def]
    page = new_page(browser, live_server, viewport=viewport)
    response = page.goto(link)
    assert response is not None
    assert response.headers.get("x-robots-tag") == "noindex, nofollow"
    return page


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("rubric")
def test_remind_revoke_slips_and_room_qr_in_a_browser(
    browser, live_server, settings, community, facilitator_user, tmp_path
):  # type: ignore[no-untyped-def]
    settings.SITE_URL = live_server.url
    facilitator_user.first_name, facilitator_user.last_name = "Rhian", "Lead"
    facilitator_user.save()
    org = OrganisationFactory(community=community, name="Halton Housing Trust")
    ann = StakeholderFactory(
        community=community, organisation=org, name="Ann Partner", email="ann@example.org"
    )
    assessment = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        rubric=Rubric.current(),
        title="2026 review",
        created_by=facilitator_user,
    )
    Participant.objects.create(assessment=assessment, stakeholder=ann, sector=ann.sector)

    fac = new_page(browser, live_server, viewport=DESKTOP)
    login(fac, "fac")
    fac.goto(assessment.get_absolute_url())
    fac.get_by_role("button", name="Email invitation – Ann Partner").click()
    expect(fac.get_by_text("1 invitations sent.")).to_be_visible()
    link = _shown_link(fac, "Ann Partner")
    assert link in str(mail.outbox[0].body)
    check_page(fac, "links-01-personal-link")
    phone = new_page(browser, live_server, viewport=PHONE)
    login(phone, "fac")
    phone.goto(fac.url)
    expect(phone.locator(".qr-code")).to_be_visible()
    check_page(phone, "links-01-personal-link-phone")
    phone.goto(assessment.get_absolute_url())
    check_page(phone)

    # --- remind, then the earlier link still opens the sheet ---------------------------------
    fac.get_by_role("link", name="Back to the round").click()
    fac.get_by_role("button", name="Remind the 1 person who has not submitted").click()
    expect(fac.get_by_text("1 reminders sent.")).to_be_visible()
    assert link in str(mail.outbox[1].body)
    ann_page = _open(browser, live_server, link)
    expect(ann_page.get_by_role("heading", level=1)).to_contain_text("Ann Partner")
    check_page(ann_page, "links-02-sheet-after-reminder")
    assert _shown_link(fac, "Ann Partner") == link  # the same link, shown again

    # --- a QR code on the printed slips reads back to the link -------------------------------
    fac.get_by_role("link", name="Back to the round").click()
    slips_link = fac.get_by_role("link", name="Print invitation slips (PDF)")
    response = fac.request.get(slips_link.get_attribute("href") or "")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    (tmp_path / "slips.pdf").write_bytes(response.body())
    subprocess.run(  # noqa: S603 - our own file, our own arguments
        [pdftoppm, "-r", "150", "-png", str(tmp_path / "slips.pdf"), str(tmp_path / "slip")],
        check=True,
    )
    (page_png,) = sorted(tmp_path.glob("slip*.png"))
    assert _qr_texts(page_png) == [link]
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
    assert "Ann Partner" in text and assessment.deadline.strftime("%-d %B %Y") in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(page_png, SCREENSHOTS / "links-03-slips.png")

    # --- revoke: the old link names whom to ask, the new one works ---------------------------
    _shown_link(fac, "Ann Partner")
    fac.get_by_role("link", name="Revoke this link…").click()
    expect(fac.get_by_text("Ann Partner (Halton Housing Trust) will be cut off")).to_be_visible()
    check_page(fac, "links-04-revoke-confirm")
    fac.get_by_role("button", name="Revoke the link of Ann Partner").click()
    expect(fac.get_by_text("The earlier link of Ann Partner no longer works")).to_be_visible()
    new_link = fac.get_by_label("Personal link").input_value()
    assert new_link != link

    ann_page.reload()
    expect(ann_page.get_by_role("heading", name="This link has been revoked")).to_be_visible()
    # The page itself answers 410 Gone, which Chromium logs; nothing else may be logged.
    assert all("410" in error for error in ann_page.watch.console_errors)  # type: ignore[attr-defined]
    ann_page.watch.console_errors.clear()  # type: ignore[attr-defined]
    expect(ann_page.get_by_text("Rhian Lead")).to_be_visible()
    check_page(ann_page, "links-05-revoked-phone")
    fresh = _open(browser, live_server, new_link)
    expect(fresh.get_by_role("heading", level=1)).to_contain_text("Ann Partner")

    # --- the room link as a large QR code; the room does not move ----------------------------
    assessment.refresh_from_db()
    assessment.status = Assessment.Status.WORKSHOP
    assessment.current_dimension = 2
    assessment.save()
    screen = new_page(browser, live_server, viewport=PROJECTOR)
    login(screen, "fac")
    screen.goto(f"/rounds/{assessment.code}/present/5/")  # looking ahead, the room on 2
    screen.get_by_role("link", name="Create a room link").click()
    screen.get_by_role("button", name="Create the room link").click()
    qr = screen.locator(".room-qr")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["height"] >= 500  # large enough to scan across a room
    check_page(screen, "links-06-room-qr")
    shot = tmp_path / "room.png"
    screen.screenshot(path=str(shot))
    (room_link,) = _qr_texts(shot)
    assert room_link.startswith(f"{live_server.url}/room/")
    assessment.refresh_from_db()
    assert assessment.current_dimension == 2 and not assessment.spread_revealed
    screen.get_by_role("link", name="Back to dimension 5").click()
    expect(screen).to_have_url(f"{live_server.url}/rounds/{assessment.code}/present/5/")
    room = _open(browser, live_server, room_link)
    expect(room.get_by_role("heading", level=1)).to_contain_text("Workshop room")
    assessment.refresh_from_db()
    assert assessment.current_dimension == 2
