"""Facilitator round pages: create, lifecycle, participants, links, invitations, reminders,
paper sheets; each for every role, and privacy of named scores."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    Assessment,
    AuditEvent,
    IndividualScore,
    Participant,
    Rubric,
)
from communities.models import FocalIssue, Sector
from tests.factories import (
    AssessmentFactory,
    OrganisationFactory,
    ParticipantFactory,
    StakeholderFactory,
    submit_sheet,
)

pytestmark = pytest.mark.django_db

ALL = ["anonymous", "facilitator", "other_facilitator", "evaluator", "admin"]


def round_url(assessment: Assessment, name: str = "round", **kwargs) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"assessments:{name}", kwargs={"code": assessment.code, **kwargs})


def expected(persona: str, *, write: bool) -> int:
    return {
        "anonymous": 302,
        "other_facilitator": 404,
        "evaluator": 403 if write else 200,
    }.get(persona, 200)


# --- create --------------------------------------------------------------------------


def test_facilitator_creates_round_on_current_focal_issue_and_rubric(facilitator, community):
    previous = AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        status="finalised",
        finalised_at=timezone.now() - datetime.timedelta(days=600),
    )
    AssessmentFactory(
        community=community,
        focal_issue=community.current_focal_issue,
        status="finalised",
        finalised_at=timezone.now() - datetime.timedelta(days=900),
    )
    response = facilitator.post(
        reverse("assessments:round_create", kwargs={"slug": community.slug}),
        {
            "title": "2024 review",
            "kind": "review",
            "deadline": "2030-03-01",
            "workshop_date": "2030-03-10",
        },
    )
    assert response.status_code == 303
    created = Assessment.objects.get(title="2024 review")
    assert response["Location"] == created.get_absolute_url()
    assert created.focal_issue == community.current_focal_issue
    assert created.rubric == Rubric.current()
    assert created.status == "draft"
    assert created.previous == previous
    assert AuditEvent.objects.filter(assessment=created, verb="round-created").exists()


@pytest.mark.parametrize("persona", ALL)
def test_round_create_roles(request, persona, community):
    client = request.getfixturevalue(persona)
    url = reverse("assessments:round_create", kwargs={"slug": community.slug})
    assert client.get(url).status_code == expected(persona, write=True)
    response = client.post(url, {"title": "X", "kind": "baseline"})
    assert response.status_code == (
        303 if persona in ("facilitator", "admin") else expected(persona, write=True)
    )
    assert Assessment.objects.filter(title="X").exists() == (persona in ("facilitator", "admin"))


def test_round_create_bad_input_is_400_and_keeps_text(facilitator, community):
    url = reverse("assessments:round_create", kwargs={"slug": community.slug})
    response = facilitator.post(
        url, {"title": "My typed title", "kind": "nonsense", "deadline": "not a date"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "My typed title" in html
    assert "Enter a valid date" in html
    response = facilitator.post(
        url,
        {"title": "T", "kind": "baseline", "deadline": "2030-03-10", "workshop_date": "2030-03-01"},
    )
    assert response.status_code == 400
    assert "after the deadline" in response.content.decode()
    assert not Assessment.objects.exists()


def test_round_create_without_focal_issue_is_refused(facilitator, community):
    FocalIssue.objects.filter(community=community).update(status="closed")
    url = reverse("assessments:round_create", kwargs={"slug": community.slug})
    assert "no current focal issue" in facilitator.get(url).content.decode()
    response = facilitator.post(url, {"title": "T", "kind": "baseline"})
    assert response.status_code == 400
    assert not Assessment.objects.exists()


# --- round page --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALL)
def test_round_page_roles(request, persona, participant):
    client = request.getfixturevalue(persona)
    response = client.get(round_url(participant.assessment))
    assert response.status_code == expected(persona, write=False)
    if response.status_code == 200:
        html = response.content.decode()
        # Evaluators get the counts; who is in the round is for those who chase.
        shown = persona != "evaluator"
        assert (participant.stakeholder.name in html) == shown
        assert ("Invited" in html) == shown
        assert "1 people · 1 invited" in html
        assert ("Close collection" in html) == (persona in ("facilitator", "admin"))
        assert ("Show link" in html) == (persona in ("facilitator", "admin"))


def test_stakeholder_link_does_not_open_the_round_page(participant):
    from django.test import Client

    client = Client()
    assert (
        client.get(reverse("assessments:sheet", kwargs={"token": participant.token})).status_code
        == 200
    )
    assert client.get(round_url(participant.assessment)).status_code == 302


def test_round_page_shows_status_per_participant(facilitator, assessment, make_participants):
    invited, opened, draft, submitted = make_participants(4)
    Participant.objects.filter(pk=opened.pk).update(opened_at=timezone.now())
    Participant.objects.filter(pk=draft.pk).update(
        opened_at=timezone.now(), draft_saved_at=timezone.now()
    )
    submit_sheet(submitted, [3] * 9)
    html = facilitator.get(round_url(assessment)).content.decode()
    for person, label in [
        (invited, "Invited"),
        (opened, "Opened"),
        (draft, "Saved a draft"),
        (submitted, "Submitted"),
    ]:
        row = re.search(
            rf"<tr>\s*<th scope=\"row\">{re.escape(person.stakeholder.name)}.*?</tr>", html, re.S
        )
        assert row is not None
        assert label in row.group(0)
    assert "4 people · 4 invited · 2 opened their link · 1 saved a draft · 1 submitted" in html


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["facilitator", "evaluator"])
def test_round_page_query_count_is_constant_3_vs_60(
    request, persona, assessment, make_participants
):
    client = request.getfixturevalue(persona)
    for p in make_participants(3):
        submit_sheet(p, [2] * 9)
    small = _queries(client, round_url(assessment))
    for p in make_participants(57):
        submit_sheet(p, [4] * 9)
    large = _queries(client, round_url(assessment))
    assert small == large


def test_evaluator_sees_counts_and_no_participant_is_fetched(
    evaluator, assessment, make_participants
):
    invited, draft, submitted = make_participants(3)
    Participant.objects.filter(pk=draft.pk).update(
        opened_at=timezone.now(), draft_saved_at=timezone.now()
    )
    submit_sheet(submitted, [3] * 9)
    with CaptureQueriesContext(connection) as ctx:
        html = evaluator.get(round_url(assessment)).content.decode()
    assert "3 people · 3 invited · 1 opened their link · 1 saved a draft · 1 submitted" in html
    assert "shown only to the community's facilitators" in html
    for person in (invited, draft, submitted):
        assert person.stakeholder.name not in html
        assert person.stakeholder.email not in html
        assert person.stakeholder.organisation.name not in html
        assert str(person.code) not in html
    assert "participants-table" not in html and "Saved a draft" not in html
    assert not any("communities_stakeholder" in q["sql"] for q in ctx.captured_queries)


# --- lifecycle ------------------------------------------------------------------------


def test_open_and_close_collection_are_audited(facilitator, community):
    draft = AssessmentFactory(
        community=community, focal_issue=community.current_focal_issue, status="draft"
    )
    ParticipantFactory(assessment=draft)
    url = round_url(draft, "round_status")
    assert facilitator.post(url, {"to": "collecting"}).status_code == 303
    draft.refresh_from_db()
    assert draft.status == "collecting" and draft.collection_opened_at
    assert facilitator.post(url, {"to": "workshop"}).status_code == 303
    draft.refresh_from_db()
    assert draft.status == "workshop" and draft.collection_closed_at
    assert AuditEvent.objects.filter(assessment=draft, verb="status-changed").count() == 2


def test_impossible_transition_is_a_clear_4xx_not_a_500(facilitator, assessment):
    response = facilitator.post(round_url(assessment, "round_status"), {"to": "collecting"})
    assert response.status_code == 409
    assert "cannot go from" in response.content.decode()
    response = facilitator.post(round_url(assessment, "round_status"), {"to": "finalised"})
    assert response.status_code == 400
    assert "not done from this page" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == "collecting"


@pytest.mark.parametrize("persona", ALL)
def test_status_change_roles(request, persona, assessment):
    client = request.getfixturevalue(persona)
    response = client.post(round_url(assessment, "round_status"), {"to": "workshop"})
    assert response.status_code == (
        303 if persona in ("facilitator", "admin") else expected(persona, write=True)
    )
    assessment.refresh_from_db()
    assert (assessment.status == "workshop") == (persona in ("facilitator", "admin"))


# --- participants -----------------------------------------------------------------


def test_participant_picker_filters_by_sector_and_organisation(
    facilitator, assessment, community, other_community
):
    police = OrganisationFactory(
        community=community, name="Cheshire Police", sector=Sector.POLICE_JUSTICE
    )
    charity = OrganisationFactory(
        community=community, name="Halton Food Bank", sector=Sector.SMALL_CHARITY
    )
    officer = StakeholderFactory(community=community, organisation=police, name="Pat Officer")
    volunteer = StakeholderFactory(community=community, organisation=charity, name="Val Volunteer")
    StakeholderFactory(community=other_community, name="Somebody Elsewhere")
    url = round_url(assessment, "participants_add")
    html = facilitator.get(url).content.decode()
    assert "Pat Officer" in html and "Val Volunteer" in html and "Somebody Elsewhere" not in html
    html = facilitator.get(url, {"sector": "police-justice"}).content.decode()
    assert "Pat Officer" in html and "Val Volunteer" not in html
    html = facilitator.get(url, {"organisation": str(charity.code)}).content.decode()
    assert "Val Volunteer" in html and "Pat Officer" not in html
    response = facilitator.post(url, {"stakeholders": [str(officer.code), str(volunteer.code)]})
    assert response.status_code == 303
    assert set(assessment.participants.values_list("stakeholder__name", flat=True)) == {
        "Pat Officer",
        "Val Volunteer",
    }
    # Adding again is harmless: one participant per person.
    facilitator.post(url, {"stakeholders": [str(officer.code)]})
    assert assessment.participants.count() == 2


def test_participant_picker_bad_input(facilitator, assessment, other_community):
    stranger = StakeholderFactory(community=other_community)
    url = round_url(assessment, "participants_add")
    assert facilitator.post(url, {"stakeholders": [str(stranger.code)]}).status_code == 400
    assert facilitator.post(url, {"stakeholders": ["not-a-uuid"]}).status_code == 400
    response = facilitator.post(url, {})
    assert response.status_code == 400
    assert "Tick at least one person" in response.content.decode()
    assert facilitator.get(url, {"sector": "martians"}).status_code == 200
    assert not assessment.participants.exists()


@pytest.mark.parametrize("persona", ALL)
def test_participant_picker_roles(request, persona, assessment, community):
    person = StakeholderFactory(community=community)
    client = request.getfixturevalue(persona)
    url = round_url(assessment, "participants_add")
    assert client.get(url).status_code == expected(persona, write=True)
    client.post(url, {"stakeholders": [str(person.code)]})
    assert assessment.participants.exists() == (persona in ("facilitator", "admin"))


# --- links: tests/assessments/test_links.py ----------------------------------------


# --- invitations and reminders --------------------------------------------------------


def test_invitations_email_link_focal_issue_and_deadline(
    facilitator, anonymous, assessment, community, settings
):
    settings.SITE_URL = "https://smm.example.org"
    person = StakeholderFactory(community=community, name="Ann Partner", email="ann@example.org")
    nomail = StakeholderFactory(community=community, name="No Mail", email="")
    facilitator.post(
        round_url(assessment, "participants_add"),
        {"stakeholders": [str(person.code), str(nomail.code)]},
    )
    response = facilitator.post(round_url(assessment, "round_invite"))
    assert response.status_code == 303
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.org"]
    assert assessment.focal_issue.title in message.body
    assert assessment.deadline.strftime("%-d %B %Y") in message.body
    token = re.search(r"https://smm\.example\.org/s/([^/\s]+)/", message.body).group(1)
    assert anonymous.get(reverse("assessments:sheet", kwargs={"token": token})).status_code == 200
    p = assessment.participants.get(stakeholder=person)
    assert p.invited_at is not None
    assert assessment.participants.get(stakeholder=nomail).invited_at is None
    assert AuditEvent.objects.filter(verb="invitation-sent", assessment=assessment).count() == 1
    # Everyone with an address is now invited: a second click sends nothing.
    facilitator.post(round_url(assessment, "round_invite"))
    assert len(mail.outbox) == 1
    # One person again, on purpose: the same link again, which still works.
    facilitator.post(round_url(assessment, "round_invite"), {"participant": str(p.code)})
    assert len(mail.outbox) == 2
    assert f"/s/{token}/" in mail.outbox[1].body
    assert anonymous.get(reverse("assessments:sheet", kwargs={"token": token})).status_code == 200


def test_invite_bad_participant_is_a_message(facilitator, assessment):
    response = facilitator.post(
        round_url(assessment, "round_invite"), {"participant": "garbage"}, follow=True
    )
    assert response.status_code == 200
    assert "not in this round" in response.content.decode()
    assert not mail.outbox


def test_remind_everyone_who_has_not_submitted(
    facilitator, anonymous, assessment, make_participants, community
):
    done, pending_a, pending_b = make_participants(3)
    submit_sheet(done, [3] * 9)
    nomail = ParticipantFactory(
        assessment=assessment, stakeholder=StakeholderFactory(community=community, email="")
    )
    response = facilitator.post(round_url(assessment, "round_remind"), follow=True)
    assert response.status_code == 200
    assert "2 reminders sent" in response.content.decode()
    assert "1 people who have not submitted have no email" in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [pending_a.stakeholder.email, pending_b.stakeholder.email]
    )
    assert all(assessment.focal_issue.title in m.body for m in mail.outbox)
    pending_a.refresh_from_db()
    assert pending_a.reminded_at is not None
    nomail.refresh_from_db()
    assert nomail.reminded_at is None
    assert AuditEvent.objects.filter(verb="reminder-sent").count() == 1


@pytest.mark.parametrize("persona", ALL)
def test_invite_and_remind_roles(request, persona, assessment, make_participants):
    make_participants(2)
    Participant.objects.update(invited_at=None)
    client = request.getfixturevalue(persona)
    assert client.post(round_url(assessment, "round_invite")).status_code in (
        303,
        expected(persona, write=True),
    )
    assert client.post(round_url(assessment, "round_remind")).status_code in (
        303,
        expected(persona, write=True),
    )
    allowed = persona in ("facilitator", "admin")
    assert (len(mail.outbox) == 4) == allowed
    assert (len(mail.outbox) == 0) == (not allowed)


def test_reminders_only_while_collecting(facilitator, assessment, make_participants):
    make_participants(2)
    assessment.close_collection()
    response = facilitator.post(round_url(assessment, "round_remind"), follow=True)
    assert "only be sent while collection is open" in response.content.decode()
    assert not mail.outbox


# --- paper sheets --------------------------------------------------------------------


def _paper_data(levels: list[str]) -> dict[str, str]:
    data = {}
    for number, level in enumerate(levels, start=1):
        data[f"level_{number}"] = level
        data[f"reason_{number}"] = f"paper reason {number}" if level else ""
    return data


def test_paper_sheet_is_saved_marked_and_audited(facilitator, facilitator_user, participant):
    url = round_url(participant.assessment, "paper_sheet", participant=participant.code)
    response = facilitator.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("<select") == 9
    response = facilitator.post(
        url, _paper_data(["1", "2", "3", "4", "5", "not-sure", "2", "3", ""])
    )
    assert response.status_code == 303
    participant.refresh_from_db()
    assert participant.entered_by == facilitator_user
    assert participant.submitted_at is not None
    scores = IndividualScore.objects.filter(participant=participant)
    assert scores.count() == 8
    assert scores.get(dimension__number=6).not_sure
    event = AuditEvent.objects.get(verb="paper-entry")
    assert event.summary == f"Paper sheet entered by fac for {participant.stakeholder.name}"
    assert event.actor == facilitator_user
    assert "paper reason" not in str(event.detail)
    html = facilitator.get(round_url(participant.assessment)).content.decode()
    assert "paper sheet entered by fac" in html


def test_paper_sheet_bad_input_is_400_and_keeps_text(facilitator, participant):
    url = round_url(participant.assessment, "paper_sheet", participant=participant.code)
    data = _paper_data(["9", "3"] + [""] * 7)
    data["reason_2"] = "y" * 5001
    data["reason_1"] = "typed on paper"
    response = facilitator.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "typed on paper" in html
    assert "Choose a level from 1 to 5" in html
    assert "5000" in html
    assert facilitator.post(url, _paper_data([""] * 9)).status_code == 400
    assert not IndividualScore.objects.exists()


def test_paper_sheet_refused_when_the_person_answered_online(facilitator, participant):
    submit_sheet(participant, [4] * 9, [f"online secret {i}" for i in range(9)])
    url = round_url(participant.assessment, "paper_sheet", participant=participant.code)
    response = facilitator.get(url)
    assert response.status_code == 409
    assert "online secret" not in response.content.decode()
    response = facilitator.post(url, _paper_data(["1"] * 9))
    assert response.status_code == 409
    assert set(IndividualScore.objects.values_list("level", flat=True)) == {4}


@pytest.mark.parametrize("persona", ALL)
def test_paper_sheet_roles(request, persona, participant):
    client = request.getfixturevalue(persona)
    url = round_url(participant.assessment, "paper_sheet", participant=participant.code)
    assert client.get(url).status_code == expected(persona, write=True)
    client.post(url, _paper_data(["3"] * 9))
    assert IndividualScore.objects.exists() == (persona in ("facilitator", "admin"))


# --- privacy: no page here shows a name with a score or a reason -------------------------


@pytest.mark.parametrize("persona", ["facilitator", "evaluator", "admin"])
def test_no_facilitator_or_evaluator_page_shows_named_scores_or_reasons(
    request, persona, assessment, make_participants, community
):
    people = make_participants(3)
    for index, person in enumerate(people):
        submit_sheet(person, [index + 1] * 9, [f"PRIVATE-REASON-{person.pk}-{n}" for n in range(9)])
    draft = make_participants(1)[0]
    IndividualScore.objects.create(
        participant=draft,
        dimension=assessment.rubric.dimensions.get(number=1),
        level=5,
        reason="PRIVATE-DRAFT",
    )
    client = request.getfixturevalue(persona)
    get_urls = [
        round_url(assessment),
        round_url(assessment, "participants_add"),
        reverse("assessments:round_create", kwargs={"slug": community.slug}),
        *[round_url(assessment, "paper_sheet", participant=p.code) for p in [*people, draft]],
    ]
    post_urls = [round_url(assessment, "participant_link", participant=p.code) for p in people]
    for method, urls in (("get", get_urls), ("post", post_urls)):
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                response = getattr(client, method)(url)
            html = response.content.decode()
            assert "PRIVATE-" not in html, url
            # These pages never even read a private score from the database.
            assert not any(
                "assessments_individualscore" in q["sql"] for q in ctx.captured_queries
            ), url
