"""Services for running a round: create it, add participants, show and revoke links, invite
and remind.

Every write is a typed, keyword-only function inside `transaction.atomic` that leaves an audit
trail. A personal link is derived from a server key and the participant's link version
(link_tokens.py), so an invitation, a reminder, a printed slip and the facilitator's "show link"
all give the same link: a reminder never stops a link someone already has. Only revoking, an
explicit act, changes it; the person's draft belongs to the participant, not to the link, so
nothing they typed is lost either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from communities.models import Community, Language, Nation, Stakeholder

from .models import Assessment, AuditEvent, Participant, Rubric, audit

if TYPE_CHECKING:
    from communities.models import User


class RoundError(Exception):
    """A round operation that cannot be done; the message is for the facilitator.

    `field` names the form field the message belongs to (None: the form as a whole), so the
    page can show it beside what was typed and link to it from the error summary.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def personal_link(token: str) -> str:
    """The absolute `/s/<token>/` address, for emails and the "copy link" box."""
    return settings.SITE_URL + reverse("assessments:sheet", kwargs={"token": token})


@transaction.atomic
def round_create(
    *,
    community: Community,
    title: str,
    kind: str,
    deadline: date | None,
    workshop_date: date | None,
    by: User,
) -> Assessment:
    focal_issue = community.current_focal_issue
    if focal_issue is None:
        raise RoundError(_("This community has no current focal issue. Add one first."))
    previous = (
        Assessment.objects.filter(community=community)
        .finalised()
        .order_by("-finalised_at", "-pk")
        .first()
    )
    assessment = Assessment(
        community=community,
        focal_issue=focal_issue,
        rubric=Rubric.current(),
        title=title,
        kind=kind,
        deadline=deadline,
        workshop_date=workshop_date,
        previous=previous,
        created_by=by,
    )
    assessment.full_clean()
    assessment.save()
    audit(
        verb=AuditEvent.Verb.ROUND_CREATED,
        summary=_("Round “%(title)s” created by %(user)s") % {"title": title, "user": by},
        actor=by,
        assessment=assessment,
    )
    return assessment


def _check_can_open(assessment: Assessment, deadline: date | None) -> None:
    """Opening collection with nobody to answer, or past its own deadline, helps no one: the
    links would lead nowhere, or to a sheet that says it is already late."""
    if not assessment.participants.exists():
        raise RoundError(
            _(
                "Add at least one person to the round before opening collection: "
                "nobody could answer."
            )
        )
    if deadline is not None and deadline < timezone.localdate():
        raise RoundError(
            _(
                "The deadline for private scores (%(date)s) is in the past. Choose a later date, "
                "or leave it empty for no deadline."
            )
            % {"date": formats.date_format(deadline, "j F Y")},
            field="deadline",
        )


@transaction.atomic
def round_move(
    *,
    assessment: Assessment,
    to: str,
    by: User,
    deadline: date | Literal[False] | None = False,
) -> None:
    """Open or close collection (the lifecycle methods raise TransitionError).

    Opening may set a new deadline at the same time (`deadline`; False keeps the round's own),
    and is refused with a RoundError when nobody is in the round or the deadline has passed.
    """
    before = assessment.get_status_display()
    if to == Assessment.Status.COLLECTING:
        new_deadline = assessment.deadline if deadline is False else deadline
        # Only from a status that may open (else open_collection's TransitionError says why).
        if assessment.status in (Assessment.Status.DRAFT, Assessment.Status.WORKSHOP):
            _check_can_open(assessment, new_deadline)
        if new_deadline != assessment.deadline:
            assessment.deadline = new_deadline
            assessment.save(update_fields=["deadline"])
        assessment.open_collection()
    elif to == Assessment.Status.WORKSHOP:
        assessment.close_collection()
    else:
        raise RoundError(_("That status change is not done from this page."))
    audit(
        verb=AuditEvent.Verb.STATUS_CHANGED,
        summary=_("%(user)s moved the round from “%(from)s” to “%(to)s”")
        % {"user": by, "from": before, "to": assessment.get_status_display()},
        actor=by,
        assessment=assessment,
        detail={"to": to},
    )


