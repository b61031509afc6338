"""Dimension names in Welsh on every page and email that names a dimension (issue 17).

The rubric's Welsh translation (migration 0010, fixtures/rubric-2021-texts.json) names each
dimension in Welsh. Each page is rendered twice for the same data: in English, to learn which
dimensions it names (so no case passes by naming none), then in Welsh, where every one of
those must be named in Welsh and no English name may be left, wherever a reader meets it
(text, title, aria-label, alt, a chart's data). Left out: what is marked `lang="en..."`, the
official English wording the sheet and the handout keep one tap away on purpose.

The check: the Welsh names are taken out of the text first (an English name inside a Welsh
one is not English left behind), then each English name and sheet label is looked for as a
whole phrase, case and all ("Vision", "VISION"). A dimension whose Welsh name is its English
name is never counted as English.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from assessments.models import Dimension, Rubric
from assessments.rubric_texts import DimensionText
from communities.models import User
from tests import test_permission_matrix as matrix
from tests.scenario import Scenario

pytestmark = pytest.mark.django_db

scenario = matrix.scenario
clients = matrix.clients

WELSH_COOKIE = {settings.LANGUAGE_COOKIE_NAME: "cy"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
READ_ATTRIBUTES = ("aria-label", "alt", "title", "placeholder")


@dataclass(frozen=True)
class Names:
    number: int
    english: tuple[str, ...]  # name, sheet label
    welsh: tuple[str, ...]


def _names() -> list[Names]:
    rubric = Rubric.current()
    welsh = {
        t.dimension_id: t
        for t in DimensionText.objects.filter(
            translation__rubric=rubric,
            translation__language="cy",
            translation__kind="official",
        )
    }
    assert len(welsh) == 9, "the rubric's Welsh translation is not loaded"
    return [
        Names(
            number=d.number,
            english=(d.name, d.sheet_label),
            welsh=(welsh[d.pk].name, welsh[d.pk].sheet_label),
        )
        for d in Dimension.objects.filter(rubric=rubric).order_by("number")
    ]


class _Reader(HTMLParser):
    """What a reader meets: text, the attributes read aloud, JSON data (a chart's labels);
    not scripts or styles, nor anything inside an element marked as English."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool, bool]] = []  # tag, English, hidden

    def _state(self) -> tuple[bool, bool]:
        return (self.stack[-1][1], self.stack[-1][2]) if self.stack else (False, False)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        english, hidden = self._state()
        # The page's own language (<html lang>) is what is checked, not a part kept in English.
        lang = (found.get("lang") or "").lower() if tag != "html" else ""
        if lang:
            english = lang.startswith("en")
        if tag in ("script", "style"):
            hidden = hidden or (found.get("type") or "") != "application/json"
        if not (english or hidden):
            self.parts += [found[a] or "" for a in READ_ATTRIBUTES if a in found]
        if tag not in VOID:
            self.stack.append((tag, english, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        english, hidden = self._state()
        if not (english or hidden):
            self.parts.append(data)


def _read(page: str) -> str:
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return " ".join(" ".join(reader.parts).split())


def _has(text: str, phrase: str) -> bool:
    phrase = " ".join(phrase.split())
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def _named(text: str, names: list[Names], *, welsh: bool) -> set[int]:
    return {
        n.number for n in names if any(_has(text, p) for p in (n.welsh if welsh else n.english))
    }


def _english_left(text: str, names: list[Names]) -> list[str]:
    for phrase in sorted((p for n in names for p in n.welsh), key=len, reverse=True):
        text = text.replace(" ".join(phrase.split()), " ")
    return [
        phrase
        for n in names
        for phrase, same in zip(n.english, n.welsh, strict=True)
        if phrase != same and _has(text, phrase)
    ]


def check_welsh_names(english_page: str, welsh_page: str, *, at_least: int = 1) -> None:
    names = _names()
    shown = _named(_read(english_page), names, welsh=False)
    assert len(shown) >= at_least, f"the English page names dimensions {sorted(shown)} only"
    assert '<html lang="cy"' in welsh_page or "<html" not in welsh_page
    text = _read(welsh_page)
    left = _english_left(text, names)
    assert left == [], "English names left: " + "; ".join(
        f"{phrase!r} in …{text[max(0, i - 40) : i + len(phrase) + 40]}…"
        for phrase in left
        for i in [text.find(phrase)]
    )
    missing = shown - _named(text, names, welsh=True)
    assert not missing, f"dimensions {sorted(missing)} not named in Welsh"


# --- the pages ---------------------------------------------------------------------------

Url = Callable[[Scenario], str]


@dataclass(frozen=True)
class Page:
    role: str  # "facilitator", "evaluator" or "link" (no account)
    url: Url
    at_least: int = 1


def _on(name: str, attr: str, **more: object) -> Url:
    return lambda s: reverse(f"assessments:{name}", kwargs={"code": getattr(s, attr).code, **more})


def _workshop_token(s: Scenario) -> str:
    person = next(p for p in s.people if p.participant.assessment_id == s.workshop.pk)
    return person.participant.token  # type: ignore[attr-defined,no-any-return]


PAGES: dict[str, Page] = {
    "community": Page(
        "facilitator", lambda s: reverse("communities:detail", kwargs={"slug": s.community.slug})
    ),
    "community actions": Page(
        "facilitator",
        lambda s: reverse("assessments:community_actions", kwargs={"slug": s.community.slug}),
    ),
    "analysis": Page("facilitator", _on("analysis", "workshop"), at_least=9),
    "presenter": Page("facilitator", _on("presenter", "workshop", number=3)),
    "priorities": Page("facilitator", _on("priorities", "workshop")),
    "finalise": Page("facilitator", _on("finalise", "workshop"), at_least=9),
    "action edit": Page(
        "facilitator",
        lambda s: reverse(
            "assessments:priority_action_edit", kwargs={"code": s.workshop.code, "pk": s.action.pk}
        ),
    ),
    "action detail": Page(
        "facilitator",
        lambda s: reverse(
            "assessments:action_detail",
            kwargs={"code": s.finalised.code, "pk": s.finalised_action.pk},
        ),
    ),
    "report": Page("facilitator", _on("report", "finalised"), at_least=9),
    "agreed sheet": Page("facilitator", _on("agreed_sheet", "finalised", fmt="html"), at_least=9),
    "blank sheet": Page(
        "facilitator", lambda s: reverse("assessments:blank_sheet", kwargs={"fmt": "html"}), 9
    ),
    "rubric handout": Page(
        "facilitator", lambda s: reverse("assessments:rubric_handout", kwargs={"fmt": "html"}), 9
    ),
    "paper sheet": Page(
        "facilitator",
        lambda s: reverse(
            "assessments:paper_sheet",
            kwargs={"code": s.collecting.code, "participant": s.link_this.code},
        ),
        at_least=9,
    ),
    "overview": Page("evaluator", lambda s: reverse("assessments:overview")),
    "synthesis": Page("evaluator", lambda s: reverse("insight:synthesis")),
    "sheet": Page(
        "link",
        lambda s: reverse("assessments:sheet", kwargs={"token": s.token_for("link_this")}),
        9,
    ),
    "review": Page(
        "link",
        lambda s: reverse("assessments:sheet_review", kwargs={"token": s.token_for("link_this")}),
        at_least=9,
    ),
    "follow": Page(
        "link", lambda s: reverse("assessments:follow", kwargs={"token": _workshop_token(s)})
    ),
    "room": Page("link", lambda s: reverse("assessments:room", kwargs={"token": s.room_token})),
}
# Pages other helpers are still changing; take a mark away once its page passes.
IN_PROGRESS: dict[str, str] = {}


def _params() -> list[object]:
    return [
        pytest.param(
            name,
            marks=[
                pytest.mark.xfail(strict=False, reason=f"owner: {IN_PROGRESS[name]} in progress")
            ]
            if name in IN_PROGRESS
            else [],
            id=name,
        )
        for name in PAGES
    ]


def _get(client: Client, url: str) -> str:
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("name", _params())
def test_a_welsh_page_names_the_dimensions_in_welsh(name, scenario, clients):  # type: ignore[no-untyped-def]
    page = PAGES[name]
    url = page.url(scenario)
    client = clients[page.role] if page.role != "link" else Client()
    english = _get(client, url)
    client.cookies.load(WELSH_COOKIE)
    welsh = _get(client, url)
    check_welsh_names(english, welsh, at_least=page.at_least)


def test_the_agreed_results_on_a_finalised_round_s_sheet_are_in_welsh(scenario):  # type: ignore[no-untyped-def]
    person = next(
        p for p in scenario.people if p.participant.assessment_id == scenario.finalised.pk
    )
    url = reverse("assessments:sheet", kwargs={"token": person.participant.token})
    client = Client()
    english = _get(client, url)
    client.cookies.load(WELSH_COOKIE)
    check_welsh_names(english, _get(client, url), at_least=9)


def test_the_check_finds_an_english_name_left_on_a_welsh_page():
    """The tests above cannot pass by finding nothing: an English name is caught as text and as
    a label, a Welsh name containing nothing English passes, and English marked lang=en is
    the official wording kept on purpose."""
    names = _names()
    english = "<p>1. Vision</p>"
    check_welsh_names(english, '<html lang="cy"><p>1. Gweledigaeth</p></html>')
    check_welsh_names(
        english,
        '<html lang="cy"><p>1. Gweledigaeth</p><details lang="en-GB"><p>1. Vision</p></details>',
    )
    for left in ('<p title="Vision">1. Gweledigaeth</p>', "<p>1. Gweledigaeth, Vision</p>"):
        with pytest.raises(AssertionError):
            check_welsh_names(english, f'<html lang="cy">{left}</html>')
    with pytest.raises(AssertionError):  # named in English only
        check_welsh_names(english, '<html lang="cy"><p>1. Atebolrwydd</p></html>')
    assert _english_left("SERVICE DELIVERY", names) == ["SERVICE DELIVERY"]
    assert _english_left("Supervision", names) == []


# --- emails -------------------------------------------------------------------------------


def _reminders(scenario: Scenario, facilitator_user: User, *, language: str) -> list[Any]:
    """The overdue-actions reminders for the community's facilitators (this one of language
    `language`, "" for not chosen), sent as cron sends them: in the site's language."""
    from assessments.followthrough import send_action_reminders
    from assessments.models import PriorityAction

    User.objects.filter(pk=facilitator_user.pk).update(email="lead@example.org", language=language)
    PriorityAction.objects.filter(pk=scenario.finalised_action.pk).update(reminded_at=None)
    mail.outbox.clear()
    with translation.override(settings.LANGUAGE_CODE):
        send_action_reminders()
    return list(mail.outbox)


def _reminder(scenario: Scenario, facilitator_user: User, *, language: str) -> mail.EmailMessage:
    (message,) = _reminders(scenario, facilitator_user, language=language)
    return message


def _as_page(message: mail.EmailMessage, body: str | None = None) -> str:
    """An email as the check reads a page: plain text, its subject and body."""
    return html.escape(f"{message.subject}\n{message.body if body is None else body}")


def test_the_action_reminder_to_a_welsh_facilitator_names_the_dimensions_in_welsh(
    scenario, facilitator_user
):  # type: ignore[no-untyped-def]
    english = _reminder(scenario, facilitator_user, language="en-gb")
    welsh = _reminder(scenario, facilitator_user, language="cy")
    assert welsh.extra_headers["Content-Language"] == "cy"
    check_welsh_names(_as_page(english), _as_page(welsh))


def test_the_bilingual_action_reminder_names_each_part_s_dimensions_in_its_language(
    scenario, facilitator_user
):  # type: ignore[no-untyped-def]
    """A facilitator in Wales who chose no language gets Welsh then English, as a participant
    would; the Welsh part names the dimensions in Welsh, the English part in English."""
    from communities.models import Community, Nation

    english = _reminder(scenario, facilitator_user, language="")
    Community.objects.filter(pk=scenario.community.pk).update(nation=Nation.WALES)
    both = _reminder(scenario, facilitator_user, language="")
    assert both.extra_headers["Content-Language"] == "cy, en-GB"
    welsh_part, english_part = both.body.split("\n----------------------------------------\n")
    check_welsh_names(_as_page(english), _as_page(both, welsh_part))
    assert english_part.strip() in english.body


def test_facilitators_of_different_languages_get_one_reminder_each_in_their_own(
    scenario, facilitator_user
):  # type: ignore[no-untyped-def]
    from communities.models import Membership
    from tests.factories import UserFactory

    colleague = UserFactory(email="colleague@example.org", language="en-gb")
    Membership.objects.create(user=colleague, community=scenario.community)
    sent = _reminders(scenario, facilitator_user, language="cy")
    by_language = {m.extra_headers["Content-Language"]: m for m in sent}
    assert sorted(by_language) == ["cy", "en-GB"]
    assert by_language["cy"].to == ["lead@example.org"]
    assert by_language["en-GB"].to == ["colleague@example.org"]
    check_welsh_names(_as_page(by_language["en-GB"]), _as_page(by_language["cy"]))


# --- messages and the audit trail ----------------------------------------------------------


def test_a_welsh_facilitator_s_saved_target_is_announced_and_audited_in_welsh(scenario, clients):  # type: ignore[no-untyped-def]
    from django.contrib.messages import get_messages

    from assessments.followthrough import target_fingerprint
    from assessments.models import AuditEvent, ConsensusScore

    score = ConsensusScore.objects.select_related("dimension").get(
        assessment=scenario.workshop, is_priority=True
    )
    (names,) = (n for n in _names() if n.number == score.dimension.number)
    client = clients["facilitator"]
    client.cookies.load(WELSH_COOKIE)
    response = client.post(
        reverse(
            "assessments:target_save",
            kwargs={"code": scenario.workshop.code, "number": score.dimension.number},
        ),
        {
            f"t{score.pk}-target_level": "5",
            f"t{score.pk}-move_up": "Rhannu data",
            f"t{score.pk}-loaded": target_fingerprint(score),
        },
    )
    assert response.status_code == 302
    (message,) = (str(m) for m in get_messages(response.wsgi_request))
    event = AuditEvent.objects.filter(verb=AuditEvent.Verb.TARGET_SAVED).latest("pk")
    for text in (message, event.summary):
        assert names.welsh[0] in text and names.english[0] not in text, text
