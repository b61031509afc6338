"""Writes made outside a request are seen on the very next request, with Redis and without.

The app once kept whole signed-in pages and stakeholder sheets in Redis, invalidated by counters
that only web requests bumped: a membership deleted in the Django shell, a user deactivated or
a password set with `update()`, a link re-issued or a stakeholder erased by a script, left the
old pages (names and private reasons included) being served. Every test here makes its write
the way a shell, a script or another host would (the ORM or a service called directly, never a
request) and then looks at what the same browser gets next.

The whole module runs twice: with the settings' LocMem cache and with Redis as the cache.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pytest
import redis
from django.contrib.auth.hashers import make_password
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments.models import Assessment, Dimension, IndividualScore, Participant
from assessments.privacy import stakeholder_erase
from assessments.rounds import participant_link_revoke
from communities.models import Community, Membership, Stakeholder, User
from tests.assessments.test_pdf_reports import read, text_of
from tests.factories import ParticipantFactory, StakeholderFactory, submit_sheet
from tests.scenario import Scenario, build_scenario

pytestmark = pytest.mark.django_db

# A Redis database per test worker (9, 10, …): each worker empties its own before every test,
# and with one shared database a worker's emptying once removed the other's key mid-test.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
REDIS_URL = f"redis://127.0.0.1:6379/{9 + int(_WORKER or 0) % 6}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True, params=["locmem", "redis"])
def cache_backend(request, settings):  # type: ignore[no-untyped-def]
    """The cache every test of the module runs with: the settings' default, or Redis."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
            }
        }
        assert isinstance(caches["default"], RedisCache)
    else:
        assert isinstance(caches["default"], LocMemCache)
    # Redis is emptied either way: the LocMem run checks that nothing goes there.
    redis.Redis.from_url(REDIS_URL).flushdb()
    caches["default"].clear()
    yield request.param
    caches["default"].clear()


def seen(response: HttpResponse) -> str:
    """What the user sees in a response: a page's HTML, a PDF's text, a workbook's cells."""
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/pdf"):
        return text_of(read(response.content))
    if content_type.startswith(XLSX):
        workbook = load_workbook(io.BytesIO(response.content), read_only=True)
        return " ".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return response.content.decode()


def assert_sent_to_login(response: HttpResponse, url: str) -> None:
    assert response.status_code == 302, f"{url}: {response.status_code}, not sent to log in"
    assert response["Location"] == f"{reverse('login')}?next={quote(url, safe='/')}"


# --- signed-in pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[Scenario], str]
    shows: str  # seen on the page while the user may see it
    persona: str = "facilitator"
    # What the user gets once their access has gone: a refusal, or 200 (a page everyone
    # signed in may open) that no longer shows `shows`.
    refused: int = 404


def _round(name: str, attr: str, **kwargs: object) -> Callable[[Scenario], str]:
    def build(s: Scenario) -> str:
        code = getattr(s, attr).code
        return reverse(f"assessments:{name}", kwargs={"code": code, **kwargs})

    return build


def _plain(name: str, query: str = "", **kwargs: object) -> Callable[[Scenario], str]:
    def build(s: Scenario) -> str:
        return reverse(name, kwargs=kwargs or None) + query

    return build


HALTON_LINK = 'href="/communities/halton/"'

PAGES = [
    Page("dashboard", _plain("communities:dashboard"), HALTON_LINK, refused=200),
    Page("community", _plain("communities:detail", slug="halton"), "Halton Housing Trust"),
    Page("round", _round("round", "collecting"), "2024 review"),
    Page("analysis", _round("analysis", "workshop"), "2023 review"),
    Page("presenter", _round("presenter", "workshop", number=1), "2023 review"),
    Page("priorities", _round("priorities", "workshop"), "2023 review"),
    Page("finalise", _round("finalise", "workshop"), "2023 review"),
    Page("report", _round("report", "finalised"), "2022 baseline"),
    Page("report_pdf", _round("report_pdf", "finalised"), "2022 baseline"),
    Page("agreed_sheet", _round("agreed_sheet", "finalised", fmt="html"), "2022 baseline"),
    Page("audit", _round("audit", "finalised"), "2022 baseline"),
    Page(
        "blank_sheet",
        _plain("assessments:blank_sheet", "?community=halton", fmt="html"),
        "Halton",
    ),
    Page("export_csv", _plain("assessments:export_csv"), "Halton", refused=200),
    Page("export_xlsx", _plain("assessments:export_xlsx"), "Halton", refused=200),
    Page("export_counts_csv", _plain("assessments:export_counts_csv"), "Halton", refused=200),
    # The evaluator's pages; an evaluator loses access by no longer being one.
    Page("overview", _plain("assessments:overview"), "Halton", "evaluator", refused=403),
    Page("evaluator_report", _round("report", "finalised"), "2022 baseline", "evaluator"),
    Page("evaluator_report_pdf", _round("report_pdf", "finalised"), "2022 baseline", "evaluator"),
    Page(
        "evaluator_export_csv",
        _plain("assessments:export_csv"),
        "Halton",
        "evaluator",
        refused=200,
    ),
    Page(
        "evaluator_export_xlsx",
        _plain("assessments:export_xlsx"),
        "Halton",
        "evaluator",
        refused=200,
    ),
]