@transaction.atomic
def participants_add(
    *,
    assessment: Assessment,
    stakeholders: Iterable[Stakeholder],
    by: User,
    language: str = "",
) -> list[Participant]:
    """Invite stakeholders of the round's community; people already in the round are skipped.

    Each has a personal link from the start (derived, nothing stored); the facilitator sends
    it afterwards, by email, a printed slip or a copied link.
    """
    if assessment.status not in (Assessment.Status.DRAFT, Assessment.Status.COLLECTING):
        raise RoundError(_("People can only be added before collection closes."))
    already = set(assessment.participants.values_list("stakeholder_id", flat=True))
    new = [
        Participant(
            assessment=assessment,
            stakeholder=s,
            sector=s.sector,
            language=language,
        )
        for s in stakeholders
        if s.community_id == assessment.community_id
        and s.pk not in already
        and s.is_active
        and s.erased_at is None
    ]
    created = Participant.objects.bulk_create(new)
    if created:
        audit(
            verb=AuditEvent.Verb.COMMUNITY_CHANGED,
            summary=_("%(user)s added %(n)d people to the round") % {"user": by, "n": len(created)},
            actor=by,
            assessment=assessment,
        )
    return created


@transaction.atomic
def participant_link_show(*, participant: Participant, by: User) -> str:
    """The participant's current link, for the facilitator to copy; recorded, because a link
    opens the person's own sheet."""
    audit(
        verb=AuditEvent.Verb.LINK_SHOWN,
        summary=_("%(user)s was shown the personal link of %(name)s")
        % {"user": by, "name": participant.stakeholder.name},
        actor=by,
        assessment=participant.assessment,
        detail={"participant": str(participant.code)},
    )
    return participant.link_token


@transaction.atomic
def participant_mark_invited(*, participant: Participant, by: User) -> bool:
    """The facilitator sent the link themselves (copied or on a slip). False if already so."""
    _collecting_or_draft(participant.assessment)
    if participant.invited_at is not None:
        return False
    participant.invited_at = timezone.now()
    participant.save(update_fields=["invited_at"])
    audit(
        verb=AuditEvent.Verb.LINK_ISSUED,
        summary=_("%(user)s sent %(name)s their personal link by hand")
        % {"user": by, "name": participant.stakeholder.name},
        actor=by,
        assessment=participant.assessment,
        detail={"participant": str(participant.code)},
    )
    return True


@transaction.atomic
def participant_link_revoke(*, participant: Participant, by: User) -> str:
    """Stop the person's link (every copy of it: emails, slips) and return the new one."""
    locked = Participant.objects.select_for_update().get(pk=participant.pk)
    locked.revoke_link()
    participant.link_version, participant.token_hash = locked.link_version, locked.token_hash
    participant.token_issued_at = locked.token_issued_at
    audit(
        verb=AuditEvent.Verb.LINK_REVOKED,
        summary=_("%(user)s revoked the personal link of %(name)s (a new one replaces it)")
        % {"user": by, "name": participant.stakeholder.name},
        actor=by,
        assessment=participant.assessment,
        detail={"participant": str(participant.code)},
    )
    return participant.link_token


@transaction.atomic
def slips_printed(*, assessment: Assessment, participants: list[Participant], by: User) -> None:
    """Record that invitation slips (with the links on them) were printed, and for how many."""
    audit(
        verb=AuditEvent.Verb.SLIPS_PRINTED,
        summary=_("%(user)s printed invitation slips for %(n)d people")
        % {"user": by, "n": len(participants)},
        actor=by,
        assessment=assessment,
    )


def email_languages(participant: Participant) -> list[str]:
    """The languages of a participant's invitation and reminders: theirs when known; when not,
    Welsh then English for a community in Wales (both in one email), otherwise English."""
    if participant.language in dict(settings.LANGUAGES):
        return [participant.language]
    if participant.assessment.community.nation == Nation.WALES:
        return [Language.WELSH, Language.ENGLISH]
    return [settings.LANGUAGE_CODE]


def _send_sheet_email(
    *, participant: Participant, template: str, connection: BaseEmailBackend
) -> None:
    assessment = participant.assessment
    context = {
        "participant": participant,
        "name": participant.stakeholder.name,
        "assessment": assessment,
        "community": assessment.community,
        "focal_issue": assessment.focal_issue,
        "deadline": assessment.deadline,
        "link": personal_link(participant.link_token),
    }
    subjects, bodies = [], []
    languages = email_languages(participant)
    for language in languages:
        with translation.override(language):
            subject = render_to_string(f"assessments/email/{template}_subject.txt", context)
            bodies.append(render_to_string(f"assessments/email/{template}_body.txt", context))
        subjects.append(" ".join(subject.split()))
    EmailMessage(
        subject=" / ".join(subjects),
        body="\n\n----------------------------------------\n\n".join(b.strip() for b in bodies)
        + "\n",
        to=[participant.stakeholder.email],
        # Mail programs (and screen readers) read each part in the right language.
        headers={
            "Content-Language": ", ".join(
                translation.to_locale(code).replace("_", "-") for code in languages
            )
        },
        connection=connection,
    ).send()


