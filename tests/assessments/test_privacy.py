"""Data-protection requests: a stakeholder's data export and erasure."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from assessments import selectors
from assessments.links import LinkError, participant_for_token
from assessments.models import Assessment, AuditEvent, ConsensusScore, IndividualScore, audit
from assessments.privacy import ERASED_NAME, ErasureError, stakeholder_erase
from tests.factories import (
    AssessmentFactory,
    ConsensusScoreFactory,
    ParticipantFactory,
    StakeholderFactory,
    submit_sheet,
)

pytestmark = pytest.mark.django_db

NAME = "Zebedee Quartermaine"
EMAIL = "zebedee@example.org"


@pytest.fixture
def person(community):  # type: ignore[no-untyped-def]
    return StakeholderFactory(community=community, name=NAME, email=EMAIL, role="Commissioner")


@pytest.fixture
def finalised_round(community, person):  # type: ignore[no-untyped-def]
    """A finalised round with the person and five others, every sheet submitted."""
    assessment = AssessmentFactory(
        community=community, focal_issue=community.current_focal_issue, title="2022 baseline"
    )
    mine = ParticipantFactory(assessment=assessment, stakeholder=person)
    submit_sheet(mine, [2, 3, None, 4, 1, 2, 3, 4, 5], [f"MY-REASON-{n}" for n in range(1, 10)])
    for i, other in enumerate(ParticipantFactory.create_batch(5, assessment=assessment)):
        submit_sheet(other, [(i + n) % 5 + 1 for n in range(9)])
    for dimension in assessment.rubric.dimensions.all():
        ConsensusScoreFactory(assessment=assessment, dimension=dimension, level=3)
    assessment.status = Assessment.Status.FINALISED
    assessment.finalised_at = timezone.now()
    assessment.save()
    assessment.my_token = mine.token  # type: ignore[attr-defined]
    return assessment


def _sorted_groups(assessment):  # type: ignore[no-untyped-def]
    # Lists of levels per group come in database order; only their contents matter.
    return {
        number: {group: sorted(levels) for group, levels in groups.items()}
        for number, groups in selectors.levels_by_sector_group(assessment).items()
    }


def export_url(stakeholder) -> str:  # type: ignore[no-untyped-def]
    return reverse("assessments:stakeholder_data_export", kwargs={"code": stakeholder.code})


def erase_url(stakeholder) -> str:  # type: ignore[no-untyped-def]
    return reverse("assessments:stakeholder_erase", kwargs={"code": stakeholder.code})


# --- who may use the pages --------------------------------------------------------------------


@pytest.mark.parametrize("url_for", [export_url, erase_url])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_log_in(anonymous, person, url_for, method) -> None:  # type: ignore[no-untyped-def]
    response = getattr(anonymous, method)(url_for(person))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url_for", [export_url, erase_url])
@pytest.mark.parametrize("which", ["this_round", "other_round", "revoked"])
def test_stakeholder_links_do_not_reach_the_pages(  # type: ignore[no-untyped-def]
    anonymous, person, participant, other_round_participant, url_for, which
) -> None:
    token = {"this_round": participant.token, "other_round": other_round_participant.token}.get(
        which, participant.token
    )
    if which == "revoked":
        participant.issue_token()
    anonymous.get(f"/s/{token}/")
    response = anonymous.post(url_for(person), {"reason": "x", "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    person.refresh_from_db()
    assert person.name == NAME


@pytest.mark.parametrize("url_for", [export_url, erase_url])
def test_facilitator_and_admin_see_the_pages(facilitator, admin, person, url_for) -> None:  # type: ignore[no-untyped-def]
    for client in (facilitator, admin):
        response = client.get(url_for(person))
        assert response.status_code == 200
        assert NAME in response.content.decode()


@pytest.mark.parametrize("url_for", [export_url, erase_url])
@pytest.mark.parametrize("method", ["get", "post"])
def test_evaluator_is_refused(evaluator, person, url_for, method) -> None:  # type: ignore[no-untyped-def]
    response = getattr(evaluator, method)(url_for(person), {"reason": "x", "confirm": "on"})
    assert response.status_code == 403
    assert NAME not in response.content.decode()
    person.refresh_from_db()
    assert person.erased_at is None
    assert not AuditEvent.objects.filter(
        verb__in=[AuditEvent.Verb.DATA_EXPORTED, AuditEvent.Verb.ERASED]
    ).exists()


@pytest.mark.parametrize("url_for", [export_url, erase_url])
@pytest.mark.parametrize("method", ["get", "post"])
def test_facilitator_of_another_community_gets_not_found(  # type: ignore[no-untyped-def]
    other_facilitator, person, url_for, method
) -> None:
    response = getattr(other_facilitator, method)(url_for(person), {"reason": "x", "confirm": "on"})
    assert response.status_code == 404
    person.refresh_from_db()
    assert person.erased_at is None


def test_unknown_stakeholder_is_not_found(facilitator) -> None:  # type: ignore[no-untyped-def]
    code = "00000000-0000-0000-0000-000000000000"
    url = reverse("assessments:stakeholder_data_export", kwargs={"code": code})
    assert facilitator.get(url).status_code == 404


# --- export -----------------------------------------------------------------------------------


def test_export_page_says_the_file_is_for_the_person_only(facilitator, person) -> None:  # type: ignore[no-untyped-def]
    text = facilitator.get(export_url(person)).content.decode()
    assert "This file is for the person only" in text
    assert "do not share it with anyone else" in text
    assert not AuditEvent.objects.filter(verb=AuditEvent.Verb.DATA_EXPORTED).exists()


def test_export_holds_everything_about_the_person(  # type: ignore[no-untyped-def]
    facilitator, person, finalised_round
) -> None:
    response = facilitator.post(export_url(person))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["person"]["name"] == NAME
    assert data["person"]["email"] == EMAIL
    assert data["person"]["role"] == "Commissioner"
    assert data["organisation"]["name"] == person.organisation.name
    [participation] = data["participations"]
    assert participation["round"] == "2022 baseline"
    assert participation["status"] == "Submitted"
    levels = [s["level"] for s in participation["scores"]]
    assert levels == [2, 3, None, 4, 1, 2, 3, 4, 5]
    assert participation["scores"][2]["not_sure"] is True
    assert [s["reason"] for s in participation["scores"]] == [
        f"MY-REASON-{n}" for n in range(1, 10)
    ]
    # Other people's reasons are not in it.
    assert "Reason for" not in response.content.decode()


def test_export_includes_records_that_mention_the_person(  # type: ignore[no-untyped-def]
    facilitator, person, finalised_round
) -> None:
    mine = finalised_round.participants.get(stakeholder=person)
    audit(
        verb=AuditEvent.Verb.LINK_ISSUED,
        summary=f"fac issued a personal link for {NAME}",
        assessment=finalised_round,
        detail={"participant": str(mine.code)},
    )
    data = json.loads(facilitator.post(export_url(person)).content)
    summaries = [r["summary"] for r in data["records_mentioning_this_person"]]
    assert f"fac issued a personal link for {NAME}" in summaries


def test_export_is_audited_without_personal_data(facilitator, person, finalised_round) -> None:  # type: ignore[no-untyped-def]
    facilitator.post(export_url(person))
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.DATA_EXPORTED)
    assert event.actor.username == "fac"
    assert event.community == person.community
    assert event.detail == {"stakeholder": str(person.code)}
    stored = event.summary + json.dumps(event.detail)
    assert NAME not in stored and EMAIL not in stored and "MY-REASON" not in stored


def test_export_query_count_does_not_grow_with_rounds(facilitator, person, community) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rounds(n: int) -> None:
        for _ in range(n):
            a = AssessmentFactory(community=community, focal_issue=community.current_focal_issue)
            submit_sheet(ParticipantFactory(assessment=a, stakeholder=person), [3] * 9)

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert facilitator.post(export_url(person)).status_code == 200
        return len(context.captured_queries)

    rounds(1)
    small = count()
    rounds(4)
    assert count() == small


# --- erasure ----------------------------------------------------------------------------------


def test_erase_needs_a_reason_and_confirmation_and_keeps_what_was_typed(  # type: ignore[no-untyped-def]
    facilitator, person
) -> None:
    response = facilitator.post(erase_url(person), {"reason": "Request by letter"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Request by letter" in text  # typed text kept
    assert "This field is required" in text
    response = facilitator.post(erase_url(person), {"reason": "   ", "confirm": "on"})
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.name == NAME and person.erased_at is None


def test_erase_removes_identity_and_keeps_anonymous_scores(  # type: ignore[no-untyped-def]
    facilitator, person, finalised_round
) -> None:
    mine = finalised_round.participants.get(stakeholder=person)
    scores_before = list(
        IndividualScore.objects.filter(participant=mine).values_list(
            "dimension__number", "level", "not_sure", "reason"
        )
    )
    spreads = selectors.round_spreads(finalised_round)
    reasons = selectors.anonymous_reasons(finalised_round)
    groups = _sorted_groups(finalised_round)
    consensus = list(ConsensusScore.objects.filter(assessment=finalised_round).values())

    response = facilitator.post(
        erase_url(person), {"reason": "Request by email from the person", "confirm": "on"}
    )
    assert response.status_code == 302

    person.refresh_from_db()
    assert person.name == ERASED_NAME
    assert person.email == "" and person.role == ""
    assert person.erased_at is not None
    mine.refresh_from_db()
    assert mine.sector == person.organisation.sector  # snapshot kept
    assert (
        list(
            IndividualScore.objects.filter(participant=mine).values_list(
                "dimension__number", "level", "not_sure", "reason"
            )
        )
        == scores_before
    )
    assert selectors.round_spreads(finalised_round) == spreads
    assert selectors.anonymous_reasons(finalised_round) == reasons
    assert _sorted_groups(finalised_round) == groups
    assert list(ConsensusScore.objects.filter(assessment=finalised_round).values()) == consensus


def test_erased_persons_link_stops_working(facilitator, person, finalised_round, rf) -> None:  # type: ignore[no-untyped-def]
    token = finalised_round.my_token
    assert participant_for_token(rf.get("/"), token).stakeholder == person
    stakeholder_erase(stakeholder=person, by=facilitator_user(person), reason="asked")
    with pytest.raises(LinkError) as error:
        participant_for_token(rf.get("/"), token)
    assert error.value.status == 410


def facilitator_user(person):  # type: ignore[no-untyped-def]
    return person.community.memberships.get().user


def test_erasure_is_audited_and_scrubs_the_name_from_the_trail(  # type: ignore[no-untyped-def]
    facilitator, person, finalised_round
) -> None:
    mine = finalised_round.participants.get(stakeholder=person)
    audit(
        verb=AuditEvent.Verb.PAPER_ENTRY,
        summary=f"Paper sheet entered by fac for {NAME}",
        assessment=finalised_round,
        detail={"participant": str(mine.code)},
    )
    audit(
        verb=AuditEvent.Verb.EXPORTED, summary="Annual zebedeezz export", assessment=finalised_round
    )
    facilitator.post(
        erase_url(person), {"reason": f"{NAME} asked by email ({EMAIL})", "confirm": "on"}
    )
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.ERASED)
    assert event.actor.username == "fac"
    assert event.detail["stakeholder"] == str(person.code)
    everything = " ".join(
        e.summary + json.dumps(e.detail) for e in AuditEvent.objects.all()
    ).lower()
    assert NAME.lower() not in everything
    assert EMAIL not in everything
    assert "paper sheet entered by fac for erased participant" in everything
    assert "annual zebedeezz export" in everything  # unrelated text untouched
    assert "asked by email" in event.detail["reason"]


def test_erasing_twice_is_refused(facilitator, person) -> None:  # type: ignore[no-untyped-def]
    facilitator.post(erase_url(person), {"reason": "asked", "confirm": "on"})
    page = facilitator.get(erase_url(person))
    assert page.status_code == 200
    assert "has already been erased" in page.content.decode()
    response = facilitator.post(erase_url(person), {"reason": "again", "confirm": "on"})
    assert response.status_code == 409
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.ERASED).count() == 1
    with pytest.raises(ErasureError):
        stakeholder_erase(stakeholder=person, by=facilitator_user(person), reason="again")


def test_admin_can_erase(admin, person) -> None:  # type: ignore[no-untyped-def]
    assert admin.post(erase_url(person), {"reason": "asked", "confirm": "on"}).status_code == 302
    person.refresh_from_db()
    assert person.name == ERASED_NAME


_VOLATILE = [
    re.compile(r'nonce="[^"]*"'),
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r'"X-CSRFToken": "[^"]*"'),
]


def normalised(html: str) -> str:
    for pattern in _VOLATILE:
        html = pattern.sub("", html)
    return html


def page_html(client: Client, name: str, assessment) -> str:  # type: ignore[no-untyped-def]
    try:
        url = reverse(name, kwargs={"code": assessment.code})
    except NoReverseMatch:
        pytest.skip(f"{name} does not exist yet (built by another issue)")
    response = client.get(url)
    assert response.status_code == 200
    return normalised(response.content.decode())


@pytest.mark.parametrize("page", ["assessments:report", "assessments:analysis"])
def test_erasure_leaves_the_finalised_round_pages_identical(  # type: ignore[no-untyped-def]
    facilitator, evaluator, person, finalised_round, page
) -> None:
    client = evaluator if page == "assessments:report" else facilitator
    before = page_html(client, page, finalised_round)
    if page == "assessments:analysis":
        assert "MY-REASON-1" in before  # the anonymous reason is part of the page
    else:
        assert "Vision" in before  # the report shows agreed scores, not private reasons
    stakeholder_erase(stakeholder=person, by=facilitator_user(person), reason="asked")
    after = page_html(client, page, finalised_round)
    assert after == before