@pytest.fixture
def scenario(community, other_community) -> Scenario:  # type: ignore[no-untyped-def]
    return build_scenario(community, other_community)


def _loaded(request, page: Page, scenario: Scenario) -> tuple[Client, User, str]:  # type: ignore[no-untyped-def]
    """The page's user, signed in, having loaded the page once."""
    client = request.getfixturevalue(page.persona)
    user = request.getfixturevalue(f"{page.persona}_user")
    url = page.url(scenario)
    first = client.get(url)
    assert first.status_code == 200, f"{url}: {first.status_code}"
    assert page.shows in seen(first)
    return client, user, url


def _take_access_away(user: User, community: Community) -> None:
    """What the Django shell would do: remove the membership, or the evaluator role."""
    if user.role == User.Role.EVALUATOR:
        User.objects.filter(pk=user.pk).update(role=User.Role.FACILITATOR)
    else:
        deleted, _rows = Membership.objects.filter(user=user, community=community).delete()
        assert deleted == 1


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_access_taken_away_with_the_orm_is_refused_on_the_next_request(
    request, page: Page, scenario: Scenario
):  # type: ignore[no-untyped-def]
    client, user, url = _loaded(request, page, scenario)
    _take_access_away(user, scenario.community)
    response = client.get(url)
    assert response.status_code == page.refused
    if page.refused == 200:
        assert page.shows not in seen(response)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_user_deactivated_with_update_is_sent_to_log_in_on_the_next_request(
    request, page: Page, scenario: Scenario
):  # type: ignore[no-untyped-def]
    client, user, url = _loaded(request, page, scenario)
    assert User.objects.filter(pk=user.pk).update(is_active=False) == 1
    assert_sent_to_login(client.get(url), url)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_password_set_with_update_ends_the_session_on_the_next_request(
    request, page: Page, scenario: Scenario
):  # type: ignore[no-untyped-def]
    client, user, url = _loaded(request, page, scenario)
    assert User.objects.filter(pk=user.pk).update(password=make_password("new-pw-1")) == 1
    assert_sent_to_login(client.get(url), url)
    # The session is over, not just this page: the dashboard asks for a log-in too.
    dashboard = reverse("communities:dashboard")
    assert_sent_to_login(client.get(dashboard), dashboard)


# --- the facilitator sees stakeholders' and scripts' writes to a round -------------------------


def _round_url(assessment: Assessment, name: str = "round") -> str:
    return reverse(f"assessments:{name}", kwargs={"code": assessment.code})


def _progress(client: Client, assessment: Assessment) -> str:
    html = client.get(_round_url(assessment)).content.decode()
    return re.search(r"\d+ people · [^<]*? submitted", html).group(0)  # type: ignore[union-attr]


def test_a_draft_and_a_submission_written_with_the_orm_show_in_the_round_counts(
    facilitator, assessment
):  # type: ignore[no-untyped-def]
    participant = ParticipantFactory(assessment=assessment)
    before = "1 people · 1 invited · 0 opened their link · 0 saved a draft · 0 submitted"
    assert _progress(facilitator, assessment) == before

    dimension = Dimension.objects.filter(rubric=assessment.rubric).order_by("number").first()
    IndividualScore.objects.create(
        participant=participant, dimension=dimension, level=3, reason="written by a script"
    )
    now = timezone.now()
    Participant.objects.filter(pk=participant.pk).update(opened_at=now, draft_saved_at=now)
    draft = "1 people · 1 invited · 1 opened their link · 1 saved a draft · 0 submitted"
    assert _progress(facilitator, assessment) == draft

    Participant.objects.filter(pk=participant.pk).update(submitted_at=timezone.now())
    submitted = "1 people · 1 invited · 1 opened their link · 0 saved a draft · 1 submitted"
    assert _progress(facilitator, assessment) == submitted


