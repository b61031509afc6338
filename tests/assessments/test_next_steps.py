"""The round page leads: its one primary button is the round's next step; opening collection is
refused clearly when nobody could answer or the deadline has passed; closing says what happens
to those who have not submitted; the progress line refreshes itself while collecting."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, Participant
from assessments.rounds import Progress, Step, next_step
from tests.factories import (
    AssessmentFactory,
    ConsensusScoreFactory,
    ParticipantFactory,
    submit_sheet,
)

pytestmark = pytest.mark.django_db

S = Assessment.Status


def round_url(assessment: Assessment, name: str = "round") -> str:
    return reverse(f"assessments:{name}", kwargs={"code": assessment.code})


def primary_buttons(html: str) -> list[str]:
    """The text of every btn-primary on the page (links and buttons)."""
    found = re.findall(
        r'<(?:a|button)\b[^>]*class="btn btn-primary[^"]*"[^>]*>(.*?)</(?:a|button)>', html, re.S
    )
    return [re.sub(r"<[^>]+>", "", text).strip() for text in found]


# --- the rule, on its own -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("progress", "step"),
    [
        (Progress(status=S.DRAFT), Step.ADD_PEOPLE),
        (Progress(status=S.DRAFT, people=3), Step.OPEN),
        (Progress(status=S.COLLECTING), Step.ADD_PEOPLE),
        (Progress(status=S.COLLECTING, people=3, invited=0), Step.INVITE),
        (Progress(status=S.COLLECTING, people=3, invited=2, not_invited_with_email=1), Step.INVITE),
        (Progress(status=S.COLLECTING, people=3, invited=2), Step.CLOSE),
        (Progress(status=S.WORKSHOP, dimensions=9), Step.ANALYSIS),
        (Progress(status=S.WORKSHOP, dimensions=9, workshop_due=True), Step.WORKSHOP),
        (Progress(status=S.WORKSHOP, dimensions=9, workshop_started=True), Step.WORKSHOP),
        (Progress(status=S.WORKSHOP, dimensions=9, agreed=4), Step.WORKSHOP),
        (Progress(status=S.WORKSHOP, dimensions=9, agreed=9), Step.PRIORITIES),
        (Progress(status=S.WORKSHOP, dimensions=9, agreed=9, priorities=2), Step.FINALISE),
        (Progress(status=S.FINALISED, dimensions=9, agreed=9, priorities=2), Step.REPORT),
    ],
)
def test_next_step_follows_the_round(progress, step):
    assert next_step(progress) == step


# --- the round page's primary button, status by status ---------------------------------------


def _round(community, **kwargs):  # type: ignore[no-untyped-def]
    return AssessmentFactory(
        community=community, focal_issue=community.current_focal_issue, **kwargs
    )


def test_primary_button_walks_the_steps(facilitator, community):
    assessment = _round(community, status=S.DRAFT)
    page = lambda: facilitator.get(round_url(assessment)).content.decode()  # noqa: E731
    assert primary_buttons(page()) == ["Add people from the network"]

    person = ParticipantFactory(assessment=assessment, invited_at=None)
    assert primary_buttons(page()) == ["Open collection"]

    assessment.status = S.COLLECTING
    assessment.save()
    assert primary_buttons(page()) == ["Email 1 invitation"]

    Participant.objects.filter(pk=person.pk).update(invited_at=timezone.now())
    assert primary_buttons(page()) == ["Close collection and move to the workshop"]

    assessment.status = S.WORKSHOP
    assessment.save()
    assert primary_buttons(page()) == ["Study the anonymous spread"]

    ConsensusScoreFactory(assessment=assessment)
    assert primary_buttons(page()) == ["Run the workshop"]

    for dim in assessment.rubric.dimensions.exclude(number=1):
        ConsensusScoreFactory(assessment=assessment, dimension=dim)
    assert primary_buttons(page()) == ["Priorities"]

    assessment.consensus_scores.filter(dimension__number=2).update(is_priority=True)
    assert primary_buttons(page()) == ["Finalise"]

    assessment.status, assessment.finalised_at = S.FINALISED, timezone.now()
    assessment.save()
    html = page()
    assert primary_buttons(html) == ["Read the report"]
    assert round_url(assessment, "report") in html and round_url(assessment, "report_pdf") in html


def test_invitations_without_email_lead_to_the_slips(facilitator, community):
    assessment = _round(community)
    ParticipantFactory(assessment=assessment, invited_at=None, stakeholder__email="")
    assert primary_buttons(facilitator.get(round_url(assessment)).content.decode()) == [
        "Print invitation slips (PDF)"
    ]


def test_each_secondary_action_appears_once(facilitator, community):
    assessment = _round(community)
    ParticipantFactory(assessment=assessment, invited_at=None)
    html = facilitator.get(round_url(assessment)).content.decode()
    for label in (
        "Email 1 invitation",
        "Print invitation slips (PDF)",
        "Add people from the network",
    ):
        assert html.count(label) == 1, label


def test_evaluator_sees_no_next_step_but_a_finalised_round_links_its_report(evaluator, community):
    assessment = _round(community, status=S.FINALISED, finalised_at=timezone.now())
    html = evaluator.get(round_url(assessment)).content.decode()
    assert "next-heading" not in html
    assert primary_buttons(html) == ["Read the report"]
    assert round_url(assessment, "report_pdf") in html


# --- opening collection: refused clearly ------------------------------------------------------


def test_opening_with_nobody_in_the_round_is_refused(facilitator, community):
    assessment = _round(community, status=S.DRAFT)
    response = facilitator.post(round_url(assessment, "round_status"), {"to": "collecting"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Add at least one person to the round before opening collection" in html
    assessment.refresh_from_db()
    assert assessment.status == S.DRAFT


def test_opening_with_a_past_deadline_is_refused_and_keeps_the_date(facilitator, community):
    past = timezone.localdate() - datetime.timedelta(days=3)
    assessment = _round(community, status=S.DRAFT, deadline=past)
    ParticipantFactory(assessment=assessment)
    url = round_url(assessment, "round_status")
    response = facilitator.post(url, {"to": "collecting", "deadline": past.isoformat()})
    assert response.status_code == 400
    html = response.content.decode()
    assert "is in the past" in html
    # The summary links to the field, which carries the error and still shows the date typed.
    assert '<a class="alert-link" href="#id_deadline">' in html
    assert f'value="{past.isoformat()}"' in html and 'aria-invalid="true"' in html
    assessment.refresh_from_db()
    assert assessment.status == S.DRAFT and assessment.deadline == past

    later = timezone.localdate() + datetime.timedelta(days=10)
    response = facilitator.post(url, {"to": "collecting", "deadline": later.isoformat()})
    assert response.status_code == 303
    assessment.refresh_from_db()
    assert assessment.status == S.COLLECTING and assessment.deadline == later


def test_a_past_deadline_on_the_round_itself_is_refused_too(facilitator, community):
    # The round page offers the round's own deadline; a POST without one keeps it, still past.
    assessment = _round(
        community, status=S.DRAFT, deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    ParticipantFactory(assessment=assessment)
    page = facilitator.get(round_url(assessment)).content.decode()
    assert f'value="{assessment.deadline.isoformat()}"' in page
    response = facilitator.post(
        round_url(assessment, "round_status"),
        {"to": "collecting", "deadline": assessment.deadline.isoformat()},
    )
    assert response.status_code == 400
    assessment.refresh_from_db()
    assert assessment.status == S.DRAFT


def test_an_unreadable_deadline_is_a_400_with_the_text_kept(facilitator, community):
    assessment = _round(community, status=S.DRAFT)
    ParticipantFactory(assessment=assessment)
    response = facilitator.post(
        round_url(assessment, "round_status"), {"to": "collecting", "deadline": "next tuesday"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="next tuesday"' in html and "Enter a valid date" in html
    assert '<a class="alert-link" href="#id_deadline">' in html


def test_opening_without_a_deadline_is_allowed(facilitator, community):
    assessment = _round(community, status=S.DRAFT, deadline=None)
    ParticipantFactory(assessment=assessment)
    response = facilitator.post(
        round_url(assessment, "round_status"), {"to": "collecting", "deadline": ""}
    )
    assert response.status_code == 303
    assessment.refresh_from_db()
    assert assessment.status == S.COLLECTING and assessment.deadline is None


def test_bad_status_is_a_400_not_a_redirect(facilitator, community):
    assessment = _round(community)
    response = facilitator.post(round_url(assessment, "round_status"), {"to": "nonsense"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


# --- closing collection: the confirmation tells the truth -------------------------------------


def test_closing_says_how_many_have_not_submitted_and_what_happens_to_drafts(
    facilitator, community
):
    assessment = _round(community)
    done, draft, _never = (ParticipantFactory(assessment=assessment) for _ in range(3))
    submit_sheet(done, [3] * 9)
    submit_sheet(draft, [2] * 9, submitted=False)
    html = facilitator.get(round_url(assessment)).content.decode()
    note = "2 of 3 people have not submitted. If you close collection now, their links show what they saved read-only and they can no longer submit; saved drafts are kept but not counted in the anonymous spread."
    assert f'data-confirm="{note}"' in html
    assert f'<p class="small mb-2" id="close-note">{note}</p>' in html


def test_closing_when_everyone_submitted_says_so(facilitator, community):
    assessment = _round(community)
    submit_sheet(ParticipantFactory(assessment=assessment), [3] * 9)
    html = facilitator.get(round_url(assessment)).content.decode()
    assert "Everyone has submitted." in html


def test_drafts_are_kept_but_not_counted_once_closed(facilitator, community):
    """What the close note promises: the draft is still there, and the spread leaves it out."""
    from assessments.selectors import round_spreads

    assessment = _round(community)
    done, draft = (
        ParticipantFactory(assessment=assessment),
        ParticipantFactory(assessment=assessment),
    )
    submit_sheet(done, [3] * 9)
    submit_sheet(draft, [1] * 9, submitted=False)
    assert (
        facilitator.post(round_url(assessment, "round_status"), {"to": "workshop"}).status_code
        == 303
    )
    assert draft.scores.count() == 9
    spread = round_spreads(assessment)[1]
    assert spread.rated == 1 and spread.counts.get(1, 0) == 0


# --- progress refreshes while collecting ------------------------------------------------------


def test_round_page_polls_its_progress_only_while_collecting(facilitator, community):
    assessment = _round(community)
    progress_url = round_url(assessment, "round_progress")
    html = facilitator.get(round_url(assessment)).content.decode()
    assert (
        f'data-hx-get="{progress_url}" data-hx-trigger="every 20s" data-hx-swap="outerHTML"' in html
    )
    assert " hx-get=" not in html

    submit_sheet(ParticipantFactory(assessment=assessment), [3] * 9)
    part = facilitator.get(progress_url)
    assert part.status_code == 200 and part["Cache-Control"].startswith("max-age=0")
    text = part.content.decode()
    assert text.startswith('<p id="round-progress"') and "1 submitted" in text
    assert "<html" not in text and "data-hx-trigger" in text

    assessment.status = S.WORKSHOP
    assessment.save()
    text = facilitator.get(progress_url).content.decode()
    assert "data-hx-trigger" not in text  # the answer without a trigger stops the polling


def test_progress_shows_counts_never_names(facilitator, evaluator, community):
    assessment = _round(community)
    person = ParticipantFactory(assessment=assessment, stakeholder__name="Zebedee Marker")
    for client in (facilitator, evaluator):
        text = client.get(round_url(assessment, "round_progress")).content.decode()
        assert "1 people" in text and person.stakeholder.name not in text
