"""Stakeholder closure (issue 16): after collection closes the sheet says so, read-only with the
person's own answers; after finalising, their link shows the group's agreed levels and priorities
beside their own sheet, and nothing of anyone else; the review page warns of missing reasons and
goes back to the first unanswered dimension; every page links the person's own sheet PDF."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, Dimension, Participant
from tests.factories import (
    ConsensusScoreFactory,
    ParticipantFactory,
    PriorityActionFactory,
    submit_sheet,
)

pytestmark = pytest.mark.django_db

OTHER_REASON = "ZQX-OTHER-PRIVATE-REASON"
DISSENT = "ZQX-DISSENT-NOTE"


def url(name: str, participant: Participant) -> str:
    return reverse(f"assessments:{name}", kwargs={"token": participant.link_token})


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def people(assessment):  # type: ignore[no-untyped-def]
    """Me (levels 2, a draft left unsubmitted on dimension 9) and another participant."""
    me = ParticipantFactory(assessment=assessment, stakeholder__name="Mona Mine")
    other = ParticipantFactory(assessment=assessment, stakeholder__name="Otto Other")
    submit_sheet(me, [2] * 9, [f"my reason {n}" for n in range(1, 10)])
    submit_sheet(other, [5] * 9, [f"{OTHER_REASON} {n}" for n in range(1, 10)])
    return me, other


def finalise(assessment: Assessment) -> None:
    dims = list(Dimension.objects.filter(rubric=assessment.rubric).order_by("number"))
    for dim in dims:
        ConsensusScoreFactory(
            assessment=assessment,
            dimension=dim,
            level=4 if dim.number != 3 else 1,
            reason=f"Group reason {dim.number}",
            dissent=DISSENT,
            is_priority=dim.number == 3,
        )
    PriorityActionFactory(
        consensus=assessment.consensus_scores.get(dimension__number=3),
        action="Map the referral routes",
        owner="Housing forum",
        review_date=datetime.date(2027, 6, 1),
    )
    assessment.status = Assessment.Status.WORKSHOP
    assessment.save()
    assessment.finalise()


def test_after_closing_the_sheet_says_so_read_only_with_own_answers(people, assessment):
    me, _other = people
    assessment.close_collection()
    html = Client().get(url("sheet", me)).content.decode()
    assert "Scoring has closed for this round. Your sheet is shown read-only." in html
    assert html.count("<fieldset disabled>") == 9 and "data-hx-post" not in html
    assert "my reason 1" in html
    assert '<time datetime="' in html
    assert OTHER_REASON not in html and "What the group agreed" not in html


def test_an_unsubmitted_person_is_told_their_draft_is_not_counted(assessment):
    me = ParticipantFactory(assessment=assessment)
    submit_sheet(me, [3] * 9, submitted=False)
    assessment.close_collection()
    html = Client().get(url("sheet", me)).content.decode()
    assert (
        "You did not submit this sheet, so your answers are not in the group's anonymous figures"
        in html
    )


def test_after_finalising_the_link_shows_agreed_levels_and_priorities_beside_own(
    people, assessment
):
    me, other = people
    finalise(assessment)
    response = Client().get(url("sheet", me))
    assert response.status_code == 200
    html = response.content.decode()
    assert "What the group agreed" in html
    rows = re.findall(
        r'<tr>\s*<th scope="row"[^>]*><a href="#dim-(\d)">.*?</th>\s*<td class="agreed-level"><strong>(\d)</strong></td>\s*<td class="agreed-level">([^<]*)</td>',
        html,
        re.S,
    )
    assert [(n, agreed, own) for n, agreed, own in rows] == [
        (str(n), "1" if n == 3 else "4", "2") for n in range(1, 10)
    ]
    assert (
        "Group reason 3" in html and "Map the referral routes" in html and "Housing forum" in html
    )
    assert '<time datetime="2027-06-01">' in html
    # The person's own sheet is still below, read-only.
    assert "my reason 1" in html and html.count("<fieldset disabled>") == 9
    # Nothing individual of anyone else, no note of dissent, no spread of private scores.
    assert OTHER_REASON not in html and DISSENT not in html
    assert other.stakeholder.name not in html and "median" not in html.lower()


def test_the_other_participant_sees_the_same_group_results_and_only_their_own(people, assessment):
    me, other = people
    finalise(assessment)
    html = Client().get(url("sheet", other)).content.decode()
    assert "What the group agreed" in html and "Map the referral routes" in html
    assert "my reason" not in html and me.stakeholder.name not in html
    assert f"{OTHER_REASON} 1" in html  # their own reason, on their own sheet


def test_no_group_results_before_finalising(people, assessment):
    me, _other = people
    assessment.close_collection()
    ConsensusScoreFactory(assessment=assessment, reason="Not yet final reason")
    html = Client().get(url("sheet", me)).content.decode()
    assert "Not yet final reason" not in html and "What the group agreed" not in html


def test_the_finalised_sheet_costs_a_fixed_number_of_queries(
    people, assessment, django_assert_max_num_queries
):
    me, _other = people
    finalise(assessment)
    client = Client()
    client.get(url("sheet", me))  # warm the rubric part
    with django_assert_max_num_queries(12):
        client.get(url("sheet", me))


# --- the review page --------------------------------------------------------------------------


def test_review_flags_dimensions_without_a_reason_but_lets_submit(assessment):
    me = ParticipantFactory(assessment=assessment)
    reasons = ["", "why 2", "  ", *[f"why {n}" for n in range(4, 10)]]
    submit_sheet(me, [3] * 9, reasons, submitted=False)
    html = Client().get(url("sheet_review", me)).content.decode()
    assert "You gave no reason for these 2 dimensions. A reason is not required" in html
    sheet = url("sheet", me)
    assert f'href="{sheet}#d1-reason"' in html and f'href="{sheet}#d3-reason"' in html
    assert f'href="{sheet}#d2-reason"' not in html
    assert html.count("No reason given.") == 2
    response = Client().post(url("sheet_submit", me))
    assert response.status_code == 303
    me.refresh_from_db()
    assert me.submitted_at is not None


def test_back_to_the_sheet_goes_to_the_first_unanswered_dimension(assessment):
    me = ParticipantFactory(assessment=assessment)
    submit_sheet(me, [3, 3, 3, 3], submitted=False)  # 1-4 answered
    html = Client().get(url("sheet_review", me)).content.decode()
    assert f'href="{url("sheet", me)}#dim-5">Back to my sheet' in html
    submit_sheet(ParticipantFactory(assessment=assessment), [3] * 9)


def test_back_to_the_sheet_when_all_answered_goes_to_the_top(assessment):
    me = ParticipantFactory(assessment=assessment)
    submit_sheet(me, [3] * 9, submitted=False)
    html = Client().get(url("sheet_review", me)).content.decode()
    assert f'href="{url("sheet", me)}#top">Back to my sheet' in html


def test_review_wording_matches_autosave(assessment):
    me = ParticipantFactory(assessment=assessment)
    submit_sheet(me, [3] * 9, submitted=False)
    sheet = text_of(Client().get(url("sheet", me)).content.decode())
    review = text_of(Client().get(url("sheet_review", me)).content.decode())
    assert "every change saves automatically" in sheet
    assert "Every change on your sheet saved automatically" in review
    assert "Submit my sheet" in review
    Client().post(url("sheet_submit", me))
    review = text_of(Client().get(url("sheet_review", me)).content.decode())
    # Submitted: changes save themselves, so there is no second submit offering to send them.
    assert "Submit again" not in review and "Submit my sheet" not in review
    assert "there is nothing more to send" in review


def test_a_refused_submit_has_an_error_summary_linking_each_missing_dimension(assessment):
    me = ParticipantFactory(assessment=assessment)
    submit_sheet(me, [3] * 7, submitted=False)
    response = Client().post(url("sheet_submit", me))
    assert response.status_code == 400
    html = response.content.decode()
    summary = html[
        html.index("data-error-summary") : html.index("</ul>", html.index("data-error-summary"))
    ]
    assert "There is a problem" in summary
    links = re.findall(r'href="([^"]+)"', summary)
    assert links == [f"{url('sheet', me)}#dim-8", f"{url('sheet', me)}#dim-9"]
    assert "js/error-summary.js" in html


def test_a_bad_plain_save_has_an_error_summary_linking_the_reason(assessment):
    me = ParticipantFactory(assessment=assessment)
    dim = Dimension.objects.get(rubric=assessment.rubric, number=4)
    response = Client().post(
        url("sheet_save", me), {"dimension": dim.pk, "level": "9", "reason": "typed and kept"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and 'href="#d4-reason"' in html and 'id="d4-reason"' in html
    assert "typed and kept" in html


# --- the person's own sheet PDF, from every page ---------------------------------------------


def test_every_stakeholder_page_links_the_own_sheet_pdf(people, assessment):
    me, _other = people
    pdf = url("my_sheet_pdf", me)
    client = Client()
    for name in ("sheet", "sheet_review"):
        assert f'href="{pdf}"' in client.get(url(name, me)).content.decode(), name
    assessment.close_collection()
    closed = client.post(url("sheet_submit", me))
    assert closed.status_code == 409 and f'href="{pdf}"' in closed.content.decode()
    finalise_from_workshop = assessment
    finalise_from_workshop.finalise()
    assert f'href="{pdf}"' in client.get(url("sheet", me)).content.decode()


def test_a_revoked_links_pdf_names_whom_to_contact(assessment, facilitator_user):
    me = ParticipantFactory(assessment=assessment)
    old = me.link_token
    me.revoke_link()
    response = Client().get(reverse("assessments:my_sheet_pdf", kwargs={"token": old}))
    assert response.status_code == 410
    html = response.content.decode()
    assert "This link has been revoked" in html
    assert "contact the facilitator of Halton" in html and facilitator_user.username in html
    assert me.stakeholder.name not in html and "@" not in html
