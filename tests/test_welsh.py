"""The Welsh interface (issue 17): every message translated, every page in Welsh, the language
remembered per user and per participant, and emails in the recipient's language.

The catalogue check runs `makemessages` over a copy of the source, so that a string added to the
code without a Welsh translation fails here (and so `make test`), not only one left empty in the
committed file. It needs GNU gettext (`scripts/system-deps.sh --browser` installs it): without it
the test is skipped, except in CI.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from gettext import GNUTranslations
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from assessments.models import Dimension, LevelDescriptor, Participant
from assessments.rounds import email_languages, invitations_send
from communities.models import Language, Nation
from scripts.po_fill import Entry, parse
from tests import test_permission_matrix as matrix
from tests.factories import (
    AssessmentFactory,
    CommunityFactory,
    ParticipantFactory,
    StakeholderFactory,
)
from tests.test_html_valid import _matrix_pages

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "cy" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# Where the translatable strings live: what `make messages` scans (the rest is tooling).
SOURCES = ("assessments", "communities", "insight", "smm_site", "templates")
WELSH_COOKIE = {settings.LANGUAGE_COOKIE_NAME: "cy"}
# Our words that are the same in both languages, or names: never "English left behind".
SAME_IN_BOTH = {"smm", "PDF", "CSV", "XLSX", "API", "OpenAPI", "JSON", "QR"}

scenario = matrix.scenario
clients = matrix.clients


def _entries(path: Path) -> list[Entry]:
    return [e for e in parse(path.read_text(encoding="utf-8"))[1:] if not e.obsolete]


def _problems(entries: list[Entry]) -> list[str]:
    return [
        f"{'fuzzy' if e.fuzzy else 'untranslated'}: {e.fields['msgid'][:90]!r}"
        for e in entries
        if e.fuzzy or not all(e.msgstrs())
    ]


def _require_gettext() -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msgattrib") if not shutil.which(tool)]
    if missing:
        message = f"GNU gettext ({', '.join(missing)}) is needed: scripts/system-deps.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


# --- (a) the catalogue -------------------------------------------------------------------


def test_the_committed_welsh_catalogue_is_complete():
    entries = _entries(PO)
    assert len(entries) > 1000
    assert _problems(entries) == []
    header = parse(PO.read_text(encoding="utf-8"))[0].fields["msgstr"]
    assert "Language: cy\n" in header
    assert (
        "Plural-Forms: nplurals=6; plural=(n==0) ? 0 : (n==1) ? 1 : (n==2) ? 2 : (n==3) ? 3 : "
        "(n==6) ? 4 : 5;" in header
    )
    assert all(len(e.msgstrs()) == 6 for e in entries if e.is_plural)


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo is committed (a clean clone and the Docker image need no gettext): it must say
    what the .po says (`make messages` rebuilds both)."""
    with MO.open("rb") as handle:
        compiled = GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    for entry in _entries(PO):
        msgid = entry.fields["msgid"]
        if entry.is_plural:
            assert [compiled.get((msgid, i)) for i in range(6)] == entry.msgstrs(), msgid
        else:
            assert compiled.get(msgid) == entry.fields["msgstr"], msgid


