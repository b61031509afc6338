"""'Since last time': the next round's analysis page, presenter, report page and PDF open with
the previous round's priorities, targets, actions and statuses, and whether each target was
reached. Agreed levels only: never a private score."""

from __future__ import annotations

import datetime
import io

import pdfplumber
import pytest
from django.urls import reverse

from assessments.followthrough import since_last_time
from assessments.models import ActionNote, Assessment, ConsensusScore, PriorityAction
from assessments.reports import pdf
from tests.assessments.test_report_views import count_queries, report_url
from tests.assessments.test_reports_data import REVIEW_LEVELS, make_round
from tests.factories import CommunityFactory, FocalIssueFactory, MembershipFactory


def follow_up(baseline: Assessment) -> None:
    """The baseline's priorities 4 (agreed 2) and 6 (agreed 1): targets 3 and 3, one step
    done, one in progress with two notes."""
    ConsensusScore.objects.filter(assessment=baseline, dimension__number=4).update(
        target_level=3, move_up="MOVE-UP-FOUR"
    )
    ConsensusScore.objects.filter(assessment=baseline, dimension__number=6).update(target_level=3)
    four = PriorityAction.objects.get(
        consensus__assessment=baseline, consensus__dimension__number=4
    )
    six = PriorityAction.objects.get(consensus__assessment=baseline, consensus__dimension__number=6)
    PriorityAction.objects.filter(pk=four.pk).update(status=PriorityAction.Status.DONE)
    PriorityAction.objects.filter(pk=six.pk).update(status=PriorityAction.Status.IN_PROGRESS)
    ActionNote.objects.create(action=six, text="OLD-NOTE", written_on=datetime.date(2026, 1, 5))
    ActionNote.objects.create(action=six, text="LATEST-NOTE", written_on=datetime.date(2026, 3, 9))


@pytest.fixture
def next_round(community, baseline):  # type: ignore[no-untyped-def]
    """The review in its workshop: dimension 4 agreed at 3, dimension 6 not agreed yet."""
    follow_up(baseline)
    review = make_round(
        community,
        title="2024 review",
        kind=Assessment.Kind.REVIEW,
        levels=REVIEW_LEVELS,
        previous=baseline,
        finalise=False,
        priorities=(),
    )
    ConsensusScore.objects.filter(assessment=review, dimension__number=6).delete()
    return review


def test_the_data_says_what_was_chosen_and_whether_it_got_there(next_round, baseline):
    since = since_last_time(next_round)
    assert since is not None and since.previous == baseline
    four, six = since.rows
    assert (four.number, four.level_then, four.target, four.level_now) == (4, 2, 3, 3)
    assert four.reached is True and four.move_up == "MOVE-UP-FOUR"
    assert (six.level_then, six.target, six.level_now, six.reached) == (1, 3, None, None)
    assert [a.status_label for a in four.actions] == ["Done"]
    assert six.actions[0].latest_note == "LATEST-NOTE"
    assert six.actions[0].latest_note_on == datetime.date(2026, 3, 9)
    assert (since.with_target, since.reached_count) == (2, 1)


def test_no_previous_round_no_section(baseline, facilitator):
    assert since_last_time(baseline) is None
    assert "Since last time" not in facilitator.get(report_url(baseline)).content.decode()


def test_a_previous_round_without_priorities_says_so(community, baseline):
    ConsensusScore.objects.filter(assessment=baseline).update(is_priority=False)
    review = make_round(community, title="2024 review", previous=baseline, finalise=False)
    since = since_last_time(review)
    assert since is not None and since.rows == []


def _section(html: str) -> str:
    return html.split("since-last-time", 1)[1].split("</section>", 1)[0]


def test_analysis_page_opens_with_since_last_time(facilitator, next_round):
    html = facilitator.get(
        reverse("assessments:analysis", kwargs={"code": next_round.code})
    ).content.decode()
    assert html.index("since-last-time") < html.index("Agenda at a glance")
    section = _section(html)
    assert "Since last time: 2022 baseline" in section
    assert "✓ Yes" in section and "Not agreed yet" in section
    assert "LATEST-NOTE" in section and "OLD-NOTE" not in section
    assert "Done" in section and "In progress" in section
    assert "private reason" not in section


def test_presenter_shows_since_last_time_open_on_the_first_dimension(facilitator, next_round):
    url = reverse("assessments:presenter", kwargs={"code": next_round.code, "number": 1})
    html = facilitator.get(url).content.decode()
    assert '<details class="since-last-time mb-3" open>' in html
    assert "LATEST-NOTE" in html and "Not agreed yet" in html
    url = reverse("assessments:presenter", kwargs={"code": next_round.code, "number": 2})
    assert '<details class="since-last-time mb-3">' in facilitator.get(url).content.decode()