def test_sheets_submitted_with_the_orm_show_in_the_analysis_on_the_next_request(
    facilitator, assessment
):  # type: ignore[no-untyped-def]
    participants = [ParticipantFactory(assessment=assessment) for _ in range(4)]
    for participant in participants[:3]:
        submit_sheet(participant, [2] * 9)
    url = _round_url(assessment, "analysis")
    assert "Based on 3 submitted sheets." in facilitator.get(url).content.decode()
    submit_sheet(participants[3], [4] * 9)
    assert "Based on 4 submitted sheets." in facilitator.get(url).content.decode()


def test_a_round_closed_with_update_shows_its_new_stage_on_the_next_request(
    facilitator, assessment
):  # type: ignore[no-untyped-def]
    html = facilitator.get(_round_url(assessment)).content.decode()
    assert "Collecting private scores" in html and "Consensus workshop" not in html
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.WORKSHOP)
    html = facilitator.get(_round_url(assessment)).content.decode()
    assert "Consensus workshop" in html and "Collecting private scores" not in html


# --- the stakeholder's link --------------------------------------------------------------------

NAME = "Ottoline Wraxby"
MARKER = "Qv7privatewhy"  # a word of the person's private reason
LATE = "Zk4latereason"  # typed after the write that should stop the link


def _sheet_url(name: str, token: str) -> str:
    return reverse(f"assessments:{name}", kwargs={"token": token})


def _autosave(client: Client, participant: Participant, token: str, reason: str) -> HttpResponse:
    dimension = participant.assessment.rubric.dimensions.get(number=1)
    return client.post(
        _sheet_url("sheet_save", token),
        {"dimension": dimension.pk, "level": "4", "reason": reason},
        HTTP_HX_REQUEST="true",
    )


@pytest.fixture
def holder(community, assessment) -> Participant:  # type: ignore[no-untyped-def]
    """A participant who has saved a private reason through their link."""
    stakeholder = StakeholderFactory(community=community, name=NAME)
    participant = ParticipantFactory(assessment=assessment, stakeholder=stakeholder)
    saved = _autosave(Client(), participant, participant.token, f"Because {MARKER} happened")
    assert saved.status_code == 200 and "Saved at" in saved.content.decode()
    return participant


@dataclass(frozen=True)
class LinkPage:
    name: str
    url_name: str
    method: str = "GET"
    shows_name: bool = True  # the review page shows the reasons, not the name


LINK_PAGES = [
    LinkPage("sheet", "sheet"),
    LinkPage("review", "sheet_review", shows_name=False),
    LinkPage("autosave", "sheet_save", method="POST"),
    LinkPage("own_pdf", "my_sheet_pdf"),
]


def _visit(client: Client, page: LinkPage, participant: Participant, token: str) -> HttpResponse:
    if page.method == "POST":
        return _autosave(client, participant, token, f"Now {LATE} too")
    return client.get(_sheet_url(page.url_name, token))


def _opened(page: LinkPage, participant: Participant) -> Client:
    """The stakeholder's browser, having used the page once."""
    client = Client()
    token = participant.token  # type: ignore[attr-defined]
    if page.method == "POST":
        first = _autosave(client, participant, token, f"Because {MARKER} happened")
        assert first.status_code == 200 and "Saved at" in first.content.decode()
        return client
    first = client.get(_sheet_url(page.url_name, token))
    assert first.status_code == 200
    text = seen(first)
    assert MARKER in text
    if page.shows_name:
        assert NAME in text
    return client


def _late_reason_stored(participant: Participant) -> bool:
    return IndividualScore.objects.filter(participant=participant, reason__contains=LATE).exists()


def _reissue_with_the_service(participant: Participant, by: User) -> None:
    participant_link_revoke(participant=Participant.objects.get(pk=participant.pk), by=by)


def _reissue_with_the_model(participant: Participant, by: User) -> None:
    Participant.objects.get(pk=participant.pk).issue_token()


@pytest.mark.parametrize(
    "reissue", [_reissue_with_the_service, _reissue_with_the_model], ids=["service", "model"]
)
@pytest.mark.parametrize("page", LINK_PAGES, ids=lambda p: p.name)
def test_the_old_link_stops_on_the_next_request_after_a_reissue_in_a_shell(
    page: LinkPage, reissue, holder: Participant, facilitator_user
):  # type: ignore[no-untyped-def]
    client = _opened(page, holder)
    reissue(holder, facilitator_user)
    response = _visit(client, page, holder, holder.token)  # type: ignore[attr-defined]
    assert response.status_code == 410
    text = response.content.decode()
    assert "has been revoked" in text
    assert NAME not in text and MARKER not in text
    assert not _late_reason_stored(holder)