def _catalogue_of_copy(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    """makemessages over a copy of the sources (and `extra` files) and the committed catalogue."""
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in (extra or {}).items():
        (tmp_path / name).write_text(text)
    shutil.copy(ROOT / "manage.py", tmp_path)
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smm_site.settings.test"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "cy", "--no-location"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return tmp_path / "locale" / "cy" / "LC_MESSAGES" / "django.po"


def test_every_message_in_the_code_has_a_welsh_translation(tmp_path):  # type: ignore[no-untyped-def]
    _require_gettext()
    problems = _problems(_entries(_catalogue_of_copy(tmp_path)))
    assert problems == [], (
        f"{len(problems)} Welsh messages missing; run `make messages`, translate them in "
        "locale/cy/LC_MESSAGES/django.po (docs/translation.md) and commit:\n" + "\n".join(problems)
    )


def test_a_new_string_without_a_translation_fails_the_check(tmp_path):  # type: ignore[no-untyped-def]
    """The check above cannot pass by reading only the committed file."""
    _require_gettext()
    new = '{% load i18n %}{% translate "A sentence nobody has translated yet" %}'
    problems = _problems(_entries(_catalogue_of_copy(tmp_path, {"templates/new.html": new})))
    assert "untranslated: 'A sentence nobody has translated yet'" in problems


# --- (b) every page in Welsh ------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sd]|<[^>]+>|\{\{.*?\}\}|\n")


def _english_phrases() -> dict[str, str]:
    """Runs of four or more English words from our messages, each with its msgid, leaving out
    those the Welsh keeps as they are (names, abbreviations)."""
    phrases: dict[str, str] = {}
    for entry in _entries(PO):
        welsh = " ".join(entry.msgstrs())
        for english in filter(None, (entry.fields["msgid"], entry.fields.get("msgid_plural"))):
            for part in PLACEHOLDER.split(english):
                part = " ".join(part.split()).strip(" :;,.·–—()")
                if len(part.split()) >= 4 and part not in welsh:
                    phrases[part] = entry.fields["msgid"]
    return phrases


def _visible_text(page: str) -> str:
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    # What assistive technology reads counts as much as what is on screen.
    labels = re.findall(r'(?:aria-label|alt|title|placeholder)="([^"]*)"', page)
    text = re.sub(r"(?s)<[^>]+>", " ", page)
    return " ".join(html.unescape(" ".join([text, *labels])).split())


def _data_texts() -> list[str]:
    """The rubric is data, shown word for word in English (its Welsh is another task)."""
    texts = list(LevelDescriptor.objects.values_list("text", flat=True))
    texts += list(Dimension.objects.values_list("name", flat=True))
    return sorted((" ".join(t.split()) for t in texts), key=len, reverse=True)


def _english_left(page: str, phrases: dict[str, str], data: list[str]) -> list[str]:
    text = _visible_text(page)
    for item in data:
        text = text.replace(item, " ")
    return sorted(
        f"{phrase!r} (from {msgid[:60]!r})" for phrase, msgid in phrases.items() if phrase in text
    )


def test_every_page_in_welsh_has_no_english_message_left(scenario, clients):  # type: ignore[no-untyped-def]
    for client in clients.values():
        client.cookies.load(WELSH_COOKIE)
    pages = _matrix_pages(scenario, clients)
    welsh_404 = Client()
    welsh_404.cookies.load(WELSH_COOKIE)
    pages["GET /no-such-page/ (404)"] = welsh_404.get("/no-such-page/").content.decode()
    assert len(pages) > 60, sorted(pages)
    phrases, data = _english_phrases(), _data_texts()
    assert len(phrases) > 500
    left = {}
    for name, page in pages.items():
        if name.startswith("GET /api/"):
            continue  # the API's reference is its docstrings, in English like the API itself
        found = _english_left(page, phrases, data)
        # A whole page says it is Welsh (an htmx partial is wrapped by _matrix_pages).
        if "<title>partial</title>" not in page and '<html lang="cy">' not in page:
            found.append("not <html lang=cy>")
        if found:
            left[name] = found
    report = "\n".join(f"{name}:\n  " + "\n  ".join(found) for name, found in left.items())
    assert left == {}, f"English messages on {len(left)} Welsh pages:\n{report}"


def test_the_crawl_finds_english_on_an_english_page(scenario, facilitator):  # type: ignore[no-untyped-def]
    """The test above cannot pass by finding nothing."""
    page = facilitator.get(scenario.collecting.get_absolute_url()).content.decode()
    assert _english_left(page, _english_phrases(), _data_texts())


# --- (c) the switcher remembers the choice -----------------------------------------------


def _switch(client: Client, language: str, next_url: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_every_page_has_the_switcher(anonymous, facilitator, participant):  # type: ignore[no-untyped-def]
    for client, url in (
        (anonymous, reverse("login")),
        (facilitator, reverse("communities:dashboard")),
        (anonymous, f"/s/{participant.token}/"),
    ):
        page = client.get(url).content.decode()
        assert 'action="/i18n/setlang/"' in page, url
        assert f'name="next" value="{url}"' in page, url
        assert 'name="language" value="cy" lang="cy"' in page, url


def test_an_anonymous_visitor_switches_with_a_cookie(anonymous):  # type: ignore[no-untyped-def]
    login = reverse("login")
    response = _switch(anonymous, "cy", login)
    assert response.status_code == 302 and response["Location"] == login
    page = anonymous.get(login).content.decode()
    assert '<html lang="cy">' in page and "Mewngofnodi" in page
    assert 'name="language" value="en-gb"' in page  # and back
    _switch(anonymous, "en-gb", login)
    assert '<html lang="en-gb">' in anonymous.get(login).content.decode()


def test_a_user_s_choice_is_kept_on_the_account(facilitator, facilitator_user):  # type: ignore[no-untyped-def]
    dashboard = reverse("communities:dashboard")
    _switch(facilitator, "cy", dashboard)
    facilitator_user.refresh_from_db()
    assert facilitator_user.language == "cy"
    # Another browser, no cookie, an English browser: the account's language.
    elsewhere = Client(headers={"accept-language": "en-GB"})
    elsewhere.force_login(facilitator_user)
    page = elsewhere.get(dashboard)
    assert '<html lang="cy">' in page.content.decode() and page["Content-Language"] == "cy"


def test_the_account_page_sets_the_language(facilitator, facilitator_user):  # type: ignore[no-untyped-def]
    security = reverse("accounts:security")
    page = facilitator.get(security).content.decode()
    assert 'id="account-language" name="language"' in page
    assert _switch(facilitator, "cy", security)["Location"] == security
    facilitator_user.refresh_from_db()
    assert facilitator_user.language == "cy"
    assert '<option value="cy" lang="cy" selected>' in facilitator.get(security).content.decode()


def test_an_unknown_language_changes_nothing(facilitator, facilitator_user):  # type: ignore[no-untyped-def]
    _switch(facilitator, "fr", reverse("communities:dashboard"))
    facilitator_user.refresh_from_db()
    assert facilitator_user.language == ""


def test_a_participant_s_choice_is_kept_on_their_participation(participant):  # type: ignore[no-untyped-def]
    sheet = f"/s/{participant.token}/"
    person = Client()
    _switch(person, "cy", sheet)
    participant.refresh_from_db()
    assert participant.language == "cy"
    # Their link opens in Welsh on another device too, whatever that browser prefers.
    page = Client(headers={"accept-language": "en-GB"}).get(sheet).content.decode()
    assert '<html lang="cy">' in page and "Eich sgorau preifat" in page


def test_switching_on_another_page_does_not_touch_a_participant(participant):  # type: ignore[no-untyped-def]
    _switch(Client(), "cy", "/s/not-a-real-token/")
    _switch(Client(), "cy", reverse("login"))
    participant.refresh_from_db()
    assert participant.language == ""


def test_the_facilitator_sets_the_language_when_adding_people(facilitator, assessment):  # type: ignore[no-untyped-def]
    stakeholder = StakeholderFactory(community=assessment.community)
    url = reverse("assessments:participants_add", kwargs={"code": assessment.code})
    page = facilitator.get(url).content.decode()
    assert 'name="language"' in page
    facilitator.post(url, {"stakeholders": [stakeholder.code], "language": "cy"})
    assert assessment.participants.get(stakeholder=stakeholder).language == "cy"


def test_the_facilitator_changes_a_person_s_language_on_their_link_page(facilitator, participant):  # type: ignore[no-untyped-def]
    url = reverse(
        "assessments:participant_link",
        kwargs={"code": participant.assessment.code, "participant": participant.code},
    )
    response = facilitator.post(url, {"language": "cy"})
    assert response.status_code == 303
    participant.refresh_from_db()
    assert participant.language == "cy" and participant.invited_at is not None
    assert 'value="cy" selected' in facilitator.get(url).content.decode()
    facilitator.post(url, {"language": ""})
    participant.refresh_from_db()
    assert participant.language == ""


# --- (d) emails in the recipient's language ----------------------------------------------


def _invite(participant: Participant, facilitator_user) -> mail.EmailMessage:  # type: ignore[no-untyped-def]
    mail.outbox.clear()
    invitations_send(
        assessment=participant.assessment, participants=[participant], by=facilitator_user
    )
    (message,) = mail.outbox
    return message


def test_an_invitation_is_in_the_participant_s_language(participant, facilitator_user):  # type: ignore[no-untyped-def]
    participant.language = Language.WELSH
    participant.save()
    message = _invite(participant, facilitator_user)
    assert message.subject.startswith("Eich sgorau preifat ar gyfer")
    assert "Annwyl" in message.body and "Dear" not in message.body
    participant.language = Language.ENGLISH
    participant.save()
    message = _invite(participant, facilitator_user)
    assert message.subject.startswith("Your private scores for") and "Annwyl" not in message.body


def test_unknown_language_in_wales_is_welsh_then_english(facilitator_user):  # type: ignore[no-untyped-def]
    wales = CommunityFactory(name="Merthyr Tydfil", slug="merthyr", nation=Nation.WALES)
    participant = ParticipantFactory(assessment=AssessmentFactory(community=wales))
    assert email_languages(participant) == ["cy", "en-gb"]
    message = _invite(participant, facilitator_user)
    assert message.subject.index("Eich sgorau") < message.subject.index("Your private scores")
    assert message.body.index("Annwyl") < message.body.index("Dear")
    assert message.body.count(participant.link_token) == 2
    assert message.extra_headers["Content-Language"] == "cy, en-GB"


def test_reminders_follow_the_same_rule(participant, facilitator_user):  # type: ignore[no-untyped-def]
    from assessments.rounds import reminders_send

    participant.language = Language.WELSH
    participant.invited_at = None
    participant.save()
    mail.outbox.clear()
    reminders_send(assessment=participant.assessment, by=facilitator_user)
    (message,) = mail.outbox
    assert message.subject.startswith("Nodyn atgoffa") and "Dear" not in message.body


def test_unknown_language_in_england_is_english(participant):  # type: ignore[no-untyped-def]
    assert participant.assessment.community.nation == Nation.ENGLAND
    assert email_languages(participant) == ["en-gb"]