@pytest.mark.parametrize("persona", ["facilitator", "evaluator"])
def test_report_page_opens_with_since_last_time(request, persona, community, baseline):
    follow_up(baseline)
    review = make_round(
        community, title="2024 review", levels=REVIEW_LEVELS, previous=baseline, priorities=()
    )
    html = request.getfixturevalue(persona).get(report_url(review)).content.decode()
    assert html.index("since-last-time") < html.index('id="glance"')
    section = _section(html)
    assert "Since last time: 2022 baseline" in section
    assert "Targets reached: 1 of 2." in section
    assert "MOVE-UP-FOUR" in section and "LATEST-NOTE" in section
    six = section.split("6. Finance", 1)[1].split("</tr>", 1)[0]
    assert "<strong" not in six and ">No<" in six  # dimension 6: agreed 2 now, target 3


def test_report_pdf_opens_with_since_last_time(community, baseline):
    follow_up(baseline)
    review = make_round(
        community, title="2024 review", levels=REVIEW_LEVELS, previous=baseline, priorities=()
    )
    content = pdf.round_report_pdf(review)
    with pdfplumber.open(io.BytesIO(content)) as document:
        pages = [" ".join((page.extract_text() or "").split()) for page in document.pages]
    text = " ".join(pages)
    assert "Since last time: 2022 baseline" in text
    assert text.index("Since last time") < text.index("At a glance")
    assert "Targets reached: 1 of 2." in text
    assert "LATEST-NOTE" in text and "OLD-NOTE" not in text
    assert "Reached" in text and "Not reached" in text
    assert "In progress" in text and "Done" in text


def test_the_report_shows_target_and_status_beside_its_own_actions(facilitator, baseline):
    ConsensusScore.objects.filter(assessment=baseline, dimension__number=4).update(target_level=4)
    html = facilitator.get(report_url(baseline)).content.decode()
    priorities = html.split('id="priorities"', 1)[1].split("</section>", 1)[0]
    assert "target 4" in priorities and "Not started" in priorities


def test_report_query_count_with_a_previous_round_does_not_grow(
    facilitator, facilitator_user, community
):
    """Since last time costs two queries (the previous round's priorities, their actions with
    their latest notes), whatever the number of actions and notes."""
    small_base = make_round(community, participants=3)
    small = make_round(community, title="2024 review", previous=small_base, participants=3)
    other = CommunityFactory()
    FocalIssueFactory(community=other)
    MembershipFactory(user=facilitator_user, community=other)
    big_base = make_round(other, participants=20, priorities=(1, 2, 3, 4, 5))
    for action in PriorityAction.objects.filter(consensus__assessment=big_base):
        for day in range(1, 6):
            ActionNote.objects.create(
                action=action, text="n", written_on=datetime.date(2026, 1, day)
            )
            PriorityAction.objects.create(consensus=action.consensus, action="more", owner="x")
    big = make_round(other, title="2024 review", previous=big_base, participants=20)
    facilitator.get(report_url(small))  # the rubric's text is read once per process
    small_count, small_response = count_queries(facilitator, report_url(small))
    big_count, big_response = count_queries(facilitator, report_url(big))
    assert small_response.status_code == big_response.status_code == 200
    # The report without a previous round (test_report_views: 8) less the lookup of the round
    # to compare with (it is linked here), plus since last time's two.
    assert small_count == big_count == 9


def test_the_demo_has_targets_statuses_notes_and_since_last_time(facilitator):
    import io

    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    review = Assessment.objects.filter(kind=Assessment.Kind.REVIEW, status="finalised").first()
    assert review is not None
    since = since_last_time(review)
    assert since is not None and since.rows
    assert all(row.target for row in since.rows if row.level_then < 5)
    assert {a.status for row in since.rows for a in row.actions} >= {"done", "in-progress"}
    assert any(a.latest_note for row in since.rows for a in row.actions)


@pytest.mark.parametrize("page", ["analysis", "presenter"])
def test_workshop_pages_query_count_does_not_grow_with_last_times_actions(
    facilitator, community, baseline, page
):
    review = make_round(community, title="2024 review", previous=baseline, finalise=False)
    kwargs = {"code": review.code, **({"number": 1} if page == "presenter" else {})}
    url = reverse(f"assessments:{page}", kwargs=kwargs)
    facilitator.get(url)
    few, _response = count_queries(facilitator, url)
    for action in PriorityAction.objects.filter(consensus__assessment=baseline):
        for day in range(1, 8):
            PriorityAction.objects.create(consensus=action.consensus, action="more", owner="x")
            ActionNote.objects.create(
                action=action, text="n", written_on=datetime.date(2026, 1, day)
            )
    many, response = count_queries(facilitator, url)
    assert response.status_code == 200 and "since-last-time" in response.content.decode()
    assert few == many
