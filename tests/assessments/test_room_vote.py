"""The room vote: facilitator open/close/reveal, phones tapping on the follow and room pages,
counts only (never who voted), the small-number rule, and sixty phones at once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection
from django.test import Client, RequestFactory
from django.urls import reverse

from assessments import votes
from assessments.models import Assessment, AuditEvent, RoomVote
from tests.assessments.test_workshop import add_participant, make_workshop_round, url


@pytest.fixture
def workshop_round(assessment):
    return make_workshop_round(assessment)


@pytest.fixture
def room_url(workshop_round):
    token = workshop_round.issue_room_token()
    workshop_round.save()
    return reverse("assessments:room", kwargs={"token": token})


def open_vote(client, assessment, number=1):
    response = client.post(url("vote_open", assessment, number=number))
    assert response.status_code == 302, response.content[:500]
    return RoomVote.objects.filter(assessment=assessment).order_by("-pk").first()


def phone(page: str) -> Client:
    """A phone that has opened the page (as a real phone does before it can tap)."""
    client = Client()
    assert client.get(page).status_code == 200
    return client


def tap(client: Client, page: str, vote: RoomVote, choice: str):
    return client.post(
        page + "vote/",
        {"dimension": vote.dimension.number, "vote": vote.number, "choice": choice},
    )


def reveal(client, assessment, vote, *, revealed=True):
    data = {"revealed": "on"} if revealed else {}
    response = client.post(
        url("vote_reveal", assessment, number=vote.dimension.number, vote=vote.number), data
    )
    assert response.status_code == 302
    vote.refresh_from_db()


# --- what is stored ------------------------------------------------------------------------


def test_a_room_vote_has_counters_and_nothing_that_could_name_a_voter():
    fields = {f.name for f in RoomVote._meta.get_fields()}
    assert fields == {
        "id",
        "assessment",
        "dimension",
        "number",
        "opened_at",
        "closed_at",
        "revealed",
        "level_1",
        "level_2",
        "level_3",
        "level_4",
        "level_5",
        "not_sure",
    }
    # And no other model points at a vote (a per-phone or per-person row would).
    assert not list(RoomVote._meta.related_objects)


def test_no_table_of_the_database_holds_per_vote_rows(db):
    tables = connection.introspection.table_names()
    assert [t for t in tables if "vote" in t.lower()] == ["assessments_roomvote"]
    columns = [
        c.name
        for c in connection.introspection.get_table_description(
            connection.cursor(), "assessments_roomvote"
        )
    ]
    assert not [c for c in columns if c in {"participant_id", "session_key", "ip", "user_id"}]


def test_a_tap_changes_only_the_counters_and_writes_no_other_row(
    facilitator, workshop_round, room_url, django_assert_num_queries
):
    vote = open_vote(facilitator, workshop_round)
    client = phone(room_url)
    before = {m: m.objects.count() for m in (AuditEvent,)}
    response = tap(client, room_url, vote, "3")
    assert response.status_code == 303
    vote.refresh_from_db()
    assert vote.counts == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0} and vote.not_sure == 0
    assert {m: m.objects.count() for m in (AuditEvent,)} == before  # taps are not audited


def test_the_cookie_holds_the_choice_and_no_participant(facilitator, workshop_round):
    participant = add_participant(workshop_round)
    page = reverse("assessments:follow", args=[participant.token])
    vote = open_vote(facilitator, workshop_round)
    client = phone(page)
    response = tap(client, page, vote, "4")
    morsel = response.cookies[votes.cookie_name(vote)]
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == page
    assert morsel["max-age"] == votes.COOKIE_MAX_AGE
    # Signed "4" (value:timestamp:signature): the choice, and nothing about the person.
    value, _stamp, _signature = morsel.value.split(":")
    assert value == "4"
    for secret in (participant.token, str(participant.code), participant.stakeholder.name):
        assert secret not in morsel.value and secret not in morsel.key
    request = RequestFactory().get(page)
    request.COOKIES[morsel.key] = morsel.value
    assert votes.phone_choice(request, vote) == "4"
    # Another vote's salt does not accept it: a cookie cannot be carried to another vote.
    other = RoomVote(pk=vote.pk + 1)
    request.COOKIES[votes.cookie_name(other)] = morsel.value
    assert votes.phone_choice(request, other) is None
    # And the session (a database row) keeps no trace of the choice.
    assert not [v for v in client.session.values() if str(v) == "4"]


def test_a_forged_cookie_is_ignored(facilitator, workshop_round, room_url):
    vote = open_vote(facilitator, workshop_round)
    client = phone(room_url)
    assert tap(client, room_url, vote, "2").status_code == 303
    client.cookies[votes.cookie_name(vote)] = "5"  # unsigned: as if the phone claimed a 5
    assert tap(client, room_url, vote, "3").status_code == 303
    vote.refresh_from_db()
    # The forged "previous" was not trusted, so nothing was taken from level 5 (nor 2).
    assert vote.counts == {1: 0, 2: 1, 3: 1, 4: 0, 5: 0}


# --- tapping -------------------------------------------------------------------------------


def test_a_re_tap_replaces_that_phones_vote(facilitator, workshop_round, room_url):
    vote = open_vote(facilitator, workshop_round)
    first, second = phone(room_url), phone(room_url)
    tap(first, room_url, vote, "2")
    tap(second, room_url, vote, "4")
    tap(first, room_url, vote, "5")
    tap(first, room_url, vote, "not-sure")
    tap(first, room_url, vote, "not-sure")  # the same again changes nothing
    vote.refresh_from_db()
    assert vote.counts == {1: 0, 2: 0, 3: 0, 4: 1, 5: 0}
    assert vote.not_sure == 1 and vote.total == 2
    page = first.get(room_url).content.decode()
    assert "Your vote: not sure — tap another to change." in page


def test_the_phone_shows_its_own_choice_and_big_labelled_buttons(
    facilitator, workshop_round, room_url
):
    vote = open_vote(facilitator, workshop_round)
    client = phone(room_url)
    page = client.get(room_url).content.decode()
    assert "Vote 1 (before discussion)" in page
    for choice in votes.CHOICES:
        assert f'name="choice" value="{choice}"' in page
    assert "just getting started" in page and "really doing well" in page
    tap(client, room_url, vote, "3")
    assert "Your vote: level 3 — tap another to change." in client.get(room_url).content.decode()


def test_a_closed_vote_refuses_taps_with_409(facilitator, workshop_round, room_url):
    vote = open_vote(facilitator, workshop_round)
    client = phone(room_url)
    response = facilitator.post(url("vote_close", workshop_round, number=1, vote=vote.number))
    assert response.status_code == 302
    response = tap(client, room_url, vote, "3")
    assert response.status_code == 409
    assert "This vote has closed" in response.content.decode()
    vote.refresh_from_db()
    assert vote.total == 0


def test_a_tap_on_an_earlier_vote_is_refused_once_a_new_one_is_open(
    facilitator, workshop_round, room_url
):
    first = open_vote(facilitator, workshop_round)
    second = open_vote(facilitator, workshop_round)
    first.refresh_from_db()
    assert not first.is_open and second.is_open and second.number == 2
    assert "Vote 2 (after discussion)" in phone(room_url).get(room_url).content.decode()
    assert tap(phone(room_url), room_url, first, "3").status_code == 409


def test_bad_choices_are_400_and_count_nothing(facilitator, workshop_round, room_url):
    vote = open_vote(facilitator, workshop_round)
    client = phone(room_url)
    for choice in ("6", "0", "", "level_3"):
        assert tap(client, room_url, vote, choice).status_code == 400
    vote.refresh_from_db()
    assert vote.total == 0


def test_taps_are_refused_outside_the_workshop_stage(facilitator, workshop_round, room_url):
    vote = open_vote(facilitator, workshop_round)
    client = phone(room_url)
    Assessment.objects.filter(pk=workshop_round.pk).update(status=Assessment.Status.COLLECTING)
    assert tap(client, room_url, vote, "3").status_code == 409


def test_a_tap_through_an_unknown_link_is_404(facilitator, workshop_round):
    vote = open_vote(facilitator, workshop_round)
    bad = "/room/no-such-token-00000000000000000000000/"
    assert tap(Client(), bad, vote, "3").status_code == 404
    vote.refresh_from_db()
    assert vote.total == 0


def test_phones_see_the_vote_on_the_follow_page_too(facilitator, workshop_round):
    participant = add_participant(workshop_round)
    page = reverse("assessments:follow", args=[participant.token])
    vote = open_vote(facilitator, workshop_round)
    client = phone(page)
    assert tap(client, page, vote, "1").status_code == 303
    assert "Your vote: level 1 (just getting started)" in client.get(page).content.decode()


# --- the facilitator -----------------------------------------------------------------------


def test_opening_a_vote_moves_the_room_there_and_is_audited(facilitator, workshop_round):
    vote = open_vote(facilitator, workshop_round, number=4)
    workshop_round.refresh_from_db()
    assert workshop_round.current_dimension == 4 and vote.dimension.number == 4
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.VOTE_OPENED)
    assert event.detail == {"dimension": 4, "number": 1}


def test_close_and_reveal_are_audited_with_counts_only(facilitator, workshop_round, room_url):
    vote = open_vote(facilitator, workshop_round)
    for choice in ("2", "3", "3"):
        tap(phone(room_url), room_url, vote, choice)
    reveal(facilitator, workshop_round, vote)
    assert not vote.is_open and vote.revealed
    closed = AuditEvent.objects.get(verb=AuditEvent.Verb.VOTE_CLOSED)
    shown = AuditEvent.objects.get(verb=AuditEvent.Verb.VOTE_REVEALED)
    for event in (closed, shown):
        assert event.detail["counts"] == {"1": 0, "2": 1, "3": 2, "4": 0, "5": 0}
        assert event.detail["total"] == 3
        assert set(event.detail) <= {
            "dimension",
            "number",
            "counts",
            "not_sure",
            "total",
            "revealed",
        }


@pytest.mark.parametrize(
    ("persona", "status"), [("other_facilitator", 404), ("evaluator", 403), ("anonymous", 302)]
)
def test_only_the_rounds_facilitators_open_votes(request, persona, status, workshop_round):
    client = request.getfixturevalue(persona)
    assert client.post(url("vote_open", workshop_round, number=1)).status_code == status
    assert not RoomVote.objects.exists()


def test_a_vote_cannot_open_in_a_collecting_round(facilitator, assessment):
    response = facilitator.post(url("vote_open", assessment, number=1))
    assert response.status_code == 409
    assert not RoomVote.objects.exists()


def test_the_presenter_shows_a_live_count_while_open(facilitator, workshop_round, room_url):
    vote = open_vote(facilitator, workshop_round)
    tap(phone(room_url), room_url, vote, "2")
    tap(phone(room_url), room_url, vote, "2")
    page = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert "2 votes so far" in page
    assert "data-vote-count" not in page  # no counts per level while open
    panel = facilitator.get(
        url("vote_panel", workshop_round, number=1), headers={"HX-Request": "true"}
    )
    assert panel.status_code == 200 and "2 votes so far" in panel.content.decode()
    assert "<html" not in panel.content.decode()


# --- shown only when revealed and at least 3 ----------------------------------------------------


def _counts_in(html: str) -> bool:
    return "data-vote-count" in html


def test_a_result_needs_the_reveal(facilitator, workshop_round, room_url):
    vote = open_vote(facilitator, workshop_round)
    for choice in ("1", "4", "4", "5"):
        tap(phone(room_url), room_url, vote, choice)
    facilitator.post(url("vote_close", workshop_round, number=1, vote=vote.number))
    presenter = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    room = phone(room_url).get(room_url).content.decode()
    assert not _counts_in(presenter) and not _counts_in(room)
    assert "Closed with 4 votes; the result is hidden." in presenter
    assert "Voting has closed" in room
    reveal(facilitator, workshop_round, vote)
    presenter = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    room = phone(room_url).get(room_url).content.decode()
    assert 'data-vote-count="4">2<' in presenter and 'data-vote-count="4">2<' in room
    assert 'data-vote-count="1">1<' in room and 'data-vote-count="not-sure">0<' in room
    reveal(facilitator, workshop_round, vote, revealed=False)
    assert not _counts_in(phone(room_url).get(room_url).content.decode())


def test_under_three_votes_nothing_is_shown_even_when_revealed(
    facilitator, workshop_round, room_url
):
    participant = add_participant(workshop_round)
    follow = reverse("assessments:follow", args=[participant.token])
    vote = open_vote(facilitator, workshop_round)
    tap(phone(room_url), room_url, vote, "5")
    tap(phone(follow), follow, vote, "2")
    reveal(facilitator, workshop_round, vote)
    assert vote.total == 2
    for html in (
        facilitator.get(url("presenter", workshop_round, number=1)).content.decode(),
        phone(room_url).get(room_url).content.decode(),
        phone(follow).get(follow).content.decode(),
    ):
        assert "Not shown: fewer than 3 votes." in html
        assert not _counts_in(html)
        assert '<svg class="vote-chart"' not in html


def test_before_and_after_votes_side_by_side(facilitator, workshop_round, room_url):
    phones = [phone(room_url) for _ in range(3)]
    first = open_vote(facilitator, workshop_round)
    for client, choice in zip(phones, ("2", "3", "5"), strict=True):
        tap(client, room_url, first, choice)
    reveal(facilitator, workshop_round, first)
    second = open_vote(facilitator, workshop_round)
    for client in phones:
        tap(client, room_url, second, "3")  # a new vote: each phone's first tap in it
    reveal(facilitator, workshop_round, second)
    assert second.counts[3] == 3 and first.counts == {1: 0, 2: 1, 3: 1, 4: 0, 5: 1}
    page = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert "Compare the votes: before and after discussion" in page
    assert "Vote 1 (before discussion)" in page and "Vote 2 (after discussion)" in page


# --- sixty phones at once ----------------------------------------------------------------------


def _cast_with_retry(client: Client, page: str, vote: RoomVote, choice: str) -> int:
    """A tap, tried again while SQLite answers 500 for a lock. The test database on SQLite is
    in-memory with a shared cache, whose table locks fail at once ("database table is
    locked") instead of waiting out the busy timeout as a database file does. A refused tap
    rolled back, so trying again is what a person would do; a tap counted twice would show in
    the totals below. (PostgreSQL never answers 500 here.)"""
    for _attempt in range(200):
        status = tap(client, page, vote, choice).status_code
        if status != 500 or connection.vendor != "sqlite":
            return status
        time.sleep(0.01)
    return 500


@pytest.mark.django_db(transaction=True)
def test_sixty_phones_voting_at_once_are_each_counted_once(facilitator_user, community):
    from tests.factories import AssessmentFactory

    assessment = make_workshop_round(
        AssessmentFactory(community=community, focal_issue=community.current_focal_issue)
    )
    token = assessment.issue_room_token()
    assessment.save()
    page = reverse("assessments:room", kwargs={"token": token})
    vote = votes.vote_open(
        assessment=assessment,
        dimension=assessment.rubric.dimensions.get(number=1),
        by=facilitator_user,
    )
    phones = [phone(page) for _ in range(60)]
    for client in phones:
        # The test client re-raises any request's exception in whichever clients are mid-request
        # (one global signal), so threads must read their own status instead.
        client.raise_request_exception = False
    choices = [votes.CHOICES[i % len(votes.CHOICES)] for i in range(60)]
    statuses: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(60)

    def run(client: Client, choice: str, retap: str) -> None:
        try:
            start.wait()
            statuses.append(_cast_with_retry(client, page, vote, choice))
            statuses.append(_cast_with_retry(client, page, vote, retap))  # and change their mind
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=run, args=(client, choice, "3"))
        for client, choice in zip(phones, choices, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert statuses == [303] * 120
    vote.refresh_from_db()
    assert vote.total == 60
    assert vote.counts == {1: 0, 2: 0, 3: 60, 4: 0, 5: 0} and vote.not_sure == 0


# --- valid HTML in every state -----------------------------------------------------------------


def test_every_vote_state_is_valid_html(facilitator, workshop_round, room_url, tmp_path):
    """The matrix's vnu crawl (tests/test_html_valid.py) sees the pages without a vote; here
    each state of one: open with a phone's choice, the live panel, shown, too few, refused."""
    from tests.test_html_valid import _errors, _html, _vnu_command

    command = _vnu_command()
    pages: dict[str, str | None] = {}
    vote = open_vote(facilitator, workshop_round)
    phones = [phone(room_url) for _ in range(3)]
    tap(phones[0], room_url, vote, "3")
    pages["presenter open"] = _html(facilitator.get(url("presenter", workshop_round, number=1)))
    pages["panel"] = _html(
        facilitator.get(url("vote_panel", workshop_round, number=1), headers={"HX-Request": "true"})
    )
    pages["room open, voted"] = _html(phones[0].get(room_url))
    pages["room partial"] = _html(phones[0].get(room_url, headers={"HX-Request": "true"}))
    pages["bad choice"] = _html(tap(phones[1], room_url, vote, "9"))
    reveal(facilitator, workshop_round, vote)
    pages["room too few"] = _html(phones[0].get(room_url))
    second = open_vote(facilitator, workshop_round)
    for client, choice in zip(phones, ("2", "3", "not-sure"), strict=True):
        tap(client, room_url, second, choice)
    reveal(facilitator, workshop_round, second)
    workshop_round.spread_revealed = True
    workshop_round.save()
    pages["presenter shown"] = _html(facilitator.get(url("presenter", workshop_round, number=1)))
    pages["room shown"] = _html(phones[0].get(room_url))
    pages["closed"] = _html(tap(phones[1], room_url, second, "4"))
    pages["analysis"] = _html(facilitator.get(url("analysis", workshop_round)))
    assert all(pages.values()), [k for k, v in pages.items() if not v]
    errors = _errors(command, {k: v for k, v in pages.items() if v}, tmp_path)
    assert errors == [], "\n".join(errors)


def test_a_vote_left_open_at_finalising_takes_no_taps_and_stops_polling(
    facilitator, workshop_round, room_url
):
    vote = open_vote(facilitator, workshop_round)
    client = phone(room_url)
    tap(client, room_url, vote, "2")
    Assessment.objects.filter(pk=workshop_round.pk).update(
        status=Assessment.Status.FINALISED, finalised_at=vote.opened_at
    )
    assert tap(client, room_url, vote, "3").status_code == 409
    page = facilitator.get(url("presenter", workshop_round, number=1)).content.decode()
    assert "votes so far" not in page and "data-hx-get" not in page.split('id="vote-panel"')[1][:80]
    assert "Closed with 1 vote; the result is hidden." in page