def _collecting_or_draft(assessment: Assessment) -> None:
    if assessment.status not in (Assessment.Status.DRAFT, Assessment.Status.COLLECTING):
        raise RoundError(_("Invitations can only be sent before collection closes."))


@transaction.atomic
def invitations_send(
    *, assessment: Assessment, participants: Iterable[Participant], by: User
) -> int:
    """Email each participant (who has an address) their personal link. Returns how many."""
    _collecting_or_draft(assessment)
    connection = get_connection()
    sent = 0
    now = timezone.now()
    for participant in participants:
        if participant.assessment_id != assessment.pk or not participant.stakeholder.email:
            continue
        _send_sheet_email(participant=participant, template="invitation", connection=connection)
        participant.invited_at = now
        participant.save(update_fields=["invited_at"])
        audit(
            verb=AuditEvent.Verb.INVITATION_SENT,
            summary=_("%(user)s emailed an invitation to %(name)s")
            % {"user": by, "name": participant.stakeholder.name},
            actor=by,
            assessment=assessment,
            detail={"participant": str(participant.code)},
        )
        sent += 1
    return sent


@dataclass(frozen=True)
class ReminderResult:
    sent: int
    without_email: int


@transaction.atomic
def reminders_send(*, assessment: Assessment, by: User) -> ReminderResult:
    """Remind everyone who has not submitted, in one go, with the same link as before."""
    if not assessment.is_collecting:
        raise RoundError(_("Reminders can only be sent while collection is open."))
    connection = get_connection()
    now = timezone.now()
    sent = without_email = 0
    pending = assessment.participants.filter(submitted_at__isnull=True).select_related(
        "stakeholder", "assessment__community", "assessment__focal_issue"
    )
    for participant in pending:
        if not participant.stakeholder.email:
            without_email += 1
            continue
        _send_sheet_email(participant=participant, template="reminder", connection=connection)
        participant.reminded_at = now
        participant.invited_at = participant.invited_at or now
        participant.save(update_fields=["reminded_at", "invited_at"])
        sent += 1
    if sent:
        audit(
            verb=AuditEvent.Verb.REMINDER_SENT,
            summary=_("%(user)s reminded %(n)d people who had not submitted")
            % {"user": by, "n": sent},
            actor=by,
            assessment=assessment,
        )
    return ReminderResult(sent=sent, without_email=without_email)


class Step(StrEnum):
    """The round's next step, in the order a round goes through them."""

    ADD_PEOPLE = "add-people"
    OPEN = "open"
    INVITE = "invite"
    CLOSE = "close"
    ANALYSIS = "analysis"
    WORKSHOP = "workshop"
    PRIORITIES = "priorities"
    FINALISE = "finalise"
    REPORT = "report"


@dataclass(frozen=True)
class Progress:
    """What the round page knows about how far a round has got (counts only, no answers)."""

    status: str
    people: int = 0
    invited: int = 0
    not_invited_with_email: int = 0
    dimensions: int = 0
    agreed: int = 0
    priorities: int = 0
    workshop_started: bool = False
    workshop_due: bool = False


def next_step(progress: Progress) -> Step:
    """The one thing to do next, which the round page makes its primary button.

    Add people → open collection → send invitations → close collection → study the spread →
    run the workshop → choose priorities → finalise → the report. Invitations stay the next
    step while someone with an email address has not been sent one, or nobody at all has been
    invited (slips or a copied link count once the person is marked invited). The analysis
    comes before the workshop until the workshop has begun (an agreed level, the spread shown,
    the room moved on) or its date has come.
    """
    status = Assessment.Status
    if progress.status == status.DRAFT:
        return Step.OPEN if progress.people else Step.ADD_PEOPLE
    if progress.status == status.COLLECTING:
        if not progress.people:
            return Step.ADD_PEOPLE
        if progress.not_invited_with_email or not progress.invited:
            return Step.INVITE
        return Step.CLOSE
    if progress.status == status.WORKSHOP:
        begun = progress.agreed or progress.workshop_started or progress.workshop_due
        if not begun:
            return Step.ANALYSIS
        if progress.agreed < progress.dimensions:
            return Step.WORKSHOP
        if not progress.priorities:
            return Step.PRIORITIES
        return Step.FINALISE
    return Step.REPORT
