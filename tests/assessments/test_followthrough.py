"""Priorities followed through: targets (workshop), action progress and notes (also of a
finalised round), the open-actions page, and who may do what."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import followthrough
from assessments.models import (
    ActionNote,
    Assessment,
    AuditEvent,
    ConsensusScore,
    LevelDescriptor,
    PriorityAction,
)
from assessments.workshop import WorkshopError, consensus_save
from tests.assessments.test_report_views import count_queries
from tests.assessments.test_reports_data import make_round
from tests.factories import CommunityFactory, FocalIssueFactory, MembershipFactory


@pytest.fixture
def workshop_round(community):  # type: ignore[no-untyped-def]
    # Priorities 4 (agreed 2) and 6 (agreed 1), each with one next step.
    return make_round(community, title="2024 review", finalise=False)


def priority(assessment: Assessment, number: int) -> ConsensusScore:
    return ConsensusScore.objects.select_related("dimension").get(
        assessment=assessment, dimension__number=number
    )


def action_of(assessment: Assessment, number: int) -> PriorityAction:
    return PriorityAction.objects.get(
        consensus__assessment=assessment, consensus__dimension__number=number
    )


def target_url(assessment: Assessment, number: int) -> str:
    return reverse("assessments:target_save", kwargs={"code": assessment.code, "number": number})


def action_url(action: PriorityAction, name: str = "action_detail") -> str:
    code = action.consensus.assessment.code
    return reverse(f"assessments:{name}", kwargs={"code": code, "pk": action.pk})


# --- targets: the service ------------------------------------------------------------------------


def test_target_must_be_above_the_agreed_level_and_at_most_5(workshop_round, facilitator_user):
    score = priority(workshop_round, 4)  # agreed 2
    loaded = followthrough.target_fingerprint(score)
    for bad in (1, 2, 6):
        with pytest.raises(followthrough.FollowThroughError) as refused:
            followthrough.target_save(
                assessment=workshop_round,
                consensus=score,
                target_level=bad,
                move_up="",
                loaded=loaded,
                by=facilitator_user,
            )
        assert refused.value.status == 400
    saved = followthrough.target_save(
        assessment=workshop_round,
        consensus=score,
        target_level=3,
        move_up="  Joint budgets  ",
        loaded=loaded,
        by=facilitator_user,
    )
    score.refresh_from_db()
    assert (score.target_level, score.move_up) == (3, "Joint budgets")
    assert saved.version == score.version == 1  # the presenter's form is not made stale
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.TARGET_SAVED)
    assert event.detail["before"] == {"target_level": None, "move_up": ""}
    assert event.detail["after"] == {"target_level": 3, "move_up": "Joint budgets"}
    assert event.actor == facilitator_user


def test_no_target_above_level_5(workshop_round, facilitator_user):
    score = priority(workshop_round, 4)
    ConsensusScore.objects.filter(pk=score.pk).update(level=5)
    score.refresh_from_db()
    with pytest.raises(followthrough.FollowThroughError, match="already 5"):
        followthrough.target_save(
            assessment=workshop_round,
            consensus=score,
            target_level=5,
            move_up="",
            loaded=followthrough.target_fingerprint(score),
            by=facilitator_user,
        )


def test_a_stale_target_form_is_refused_not_applied(workshop_round, facilitator_user):
    score = priority(workshop_round, 4)
    loaded = followthrough.target_fingerprint(score)
    followthrough.target_save(
        assessment=workshop_round,
        consensus=score,
        target_level=4,
        move_up="theirs",
        loaded=loaded,
        by=facilitator_user,
    )
    with pytest.raises(followthrough.TargetConflict):
        followthrough.target_save(
            assessment=workshop_round,
            consensus=score,
            target_level=3,
            move_up="mine",
            loaded=loaded,
            by=facilitator_user,
        )
    assert priority(workshop_round, 4).move_up == "theirs"


def test_targets_are_locked_with_a_finalised_round(baseline, facilitator_user):
    score = priority(baseline, 4)
    with pytest.raises(followthrough.FollowThroughError):
        followthrough.target_save(
            assessment=baseline,
            consensus=score,
            target_level=3,
            move_up="",
            loaded=followthrough.target_fingerprint(score),
            by=facilitator_user,
        )


# --- targets: the priorities page ----------------------------------------------------------------


def test_move_up_is_prefilled_with_the_next_levels_description(facilitator, workshop_round):
    score = priority(workshop_round, 4)
    next_text = LevelDescriptor.objects.get(dimension=score.dimension, level=3).text
    html = facilitator.get(
        reverse("assessments:priorities", kwargs={"code": workshop_round.code})
    ).content.decode()
    assert "What would move us up one level" in html
    from django.utils.html import escape

    assert escape(next_text) in html


def test_target_form_bad_input_is_400_with_the_error_summary_and_keeps_the_text(
    facilitator, workshop_round
):
    score = priority(workshop_round, 4)
    response = facilitator.post(
        target_url(workshop_round, 4),
        {
            f"t{score.pk}-target_level": "1",
            f"t{score.pk}-move_up": "Our own words KEEP-ME",
            f"t{score.pk}-loaded": followthrough.target_fingerprint(score),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "KEEP-ME" in html
    assert priority(workshop_round, 4).target_level is None


def test_target_form_saves_and_redirects(facilitator, workshop_round):
    score = priority(workshop_round, 6)
    response = facilitator.post(
        target_url(workshop_round, 6),
        {
            f"t{score.pk}-target_level": "3",
            f"t{score.pk}-move_up": "Shared data",
            f"t{score.pk}-loaded": followthrough.target_fingerprint(score),
        },
    )
    assert response.status_code == 302
    assert priority(workshop_round, 6).target_level == 3


def test_target_form_conflict_is_409_and_keeps_what_was_typed(facilitator, workshop_round):
    score = priority(workshop_round, 6)
    stale = followthrough.target_fingerprint(score)
    ConsensusScore.objects.filter(pk=score.pk).update(target_level=2, move_up="theirs")
    response = facilitator.post(
        target_url(workshop_round, 6),
        {
            f"t{score.pk}-target_level": "4",
            f"t{score.pk}-move_up": "MINE-TYPED",
            f"t{score.pk}-loaded": stale,
        },
    )
    assert response.status_code == 409
    assert "MINE-TYPED" in response.content.decode()
    assert priority(workshop_round, 6).target_level == 2


# --- actions followed through --------------------------------------------------------------------


def test_a_finalised_rounds_action_stays_editable_and_every_change_is_audited(
    baseline, facilitator_user
):
    action = action_of(baseline, 4)
    changed = followthrough.action_follow_up(
        action=action,
        owner="Housing lead",
        review_date=datetime.date(2027, 1, 31),
        status=PriorityAction.Status.IN_PROGRESS,
        by=facilitator_user,
    )
    assert changed == ["owner", "review_date", "status"]
    action.refresh_from_db()
    assert action.status == PriorityAction.Status.IN_PROGRESS
    assert action.owner == "Housing lead"
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.ACTION_SAVED, assessment=baseline)
    assert event.detail["changed"] == ["owner", "review_date", "status"]
    assert event.detail["before"]["status"] == "not-started"
    assert event.detail["after"] == {
        "owner": "Housing lead",
        "review_date": "2027-01-31",
        "status": "in-progress",
    }
    # Nothing changed: nothing audited.
    assert (
        followthrough.action_follow_up(
            action=action,
            owner="Housing lead",
            review_date=datetime.date(2027, 1, 31),
            status=PriorityAction.Status.IN_PROGRESS,
            by=facilitator_user,
        )
        == []
    )
    assert AuditEvent.objects.filter(verb=AuditEvent.Verb.ACTION_SAVED).count() == 1


def test_the_finalised_rounds_agreed_scores_stay_locked(baseline, facilitator_user):
    followthrough.action_note_add(
        action=action_of(baseline, 4),
        text="Met the housing board",
        written_on=timezone.localdate(),
        by=facilitator_user,
    )
    score = priority(baseline, 4)
    with pytest.raises(WorkshopError):
        consensus_save(
            assessment=baseline,
            dimension=score.dimension,
            level=5,
            reason="changed",
            dissent="",
            loaded_version=score.version,
            by=facilitator_user,
        )
    assert priority(baseline, 4).level == 2


def test_a_note_is_dated_audited_and_not_in_the_future(baseline, facilitator_user):
    action = action_of(baseline, 6)
    note = followthrough.action_note_add(
        action=action,
        text="  Data-sharing agreement drafted  ",
        written_on=datetime.date(2026, 11, 2),
        by=facilitator_user,
    )
    assert note.text == "Data-sharing agreement drafted" and note.author == facilitator_user
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.ACTION_NOTE_ADDED)
    assert event.detail == {"action": action.pk, "dimension": 6, "written_on": "2026-11-02"}
    with pytest.raises(followthrough.FollowThroughError):
        followthrough.action_note_add(
            action=action,
            text="later",
            written_on=timezone.localdate() + datetime.timedelta(days=1),
            by=facilitator_user,
        )
    with pytest.raises(followthrough.FollowThroughError):
        followthrough.action_note_add(
            action=action, text="   ", written_on=timezone.localdate(), by=facilitator_user
        )
    assert ActionNote.objects.count() == 1


def test_a_collecting_rounds_actions_are_not_followed_up(baseline, facilitator_user):
    Assessment.objects.filter(pk=baseline.pk).update(status=Assessment.Status.COLLECTING)
    with pytest.raises(followthrough.FollowThroughError):
        followthrough.action_follow_up(
            action=action_of(baseline, 4),
            owner="x",
            review_date=None,
            status=PriorityAction.Status.DONE,
            by=facilitator_user,
        )


def test_action_page_saves_progress_and_a_note(facilitator, baseline):
    action = action_of(baseline, 4)
    assert facilitator.get(action_url(action)).status_code == 200
    response = facilitator.post(
        action_url(action), {"status": "done", "owner": "Council", "review_date": "2026-05-01"}
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "done"
    response = facilitator.post(
        action_url(action, "action_note_add"),
        {"written_on": "2026-05-02", "text": "Finished at the May board"},
    )
    assert response.status_code == 302
    html = facilitator.get(action_url(action)).content.decode()
    assert "Finished at the May board" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "finished", "owner": "Council"}, "Select a valid choice"),
        ({"status": "done", "owner": ""}, "This field is required"),
        ({"status": "done", "owner": "KEEP-OWNER", "review_date": "31/31/2026"}, "valid date"),
    ],
)
def test_action_page_bad_input_is_400_with_a_summary_and_keeps_the_input(
    facilitator, baseline, data, message
):
    action = action_of(baseline, 4)
    response = facilitator.post(action_url(action), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert data["owner"] in html
    action.refresh_from_db()
    assert action.status == "not-started"


def test_note_bad_input_is_400_and_keeps_the_text(facilitator, baseline):
    action = action_of(baseline, 4)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = facilitator.post(
        action_url(action, "action_note_add"), {"written_on": tomorrow, "text": "KEEP-NOTE"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "KEEP-NOTE" in html
    assert "cannot be dated in the future" in html
    assert not ActionNote.objects.exists()


def test_evaluator_cannot_change_an_action(evaluator, other_facilitator, baseline):
    action = action_of(baseline, 4)
    data = {"status": "done", "owner": "x"}
    assert evaluator.post(action_url(action), data).status_code == 403
    assert other_facilitator.post(action_url(action), data).status_code == 404
    action.refresh_from_db()
    assert action.status == "not-started"


# --- the open-actions page -------------------------------------------------------------------------


def actions_url(community) -> str:  # type: ignore[no-untyped-def]
    return reverse("assessments:community_actions", kwargs={"slug": community.slug})


def test_open_actions_lists_open_ones_with_overdue_marked_and_latest_note(
    facilitator, facilitator_user, community, baseline
):
    overdue = action_of(baseline, 4)
    PriorityAction.objects.filter(pk=overdue.pk).update(
        review_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    followthrough.action_note_add(
        action=overdue, text="older note", written_on=datetime.date(2026, 1, 1), by=facilitator_user
    )
    followthrough.action_note_add(
        action=overdue,
        text="NEWEST-NOTE",
        written_on=datetime.date(2026, 2, 1),
        by=facilitator_user,
    )
    done = action_of(baseline, 6)
    PriorityAction.objects.filter(pk=done.pk).update(status=PriorityAction.Status.DONE)
    html = facilitator.get(actions_url(community)).content.decode()
    assert overdue.action in html
    assert done.action not in html
    assert "NEWEST-NOTE" in html and "older note" not in html
    assert "Overdue" in html
    assert "Update status or add a note" in html


def test_open_actions_evaluator_reads_finalised_rounds_only_without_forms(
    evaluator, community, baseline
):
    workshop = make_round(community, title="2024 review", finalise=False)
    PriorityAction.objects.filter(consensus__assessment=workshop).update(action="WORKSHOP-STEP")
    html = evaluator.get(actions_url(community)).content.decode()
    assert action_of(baseline, 4).action in html
    assert "WORKSHOP-STEP" not in html
    assert "Update status or add a note" not in html


def test_open_actions_other_facilitator_404(other_facilitator, community, baseline):
    assert other_facilitator.get(actions_url(community)).status_code == 404


def _rounds_with_actions(community, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        assessment = make_round(community, title=f"Round {i}", participants=0)
        for action in PriorityAction.objects.filter(consensus__assessment=assessment):
            for day in (1, 2):
                ActionNote.objects.create(
                    action=action, text=f"note {day}", written_on=datetime.date(2026, 1, day)
                )


def test_open_actions_query_count_does_not_grow(facilitator, facilitator_user, community):
    _rounds_with_actions(community, 1)
    big = CommunityFactory(slug="big")
    FocalIssueFactory(community=big)
    MembershipFactory(user=facilitator_user, community=big)
    _rounds_with_actions(big, 5)
    small_count, small = count_queries(facilitator, actions_url(community))
    big_count, large = count_queries(facilitator, actions_url(big))
    assert small.status_code == large.status_code == 200
    assert large.content.decode().count("open-action") > small.content.decode().count("open-action")
    # session, user, the community, its open actions with their rounds, dimensions and notes
    assert small_count == big_count == 4


# --- backup ------------------------------------------------------------------------------------


def test_backup_round_trip_carries_targets_statuses_and_notes(community, facilitator_user):
    import json

    from assessments.backup import community_export, community_import
    from tests.assessments.test_backup import wipe_everything

    baseline = make_round(community)
    ConsensusScore.objects.filter(assessment=baseline, dimension__number=4).update(
        target_level=4, move_up="Pool the budgets"
    )
    action = action_of(baseline, 4)
    followthrough.action_follow_up(
        action=action,
        owner="Council",
        review_date=datetime.date(2026, 9, 1),
        status=PriorityAction.Status.IN_PROGRESS,
        by=facilitator_user,
    )
    PriorityAction.objects.filter(pk=action.pk).update(reminded_at=timezone.now())
    followthrough.action_note_add(
        action=action, text="Board met", written_on=datetime.date(2026, 8, 1), by=facilitator_user
    )
    original = json.loads(json.dumps(community_export(community), default=str))
    wipe_everything()
    restored = community_import(original)
    score = ConsensusScore.objects.get(
        assessment__community=restored, assessment__title="2022 baseline", dimension__number=4
    )
    assert (score.target_level, score.move_up) == (4, "Pool the budgets")
    back = score.actions.get()
    assert (back.status, back.owner, back.review_date) == (
        "in-progress",
        "Council",
        datetime.date(2026, 9, 1),
    )
    assert back.reminded_at is not None
    note = back.notes.get()
    assert (note.text, note.written_on, note.author.username) == (  # type: ignore[union-attr]
        "Board met",
        datetime.date(2026, 8, 1),
        "fac",
    )
    assert json.loads(json.dumps(community_export(restored), default=str)) == original


def test_the_audit_trail_shows_an_action_change_with_labels(
    facilitator, facilitator_user, baseline
):
    followthrough.action_follow_up(
        action=action_of(baseline, 4),
        owner="Council",
        review_date=None,
        status=PriorityAction.Status.DONE,
        by=facilitator_user,
    )
    html = facilitator.get(
        reverse("assessments:audit", kwargs={"code": baseline.code})
    ).content.decode()
    assert "Action changed" in html
    assert "Due date" in html and "Done" in html and "Not started" in html
    assert "(details not shown)" not in html


def test_a_stakeholders_finalised_sheet_shows_targets_and_statuses_not_notes(
    baseline, facilitator_user
):
    from django.test import Client

    from assessments.models import Participant

    ConsensusScore.objects.filter(assessment=baseline, dimension__number=4).update(target_level=3)
    followthrough.action_follow_up(
        action=action_of(baseline, 4),
        owner="Council",
        review_date=None,
        status=PriorityAction.Status.IN_PROGRESS,
        by=facilitator_user,
    )
    followthrough.action_note_add(
        action=action_of(baseline, 4),
        text="NOTE-NOT-FOR-LINKS",
        written_on=timezone.localdate(),
        by=facilitator_user,
    )
    participant = Participant.objects.filter(assessment=baseline).first()
    assert participant is not None
    html = Client().get(f"/s/{participant.link_token}/").content.decode()
    assert "target 3" in html and "In progress" in html
    assert "NOTE-NOT-FOR-LINKS" not in html


def test_a_target_overtaken_by_a_new_agreed_level_is_asked_for_again(facilitator, workshop_round):
    score = priority(workshop_round, 4)
    ConsensusScore.objects.filter(pk=score.pk).update(target_level=3, level=3)
    html = facilitator.get(
        reverse("assessments:priorities", kwargs={"code": workshop_round.code})
    ).content.decode()
    assert "choose the target again" in html
    score.refresh_from_db()
    assert followthrough.valid_target(score) is None
