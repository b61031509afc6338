"""Personal links that survive reminders: shown again, revoked explicitly, keys rotated; the
invitation slips (their QR codes read back); the room link; X-Robots-Tag on every link page."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from assessments import link_tokens
from assessments.models import Assessment, AuditEvent, IndividualScore, Participant
from tests.factories import (
    ConsensusScoreFactory,
    OrganisationFactory,
    ParticipantFactory,
    StakeholderFactory,
    submit_sheet,
)

pytestmark = pytest.mark.django_db


def sheet_url(token: str) -> str:
    return reverse("assessments:sheet", kwargs={"token": token})


def link_page(participant: Participant, name: str = "participant_link") -> str:
    return reverse(
        f"assessments:{name}",
        kwargs={"code": participant.assessment.code, "participant": participant.code},
    )


def shown_link(facilitator: Client, participant: Participant) -> str:
    html = facilitator.get(link_page(participant)).content.decode()
    match = re.search(r'id="personal-link" type="text" value="(https?://[^"]+/s/([^"/]+)/)"', html)
    assert match, html
    return match.group(2)


def emailed_token(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+/s/([^/\s]+)/", str(message.body))
    assert match, message.body
    return match.group(1)


@pytest.fixture
def named(assessment, community) -> Participant:  # type: ignore[no-untyped-def]
    """A participant added by the real service (no hashed link: only the derived one)."""
    org = OrganisationFactory(community=community, name="Halton Housing Trust")
    person = StakeholderFactory(
        community=community, organisation=org, name="Ann Partner", email="ann@example.org"
    )
    participant = ParticipantFactory(assessment=assessment, stakeholder=person, invited_at=None)
    Participant.objects.filter(pk=participant.pk).update(token_hash=None)
    participant.refresh_from_db()
    return participant


# --- showing the link again -------------------------------------------------------------------


def test_the_link_shown_is_the_same_every_time_and_opens_the_sheet(
    facilitator, anonymous, named, settings
):
    settings.SITE_URL = "https://smm.example.org"
    response = facilitator.get(link_page(named))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    html = response.content.decode()
    assert "https://smm.example.org/s/" in html and "Copy link" in html
    assert '<svg role="img"' in html and "QR code of the personal link of Ann Partner" in html
    first = shown_link(facilitator, named)
    assert shown_link(facilitator, named) == first == named.link_token
    assert anonymous.get(sheet_url(first)).status_code == 200
    # Nothing secret stored: no hash, only a version; each showing is in the audit trail.
    named.refresh_from_db()
    assert named.token_hash is None and named.link_version == 1
    assert AuditEvent.objects.filter(verb="link-shown").count() == 3
    assert not any(first in e.summary for e in AuditEvent.objects.all())


def test_remind_then_the_earlier_link_still_opens_the_sheet(facilitator, anonymous, named):
    round_url = named.assessment.get_absolute_url()
    facilitator.post(reverse("assessments:round_invite", kwargs={"code": named.assessment.code}))
    earlier = emailed_token(mail.outbox[0])
    dimension = named.assessment.rubric.dimensions.get(number=1)
    save = reverse("assessments:sheet_save", kwargs={"token": earlier})
    assert anonymous.post(save, {"dimension": dimension.pk, "level": "3"}).status_code == 303

    response = facilitator.post(
        reverse("assessments:round_remind", kwargs={"code": named.assessment.code}), follow=True
    )
    assert "1 reminders sent" in response.content.decode()
    assert response.redirect_chain[-1][0] == round_url
    reminder = mail.outbox[1]
    assert "the same one as before" in str(reminder.body)
    assert emailed_token(reminder) == earlier
    # The earlier link opens the sheet, with what was saved through it.
    page = anonymous.get(sheet_url(earlier))
    assert page.status_code == 200
    assert IndividualScore.objects.get(participant=named).level == 3
    # Emailing one person again gives the same link too.
    facilitator.post(
        reverse("assessments:round_invite", kwargs={"code": named.assessment.code}),
        {"participant": str(named.code)},
    )
    assert emailed_token(mail.outbox[2]) == earlier
    assert anonymous.get(sheet_url(earlier)).status_code == 200


def test_marking_as_invited_is_a_post_and_only_once(facilitator, named):
    url = link_page(named)
    assert facilitator.get(url).status_code == 200
    named.refresh_from_db()
    assert named.invited_at is None  # looking is not inviting
    assert facilitator.post(url).status_code == 303
    named.refresh_from_db()
    assert named.invited_at is not None
    facilitator.post(url)
    assert AuditEvent.objects.filter(verb="link-issued").count() == 1


def test_the_link_can_be_shown_after_collection_closes(facilitator, anonymous, named):
    named.assessment.close_collection()
    token = shown_link(facilitator, named)
    # Read-only now, but still the person's own sheet.
    assert anonymous.get(sheet_url(token)).status_code == 200
    assert "mark as invited" not in facilitator.get(link_page(named)).content.decode()


# --- revoking ---------------------------------------------------------------------------------


def test_the_revoke_page_names_who_is_cut_off_and_changes_nothing(facilitator, anonymous, named):
    before = named.link_token
    response = facilitator.get(link_page(named, "participant_link_revoke"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Ann Partner</strong> (Halton Housing Trust) will be cut off" in html
    assert named.assessment.title in html
    named.refresh_from_db()
    assert named.link_token == before
    assert anonymous.get(sheet_url(before)).status_code == 200


def test_revoke_then_the_old_link_says_revoked_and_whom_to_ask_and_the_new_one_works(
    facilitator, facilitator_user, anonymous, named
):
    facilitator_user.first_name, facilitator_user.last_name = "Rhian", "Lead"
    facilitator_user.save()
    old = shown_link(facilitator, named)
    dimension = named.assessment.rubric.dimensions.get(number=2)
    save = reverse("assessments:sheet_save", kwargs={"token": old})
    anonymous.post(save, {"dimension": dimension.pk, "level": "4", "reason": "Kept"})

    response = facilitator.post(link_page(named, "participant_link_revoke"), follow=True)
    assert response.status_code == 200
    assert "The earlier link of Ann Partner no longer works" in response.content.decode()
    new = shown_link(facilitator, named)
    assert new != old
    assert AuditEvent.objects.filter(verb="link-revoked").count() == 1

    page = anonymous.get(sheet_url(old))
    assert page.status_code == 410
    html = page.content.decode()
    assert "This link has been revoked" in html
    assert "contact the facilitator of Halton" in html and "Rhian Lead" in html
    # Nobody's private details: not the person's name, nor anyone's email.
    assert "Ann Partner" not in html and "@" not in html
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    # Writing through the old link is refused too; the new one opens the same sheet.
    assert anonymous.post(save, {"dimension": dimension.pk, "level": "1"}).status_code == 410
    sheet = anonymous.get(sheet_url(new))
    assert sheet.status_code == 200 and "Kept" in sheet.content.decode()
    follow = anonymous.get(reverse("assessments:follow", kwargs={"token": old}))
    assert follow.status_code == 410 and "Rhian Lead" in follow.content.decode()


def test_a_hashed_link_from_before_keeps_working_until_revoked(facilitator, anonymous, participant):
    """Links issued before derived links (only their hash kept) still open the sheet, beside
    the derived one now shown; revoking stops both, and the old one then says revoked."""
    legacy = participant.token  # the factory stores only its hash, as the old code did
    assert participant.token_hash
    derived = shown_link(facilitator, participant)
    assert anonymous.get(sheet_url(legacy)).status_code == 200
    assert anonymous.get(sheet_url(derived)).status_code == 200
    facilitator.post(link_page(participant, "participant_link_revoke"))
    for token in (legacy, derived):
        response = anonymous.get(sheet_url(token))
        assert response.status_code == 410
        assert "This link has been revoked" in response.content.decode()
    participant.refresh_from_db()
    assert participant.token_hash is None
    assert anonymous.get(sheet_url(participant.link_token)).status_code == 200


def test_forged_and_foreign_links_are_not_found(anonymous, named, workshop_round_with_room):
    token = named.link_token
    code, version, mac = token.split(".")
    flipped = mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB")
    room_token = workshop_round_with_room.room_token
    for bad in (
        f"{code}.{version}.{flipped}",  # tampered MAC
        f"{code}.2.{mac}",  # another version, same MAC
        link_tokens.make_token(link_tokens.PERSONAL, named.code, 2),  # a version not yet made
        link_tokens.make_token(link_tokens.ROOM, named.code, 1),  # a room MAC for a person
        room_token,  # a room link is not a personal link
        f"{code}.²." + mac,
        f"{code}.{'9' * 50}.{mac}",
        "a.b.c",
    ):
        assert anonymous.get(sheet_url(bad)).status_code == 404, bad
    personal_as_room = reverse("assessments:room", kwargs={"token": token})
    assert anonymous.get(personal_as_room).status_code == 404


def test_guessing_derived_links_is_rate_limited(anonymous, named, settings):
    settings.SMM_TOKEN_LOOKUPS_PER_MINUTE = 3
    code, version, _mac = named.link_token.split(".")
    for n in range(3):
        guess = f"{code}.{version}.{'A' * 21}{'ABC'[n]}"
        assert anonymous.get(sheet_url(guess)).status_code == 404
    assert anonymous.get(sheet_url(named.link_token)).status_code == 429


# --- keys -------------------------------------------------------------------------------------


def test_links_survive_a_key_rotation_through_the_fallbacks(anonymous, named, settings):
    settings.SMM_LINK_KEY = "old-link-key-" + "x" * 40
    old = named.link_token
    settings.SMM_LINK_KEY = "new-link-key-" + "y" * 40
    settings.SMM_LINK_KEY_FALLBACKS = ["old-link-key-" + "x" * 40]
    assert anonymous.get(sheet_url(old)).status_code == 200
    new = named.link_token
    assert new != old  # links shown from now on are made with the new key
    assert anonymous.get(sheet_url(new)).status_code == 200
    settings.SMM_LINK_KEY_FALLBACKS = []
    assert anonymous.get(sheet_url(old)).status_code == 404
    assert anonymous.get(sheet_url(new)).status_code == 200


def test_the_default_key_is_derived_from_secret_key_and_rotates_with_it(anonymous, named, settings):
    settings.SMM_LINK_KEY = ""
    settings.SECRET_KEY = "first-secret-" + "s" * 50
    old = named.link_token
    assert settings.SECRET_KEY.encode() not in link_tokens.signing_key()
    settings.SECRET_KEY = "second-secret-" + "t" * 50
    settings.SECRET_KEY_FALLBACKS = ["first-secret-" + "s" * 50]
    assert anonymous.get(sheet_url(old)).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert anonymous.get(sheet_url(old)).status_code == 404


# --- invitation slips -------------------------------------------------------------------------


def _pdf_pages_as_png(pdf: bytes, tmp_path: Path) -> list[Path]:
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = tmp_path / "slips.pdf"
    source.write_bytes(pdf)
    # The QR codes are vectors: rendering the page as a printer would is the honest way to read
    # them back (our own file, our own arguments).
    subprocess.run(  # noqa: S603
        [pdftoppm, "-r", "200", "-png", str(source), str(tmp_path / "page")], check=True
    )
    return sorted(tmp_path.glob("page*.png"))


def _qr_texts(png: Path) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode)
    return sorted(code.text for code in found)


def test_slips_carry_name_link_deadline_and_a_qr_code_that_reads_back_to_the_link(
    facilitator, anonymous, assessment, community, settings, tmp_path
):
    from pypdf import PdfReader

    settings.SITE_URL = "https://smm.example.org"
    people = [
        ParticipantFactory(
            assessment=assessment,
            stakeholder=StakeholderFactory(community=community, name=f"Person {n:02d}"),
        )
        for n in range(9)
    ]
    response = facilitator.get(reverse("assessments:round_slips", kwargs={"code": assessment.code}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(__import__("io").BytesIO(response.content))
    assert len(reader.pages) == 2  # six slips to a page
    text = " ".join(page.extract_text() for page in reader.pages)
    for person in people:
        assert person.stakeholder.name in text
    assert assessment.deadline.strftime("%-d %B %Y") in text
    links = sorted(f"https://smm.example.org/s/{p.link_token}/" for p in people)
    pages = _pdf_pages_as_png(response.content, tmp_path)
    decoded = sorted(t for page in pages for t in _qr_texts(page))
    assert decoded == links
    # Each decoded link opens that person's sheet.
    token = decoded[0].rstrip("/").rsplit("/", 1)[1]
    page = anonymous.get(sheet_url(token))
    assert page.status_code == 200
    assert AuditEvent.objects.filter(verb="slips-printed").count() == 1


def test_smallest_text_on_the_slips_is_at_least_9_pt(facilitator, named):
    from pypdf import PdfReader

    url = reverse("assessments:round_slips", kwargs={"code": named.assessment.code})
    reader = PdfReader(__import__("io").BytesIO(facilitator.get(url).content))
    sizes: list[float] = []

    def visit(text, cm, tm, font, size) -> None:  # type: ignore[no-untyped-def]
        if text.strip():
            sizes.append(size * abs(tm[0]) if tm[0] else size)

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    assert sizes and min(sizes) >= 9


def test_one_persons_slip_and_bad_input(facilitator, named, assessment):
    url = reverse("assessments:round_slips", kwargs={"code": assessment.code})
    one = facilitator.get(url, {"participant": str(named.code)})
    assert one.status_code == 200 and one["Content-Type"] == "application/pdf"
    bad = facilitator.get(url, {"participant": "not-a-code"})
    assert bad.status_code == 400
    stranger = facilitator.get(url, {"participant": "00000000-0000-0000-0000-000000000000"})
    assert stranger.status_code == 303  # back to the round, with a message


def test_slips_are_refused_to_evaluators_and_other_facilitators(
    evaluator, other_facilitator, named
):
    url = reverse("assessments:round_slips", kwargs={"code": named.assessment.code})
    assert evaluator.get(url).status_code == 403
    assert other_facilitator.get(url).status_code == 404


# --- the room link ----------------------------------------------------------------------------


@pytest.fixture
def workshop_round_with_room(assessment) -> Assessment:  # type: ignore[no-untyped-def]
    assessment.status = Assessment.Status.WORKSHOP
    assessment.current_dimension = 3
    assessment.spread_revealed = True
    assessment.save()
    ConsensusScoreFactory(assessment=assessment)
    for _ in range(3):
        submit_sheet(ParticipantFactory(assessment=assessment), [2] * 9)
    assessment.issue_room_token()
    return assessment


def test_showing_and_making_the_room_link_never_moves_the_room(
    facilitator, anonymous, workshop_round_with_room
):
    rnd = workshop_round_with_room
    url = reverse("assessments:room_link", kwargs={"code": rnd.code})
    page = facilitator.get(url, {"from": "5"})  # the presenter was looking at dimension 5
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="room-qr' in html and rnd.room_token in html
    assert "Back to dimension 5" in html
    assert 'data-nav="' not in html  # no arrow-key navigation from this page
    old = rnd.room_token
    response = facilitator.post(url, {"from": "5"})
    assert response.status_code == 302 and response["Location"].endswith("?from=5")
    rnd.refresh_from_db()
    assert (rnd.current_dimension, rnd.spread_revealed) == (3, True)
    assert rnd.room_token != old
    assert anonymous.get(reverse("assessments:room", kwargs={"token": old})).status_code == 404
    assert (
        anonymous.get(reverse("assessments:room", kwargs={"token": rnd.room_token})).status_code
        == 200
    )
    # A "from" that is not a dimension falls back to the room's own.
    assert "Back to dimension 3" in facilitator.get(url, {"from": "99"}).content.decode()


def test_a_hashed_room_link_from_before_still_works_but_cannot_be_shown(
    facilitator, anonymous, workshop_round_with_room
):
    from assessments.models import hash_token

    rnd = workshop_round_with_room
    Assessment.objects.filter(pk=rnd.pk).update(
        room_link_version=0, room_token_hash=hash_token("legacy-room-token")
    )
    assert anonymous.get(reverse("assessments:room", args=["legacy-room-token"])).status_code == 200
    html = facilitator.get(reverse("assessments:room_link", kwargs={"code": rnd.code}))
    assert "cannot be shown again" in html.content.decode()


# --- X-Robots-Tag -----------------------------------------------------------------------------


def test_every_link_and_room_response_says_noindex(anonymous, named, workshop_round_with_room):
    token = named.link_token
    urls = [
        reverse("assessments:sheet", kwargs={"token": token}),
        reverse("assessments:sheet_review", kwargs={"token": token}),
        reverse("assessments:my_sheet_pdf", kwargs={"token": token}),
        reverse("assessments:follow", kwargs={"token": token}),
        reverse("assessments:room", kwargs={"token": workshop_round_with_room.room_token}),
        reverse("assessments:sheet", kwargs={"token": "unknown"}),
        reverse("assessments:room", kwargs={"token": "unknown"}),
    ]
    for url in urls:
        response = anonymous.get(url)
        assert response["X-Robots-Tag"] == "noindex, nofollow", url
    posts = [
        reverse("assessments:sheet_save", kwargs={"token": token}),
        reverse("assessments:sheet_submit", kwargs={"token": token}),
        reverse("assessments:sheet", kwargs={"token": token}),  # 405
    ]
    for url in posts:
        assert anonymous.post(url)["X-Robots-Tag"] == "noindex, nofollow", url
    # Pages for accounts are not marked (they are behind a log-in anyway).
    assert "X-Robots-Tag" not in anonymous.get(reverse("login"))


def test_slips_query_count_does_not_grow_with_people(facilitator, assessment, community):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("assessments:round_slips", kwargs={"code": assessment.code})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert facilitator.get(url).status_code == 200
        return len(queries)

    ParticipantFactory(assessment=assessment)
    small = count()
    for _ in range(7):
        ParticipantFactory(
            assessment=assessment,
            stakeholder=StakeholderFactory(
                community=community, organisation=OrganisationFactory(community=community)
            ),
        )
    assert count() == small
