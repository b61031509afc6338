"""Reminders to a community's facilitators: open next steps past their due date, and a next
review that is due. Sent once per due date, to facilitators only, audited."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from assessments.followthrough import send_action_reminders
from assessments.models import Assessment, AuditEvent, PriorityAction
from assessments.tasks import send_action_reminders_task
from communities.models import User
from tests.assessments.test_reports_data import make_round
from tests.factories import MembershipFactory, UserFactory

TODAY = datetime.date(2026, 12, 3)


@pytest.fixture
def people(community, facilitator_user, other_facilitator_user):  # type: ignore[no-untyped-def]
    lead = UserFactory(username="lead")
    MembershipFactory(user=lead, community=community)
    # An evaluator who somehow holds a membership is still not reminded; nor is someone
    # without an address, or a deactivated account.
    watcher = UserFactory(username="watcher", role=User.Role.EVALUATOR)
    MembershipFactory(user=watcher, community=community)
    MembershipFactory(user=UserFactory(username="noaddress", email=""), community=community)
    MembershipFactory(user=UserFactory(username="gone", is_active=False), community=community)
    return facilitator_user, lead


@pytest.fixture
def finalised(community):  # type: ignore[no-untyped-def]
    """A finalised round with priorities 4 and 6, their next steps due 1 June 2026; its next
    review not due yet."""
    assessment = make_round(community)
    Assessment.objects.filter(pk=assessment.pk).update(next_review_due=datetime.date(2028, 1, 1))
    return assessment


def actions(assessment: Assessment) -> list[PriorityAction]:
    return list(
        PriorityAction.objects.filter(consensus__assessment=assessment).order_by(
            "consensus__dimension__number"
        )
    )


def test_overdue_open_actions_are_emailed_to_the_facilitators_once(people, finalised):
    first, second = actions(finalised)
    PriorityAction.objects.filter(pk=second.pk).update(status=PriorityAction.Status.IN_PROGRESS)
    summary = send_action_reminders(today=TODAY)
    assert (summary.emails, summary.actions, summary.reviews) == (1, 2, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["fac@example.org", "lead@example.org"]
    assert message.subject == "Halton: 2 next steps are past their due date"
    assert first.action in message.body and second.action in message.body
    assert f"/rounds/{finalised.code}/actions/{first.pk}/" in message.body
    assert "/communities/halton/actions/" in message.body
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.ACTION_REMINDER_SENT)
    assert event.assessment == finalised and event.actor is None
    assert event.detail == {"kind": "actions-due", "actions": [first.pk, second.pk], "sent_to": 2}
    # Once per due date: the next run sends nothing.
    assert send_action_reminders(today=TODAY + datetime.timedelta(days=1)).emails == 0
    assert len(mail.outbox) == 1


def test_done_dropped_and_not_yet_due_actions_are_not_reminded(people, finalised):
    first, second = actions(finalised)
    PriorityAction.objects.filter(pk=first.pk).update(status=PriorityAction.Status.DONE)
    PriorityAction.objects.filter(pk=second.pk).update(status=PriorityAction.Status.DROPPED)
    assert send_action_reminders(today=TODAY).emails == 0
    PriorityAction.objects.filter(pk=second.pk).update(
        status=PriorityAction.Status.NOT_STARTED, review_date=TODAY
    )
    assert send_action_reminders(today=TODAY).emails == 0  # due today: not passed yet
    assert mail.outbox == []


def test_a_due_date_moved_later_is_reminded_again_once_it_passes(people, finalised):
    first, _second = actions(finalised)
    PriorityAction.objects.filter(pk=_second.pk).update(status=PriorityAction.Status.DONE)
    assert send_action_reminders(today=TODAY).actions == 1
    PriorityAction.objects.filter(pk=first.pk).update(review_date=datetime.date(2027, 2, 1))
    assert send_action_reminders(today=datetime.date(2027, 1, 31)).emails == 0
    assert send_action_reminders(today=datetime.date(2027, 2, 2)).actions == 1
    assert len(mail.outbox) == 2


def test_a_workshop_rounds_actions_are_not_reminded(people, community):
    make_round(community, finalise=False)
    assert send_action_reminders(today=TODAY).emails == 0


def test_the_next_review_due_is_reminded_once_and_not_when_a_newer_round_exists(
    people, community, finalised
):
    PriorityAction.objects.filter(consensus__assessment=finalised).update(
        status=PriorityAction.Status.DONE
    )
    Assessment.objects.filter(pk=finalised.pk).update(next_review_due=datetime.date(2026, 11, 1))
    summary = send_action_reminders(today=TODAY)
    assert (summary.emails, summary.reviews) == (1, 1)
    assert "next review is due" in mail.outbox[0].subject
    assert "2022 baseline was due on 1 November 2026" in mail.outbox[0].body
    event = AuditEvent.objects.get(verb=AuditEvent.Verb.ACTION_REMINDER_SENT)
    assert event.detail == {"kind": "review-due", "due": "2026-11-01", "sent_to": 2}
    assert send_action_reminders(today=TODAY).emails == 0
    # A newer round started: no reminder even for a new due date.
    Assessment.objects.filter(pk=finalised.pk).update(next_review_due=datetime.date(2026, 11, 2))
    make_round(community, title="2024 review", finalise=False)
    assert send_action_reminders(today=TODAY).emails == 0
    assert len(mail.outbox) == 1


def test_other_communities_facilitators_are_not_told(people, finalised, other_community):
    send_action_reminders(today=TODAY)
    assert all("otherfac@example.org" not in m.to for m in mail.outbox)


def test_the_command_and_the_task_send_the_same_reminders(people, finalised, capsys):
    call_command("send_action_reminders", "--today", TODAY.isoformat())
    assert "1 reminder emails sent: 2 next steps" in capsys.readouterr().out
    assert len(mail.outbox) == 1
    result = send_action_reminders_task.enqueue()
    assert result.return_value == {"emails": 0, "actions": 0, "reviews": 0}