def test_the_new_link_of_a_reissue_in_a_shell_opens_the_sheet(
    holder: Participant, facilitator_user
):  # type: ignore[no-untyped-def]
    client = Client()
    assert client.get(_sheet_url("sheet", holder.token)).status_code == 200  # type: ignore[attr-defined]
    new = participant_link_revoke(
        participant=Participant.objects.get(pk=holder.pk), by=facilitator_user
    )
    text = client.get(_sheet_url("sheet", new)).content.decode()
    assert NAME in text and MARKER in text


@pytest.mark.parametrize("page", LINK_PAGES, ids=lambda p: p.name)
def test_the_link_stops_on_the_next_request_after_an_erasure_in_a_shell(
    page: LinkPage, holder: Participant, facilitator_user
):  # type: ignore[no-untyped-def]
    client = _opened(page, holder)
    stakeholder_erase(
        stakeholder=Stakeholder.objects.get(pk=holder.stakeholder_id),
        by=facilitator_user,
        reason="request by email",
    )
    response = _visit(client, page, holder, holder.token)  # type: ignore[attr-defined]
    assert response.status_code == 410
    text = response.content.decode()
    assert "no longer active" in text
    assert NAME not in text and MARKER not in text
    assert not _late_reason_stored(holder)


def _close_with_the_model(assessment: Assessment) -> None:
    Assessment.objects.get(pk=assessment.pk).close_collection()


def _close_with_update(assessment: Assessment) -> None:
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.WORKSHOP)


CLOSE = pytest.mark.parametrize(
    "close", [_close_with_the_model, _close_with_update], ids=["model", "update"]
)


@CLOSE
def test_the_sheet_is_read_only_on_the_next_request_after_closing_in_a_shell(close, holder):  # type: ignore[no-untyped-def]
    client = _opened(LINK_PAGES[0], holder)
    close(holder.assessment)
    response = client.get(_sheet_url("sheet", holder.token))
    assert response.status_code == 200
    html = response.content.decode()
    assert NAME in html and MARKER in html
    assert "Scoring has closed for this round. Your sheet is shown read-only." in html
    assert "hx-post" not in html and html.count("<fieldset disabled>") == 9


@CLOSE
def test_the_review_page_offers_no_submit_on_the_next_request_after_closing_in_a_shell(
    close, holder
):  # type: ignore[no-untyped-def]
    client = _opened(LINK_PAGES[1], holder)
    submit = _sheet_url("sheet_submit", holder.token)
    assert submit in client.get(_sheet_url("sheet_review", holder.token)).content.decode()
    close(holder.assessment)
    response = client.get(_sheet_url("sheet_review", holder.token))
    assert response.status_code == 200
    html = response.content.decode()
    assert MARKER in html and submit not in html


@CLOSE
def test_autosave_is_refused_on_the_next_request_after_closing_in_a_shell(close, holder):  # type: ignore[no-untyped-def]
    client = _opened(LINK_PAGES[2], holder)
    close(holder.assessment)
    response = _autosave(client, holder, holder.token, f"Now {LATE} too")
    assert response.status_code == 409
    assert "This change was not saved" in response.content.decode()
    assert not _late_reason_stored(holder)
    assert IndividualScore.objects.get(participant=holder).reason == f"Because {MARKER} happened"


@CLOSE
def test_submitting_is_refused_on_the_next_request_after_closing_in_a_shell(close, holder):  # type: ignore[no-untyped-def]
    client = _opened(LINK_PAGES[1], holder)
    close(holder.assessment)
    response = client.post(_sheet_url("sheet_submit", holder.token))
    assert response.status_code == 409
    assert Participant.objects.get(pk=holder.pk).submitted_at is None


@CLOSE
def test_the_own_sheet_pdf_still_prints_after_closing_in_a_shell(close, holder):  # type: ignore[no-untyped-def]
    client = _opened(LINK_PAGES[3], holder)
    close(holder.assessment)
    response = client.get(_sheet_url("my_sheet_pdf", holder.token))
    assert response.status_code == 200
    text = seen(response)
    assert NAME in text and MARKER in text


# --- the cache in use --------------------------------------------------------------------------


def test_refused_links_are_counted_in_the_configured_cache(cache_backend, holder):  # type: ignore[no-untyped-def]
    """The Redis run really goes through Redis: the link rate limit counts a refused link
    there (the only thing the app keeps in the cache)."""
    old = holder.token  # type: ignore[attr-defined]
    Participant.objects.get(pk=holder.pk).issue_token()
    assert Client().get(_sheet_url("sheet", old)).status_code == 410
    in_redis = redis.Redis.from_url(REDIS_URL).keys("*ratelimit:link:*")
    assert bool(in_redis) == (cache_backend == "redis")
