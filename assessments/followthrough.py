"""Priorities followed through to the next round.

A priority dimension gets a target level and "what would move us up one level" in the workshop;
its actions get an owner, a due date, a status and dated progress notes, kept up between rounds
by the community's facilitators (a finalised round's agreed scores stay locked, its actions do
not). Reminders go to the facilitators when a due date or the next review passes, and the next
round opens with "since last time": what the previous round chose, and whether it got there.

Writes are typed keyword-only services in `transaction.atomic`, each writing an audit event.
Nothing here reads an individual score: levels come from agreed (consensus) scores only.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import (
    MAX_LEVEL,
    ActionNote,
    Assessment,
    AuditEvent,
    ConsensusScore,
    LevelDescriptor,
    PriorityAction,
    audit,
)
from .rubric_texts import dimension_name

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import Community, User

    Actor = User | AnonymousUser


class FollowThroughError(Exception):
    """A write that is not allowed; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class TargetConflict(Exception):
    """Someone else changed this target after the form was loaded."""

    def __init__(self, current: ConsensusScore) -> None:
        super().__init__("target changed since the form was loaded")
        self.current = current


# --- targets ---------------------------------------------------------------------------------


def next_level_text(consensus: ConsensusScore) -> str:
    """The rubric's description of the level above the agreed one ("" at level 5)."""
    if consensus.level >= MAX_LEVEL:
        return ""
    descriptor = LevelDescriptor.objects.filter(
        dimension_id=consensus.dimension_id, level=consensus.level + 1
    ).first()
    return descriptor.text if descriptor else ""


def target_fingerprint(consensus: ConsensusScore) -> str:
    """What the target form was loaded with. Not ConsensusScore.version: bumping that would make
    the presenter's open form for the same dimension look stale, as priorities_set explains."""
    text = f"{consensus.target_level or ''}|{consensus.move_up}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def valid_target(consensus: ConsensusScore) -> int | None:
    """The target, unless the agreed level was changed to it or above after it was set (then
    there is no target until the group sets one again)."""
    target = consensus.target_level
    return target if target is not None and target > consensus.level else None


def target_errors(*, level: int, target_level: int | None) -> str:
    """Why a target is refused ("" when it is fine): above the agreed level, at most 5."""
    if target_level is None:
        return ""
    if level >= MAX_LEVEL:
        return _("The agreed level is already 5, the top of the model: there is no higher target.")
    if not level < target_level <= MAX_LEVEL:
        return _("The target must be above the agreed level (%(level)s) and at most 5.") % {
            "level": level
        }
    return ""


@transaction.atomic
def target_save(
    *,
    assessment: Assessment,
    consensus: ConsensusScore,
    target_level: int | None,
    move_up: str,
    loaded: str,
    by: Actor,
) -> ConsensusScore:
    """Record a priority's target, in the workshop stage only (like the priorities it belongs
    to). `loaded` is `target_fingerprint` as the form showed it; a moved-on target raises
    TargetConflict instead of being overwritten."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != Assessment.Status.WORKSHOP:
        raise FollowThroughError(
            _("Targets are set in the workshop stage; this round is “%(status)s”.")
            % {"status": locked.get_status_display()}
        )
    current = (
        ConsensusScore.objects.select_for_update()
        .select_related("dimension")
        .get(pk=consensus.pk, assessment=assessment)
    )
    if not current.is_priority:
        raise FollowThroughError(_("Only a priority dimension has a target."), 400)
    if loaded != target_fingerprint(current):
        raise TargetConflict(current)
    if message := target_errors(level=current.level, target_level=target_level):
        raise FollowThroughError(message, 400)
    before = {"target_level": current.target_level, "move_up": current.move_up}
    current.target_level, current.move_up = target_level, move_up.strip()
    current.full_clean(exclude=["assessment", "dimension", "updated_by"])
    current.save(update_fields=["target_level", "move_up", "updated_at"])
    after = {"target_level": current.target_level, "move_up": current.move_up}
    audit(
        verb=AuditEvent.Verb.TARGET_SAVED,
        summary=_("Target for “%(dimension)s” saved: level %(target)s")
        % {"dimension": dimension_name(current.dimension), "target": target_level or "–"},
        actor=by,
        assessment=assessment,
        detail={"dimension": current.dimension.number, "before": before, "after": after},
    )
    return current


# --- actions between rounds ------------------------------------------------------------------

# Rounds whose actions are followed up: the workshop one (as it is planned) and finalised ones.
FOLLOWED_STATUSES = (Assessment.Status.WORKSHOP, Assessment.Status.FINALISED)


def _followed(action: PriorityAction) -> tuple[Assessment, PriorityAction]:
    """The action and its round under row locks, refusing a round not yet at its workshop."""
    locked = (
        PriorityAction.objects.select_for_update()
        .select_related("consensus__dimension")
        .get(pk=action.pk)
    )
    assessment = Assessment.objects.select_for_update().get(pk=locked.consensus.assessment_id)
    if assessment.status not in FOLLOWED_STATUSES:
        raise FollowThroughError(
            _("This round's next steps are followed up once it reaches its workshop again.")
        )
    return assessment, locked


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


FOLLOW_FIELDS = ("owner", "review_date", "status")


def _field_label(name: str) -> str:
    field = PriorityAction._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


@transaction.atomic
def action_follow_up(
    *,
    action: PriorityAction,
    owner: str,
    review_date: date | None,
    status: str,
    by: Actor,
) -> list[str]:
    """Change an action's owner, due date or status, also in a finalised round (its agreed
    levels and the step itself stay as agreed). Returns the changed fields; none, no event."""
    assessment, locked = _followed(action)
    before = {name: getattr(locked, name) for name in FOLLOW_FIELDS}
    locked.owner, locked.review_date, locked.status = owner.strip(), review_date, status
    changed = [name for name in FOLLOW_FIELDS if getattr(locked, name) != before[name]]
    if not changed:
        return []
    locked.full_clean()
    locked.save(update_fields=[*changed, "updated_at"])
    action.owner, action.review_date, action.status = locked.owner, review_date, status
    audit(
        verb=AuditEvent.Verb.ACTION_SAVED,
        summary=_("Next step for “%(dimension)s” updated: %(fields)s")
        % {
            "dimension": dimension_name(locked.consensus.dimension),
            "fields": ", ".join(_field_label(name) for name in changed),
        },
        actor=by,
        assessment=assessment,
        detail={
            "action": locked.pk,
            "dimension": locked.consensus.dimension.number,
            "changed": changed,
            "before": {n: _plain(before[n]) for n in changed},
            "after": {n: _plain(getattr(locked, n)) for n in changed},
        },
    )
    return changed


@transaction.atomic
def action_note_add(
    *, action: PriorityAction, text: str, written_on: date, by: Actor
) -> ActionNote:
    """A dated progress note; the date may be in the past (noting a meeting late), not ahead."""
    assessment, locked = _followed(action)
    if not text.strip():
        raise FollowThroughError(_("Write what has happened."), 400)
    if written_on > timezone.localdate():
        raise FollowThroughError(_("A progress note cannot be dated in the future."), 400)
    note = ActionNote(
        action=locked,
        text=text.strip(),
        written_on=written_on,
        author=by if by.is_authenticated else None,  # type: ignore[misc]
    )
    note.full_clean(exclude=["author"])
    note.save()
    # The action counts as touched, for "last updated" on the open-actions page.
    locked.save(update_fields=["updated_at"])
    audit(
        verb=AuditEvent.Verb.ACTION_NOTE_ADDED,
        summary=_("Progress note added to a next step for “%(dimension)s”")
        % {"dimension": dimension_name(locked.consensus.dimension)},
        actor=by,
        assessment=assessment,
        detail={
            "action": locked.pk,
            "dimension": locked.consensus.dimension.number,
            "written_on": written_on.isoformat(),
        },
    )
    return note


OPEN_STATUSES = (PriorityAction.Status.NOT_STARTED, PriorityAction.Status.IN_PROGRESS)


def _with_latest_note(actions: Any) -> Any:
    latest = ActionNote.objects.filter(action=OuterRef("pk")).order_by("-written_on", "-pk")
    return actions.annotate(
        latest_note=Subquery(latest.values("text")[:1]),
        latest_note_on=Subquery(latest.values("written_on")[:1]),
    )


@dataclass
class OpenGroup:
    """One priority dimension of one round, with its open actions."""

    assessment: Assessment
    consensus: ConsensusScore
    actions: list[PriorityAction] = field(default_factory=list)


def open_actions(community: Community, *, finalised_only: bool) -> list[OpenGroup]:
    """Every open action (not done, not dropped) of the community's rounds, newest round first,
    then by dimension. One query, whatever the number of rounds, actions and notes; each action
    carries `latest_note`, `latest_note_on` and `overdue`."""
    rounds = Q(consensus__assessment__status__in=FOLLOWED_STATUSES)
    if finalised_only:
        rounds = Q(consensus__assessment__status=Assessment.Status.FINALISED)
    actions = _with_latest_note(
        PriorityAction.objects.filter(
            rounds, consensus__assessment__community=community, status__in=OPEN_STATUSES
        )
        .select_related("consensus__dimension", "consensus__assessment")
        .order_by(
            "-consensus__assessment__created_at",
            "consensus__assessment_id",
            "consensus__dimension__number",
            "review_date",
            "pk",
        )
    )
    today = timezone.localdate()
    groups: dict[int, OpenGroup] = {}
    for action in actions:
        action.overdue = bool(action.review_date and action.review_date < today)  # type: ignore[attr-defined]
        consensus = action.consensus
        group = groups.setdefault(
            consensus.pk, OpenGroup(assessment=consensus.assessment, consensus=consensus)
        )
        group.actions.append(action)
    return list(groups.values())


# --- since last time -------------------------------------------------------------------------


@dataclass(frozen=True)
class SinceAction:
    text: str
    owner: str
    status: str
    status_label: str
    review_date: date | None
    latest_note: str
    latest_note_on: date | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class SinceRow:
    number: int
    name: str
    level_then: int
    target: int | None
    move_up: str
    level_now: int | None  # this round's agreed level; None before agreement
    actions: list[SinceAction]

    @property
    def reached(self) -> bool | None:
        """Whether this round's agreed level reached the target (None: no target, or not
        agreed yet)."""
        if self.target is None or self.level_now is None:
            return None
        return self.level_now >= self.target


@dataclass(frozen=True)
class SinceLastTime:
    previous: Assessment
    rows: list[SinceRow]

    @property
    def with_target(self) -> int:
        return sum(1 for row in self.rows if row.target is not None)

    @property
    def reached_count(self) -> int:
        return sum(1 for row in self.rows if row.reached)


_UNSET: Any = object()


def since_last_time(
    assessment: Assessment,
    *,
    previous: Assessment | None = _UNSET,
    levels_now: dict[int, int] | None = None,
) -> SinceLastTime | None:
    """The previous round's priorities, targets and actions (with their statuses and latest
    notes), and this round's agreed level beside each: what the analysis page, the presenter,
    the report page and its PDF open with. None when there is no previous round.

    Two queries (the previous round's priorities, their actions with their latest notes), plus
    one to find the previous round when it is not linked and not given, and one for this
    round's agreed levels when `levels_now` (dimension number → level) is not given. Dimensions
    are matched by number, as the report's change over time does across rubric versions."""
    from .reports.data import previous_round

    if previous is _UNSET:
        previous = previous_round(assessment)
    if previous is None:
        return None
    priorities = list(
        ConsensusScore.objects.filter(assessment=previous, is_priority=True)
        .select_related("dimension")
        .order_by("dimension__number")
    )
    if not priorities:
        return SinceLastTime(previous=previous, rows=[])
    actions: dict[int, list[SinceAction]] = defaultdict(list)
    found = _with_latest_note(
        PriorityAction.objects.filter(consensus__in=[p.pk for p in priorities]).order_by("pk")
    )
    for action in found:
        actions[action.consensus_id].append(
            SinceAction(
                text=action.action,
                owner=action.owner,
                status=action.status,
                status_label=str(action.get_status_display()),
                review_date=action.review_date,
                latest_note=action.latest_note or "",  # type: ignore[attr-defined]
                latest_note_on=action.latest_note_on,  # type: ignore[attr-defined]
            )
        )
    if levels_now is None:
        levels_now = dict(
            ConsensusScore.objects.filter(assessment=assessment).values_list(
                "dimension__number", "level"
            )
        )
    rows = [
        SinceRow(
            number=p.dimension.number,
            name=dimension_name(p.dimension),
            level_then=p.level,
            target=valid_target(p),
            move_up=p.move_up,
            level_now=levels_now.get(p.dimension.number),
            actions=actions[p.pk],
        )
        for p in priorities
    ]
    return SinceLastTime(previous=previous, rows=rows)


# --- reminders -------------------------------------------------------------------------------


@dataclass
class ReminderSummary:
    emails: int = 0
    actions: int = 0
    reviews: int = 0


REVIEW_DUE = "review-due"
ACTIONS_DUE = "actions-due"


def _facilitator_addresses(community: Community) -> dict[tuple[str, ...], list[str]]:
    """The addresses to remind, by the languages of their email: the facilitator's own
    (User.language) when chosen; otherwise as for a participant (rounds.email_languages):
    Welsh then English in one email for a community in Wales, else English."""
    from communities.models import Language, Nation, User

    users = User.objects.filter(memberships__community=community, is_active=True).exclude(email="")
    # Evaluators read everything but follow nothing up; only a community's own facilitators
    # (and an admin who is one of them) are reminded.
    users = users.exclude(role=User.Role.EVALUATOR, is_superuser=False)
    unknown: tuple[str, ...] = (
        (Language.WELSH, Language.ENGLISH)
        if community.nation == Nation.WALES
        else (settings.LANGUAGE_CODE,)
    )
    known = dict(settings.LANGUAGES)
    groups: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for user in users.only("email", "language"):
        groups[(user.language,) if user.language in known else unknown].add(user.email)
    return {languages: sorted(emails) for languages, emails in sorted(groups.items())}


def _reviews_due(today: date) -> list[Assessment]:
    """Finalised rounds whose next review date has passed, with no newer round in their
    community, and not reminded about yet for that date (the audit trail is the record)."""
    newer = Assessment.objects.filter(
        community=OuterRef("community"), created_at__gt=OuterRef("created_at")
    )
    rounds = (
        Assessment.objects.finalised()
        .filter(next_review_due__lt=today, community__archived_at__isnull=True)
        .exclude(Exists(newer))
        .select_related("community")
    )
    due = []
    for assessment in rounds:
        reminded = AuditEvent.objects.filter(
            assessment=assessment,
            verb=AuditEvent.Verb.ACTION_REMINDER_SENT,
            detail__kind=REVIEW_DUE,
            detail__due=assessment.next_review_due.isoformat(),  # type: ignore[union-attr]
        ).exists()
        if not reminded:
            due.append(assessment)
    return due


def _actions_due(today: date) -> list[PriorityAction]:
    """Open actions of finalised rounds whose due date has passed, not yet reminded about since
    that date (a due date moved later is reminded about again once it passes)."""
    return list(
        PriorityAction.objects.filter(
            status__in=OPEN_STATUSES,
            review_date__lt=today,
            consensus__assessment__status=Assessment.Status.FINALISED,
            consensus__assessment__community__archived_at__isnull=True,
        )
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__date__lt=F("review_date")))
        .select_related("consensus__dimension", "consensus__assessment__community")
        .order_by("consensus__assessment__community__name", "review_date", "pk")
    )


def send_action_reminders(*, today: date | None = None) -> ReminderSummary:
    """Email each community's facilitators the open actions whose due date has passed, and the
    rounds whose next review is overdue, once each. For cron (`manage.py send_action_reminders`)
    or the worker (`assessments.tasks.send_action_reminders_task`)."""
    today = today or timezone.localdate()
    summary = ReminderSummary()
    by_community: dict[int, dict[str, Any]] = {}
    for action in _actions_due(today):
        community = action.consensus.assessment.community
        entry = by_community.setdefault(
            community.pk, {"community": community, "actions": [], "reviews": []}
        )
        entry["actions"].append(action)
    for assessment in _reviews_due(today):
        entry = by_community.setdefault(
            assessment.community_id,
            {"community": assessment.community, "actions": [], "reviews": []},
        )
        entry["reviews"].append(assessment)
    for entry in by_community.values():
        community = entry["community"]
        to = _facilitator_addresses(community)
        if not to:
            continue  # nobody to tell yet: tried again on the next run
        _send_reminder(community=community, entry=entry, to=to, today=today)
        summary.emails += len(to)
        summary.actions += len(entry["actions"])
        summary.reviews += len(entry["reviews"])
    return summary


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def _send_reminder(
    *,
    community: Community,
    entry: dict[str, Any],
    to: dict[tuple[str, ...], list[str]],
    today: date,
) -> None:
    actions: list[PriorityAction] = entry["actions"]
    reviews: list[Assessment] = entry["reviews"]
    context = {
        "community": community,
        "actions": [
            {
                "action": action,
                "dimension": action.consensus.dimension,
                "assessment": action.consensus.assessment,
                "days": (today - action.review_date).days,  # type: ignore[operator]
                "link": _absolute(
                    reverse(
                        "assessments:action_detail",
                        kwargs={"code": action.consensus.assessment.code, "pk": action.pk},
                    )
                ),
            }
            for action in actions
        ],
        "reviews": reviews,
        "open_actions": _absolute(
            reverse("assessments:community_actions", kwargs={"slug": community.slug})
        ),
        "new_round": _absolute(reverse("communities:detail", kwargs={"slug": community.slug})),
    }
    for languages, addresses in to.items():
        subjects, bodies = [], []
        for language in languages:
            # Each part wholly in its language: messages, dates, and the dimensions' names.
            with translation.override(language):
                subject = render_to_string("assessments/email/action_reminder_subject.txt", context)
                bodies.append(
                    render_to_string("assessments/email/action_reminder_body.txt", context)
                )
            subjects.append(" ".join(subject.split()))
        EmailMessage(
            subject=" / ".join(subjects),
            body="\n\n----------------------------------------\n\n".join(b.strip() for b in bodies)
            + "\n",
            to=addresses,
            headers={
                "Content-Language": ", ".join(
                    translation.to_locale(code).replace("_", "-") for code in languages
                )
            },
        ).send()
    recipients = sum(len(addresses) for addresses in to.values())
    now = timezone.now()
    by_round: dict[int, list[PriorityAction]] = defaultdict(list)
    for action in actions:
        by_round[action.consensus.assessment_id].append(action)
    PriorityAction.objects.filter(pk__in=[a.pk for a in actions]).update(reminded_at=now)
    for round_actions in by_round.values():
        assessment = round_actions[0].consensus.assessment
        audit(
            verb=AuditEvent.Verb.ACTION_REMINDER_SENT,
            summary=_(
                "Reminder sent to %(n)d facilitators: %(count)d next steps past their due date"
            )
            % {"n": recipients, "count": len(round_actions)},
            assessment=assessment,
            detail={
                "kind": ACTIONS_DUE,
                "actions": [a.pk for a in round_actions],
                "sent_to": recipients,
            },
        )
    for assessment in reviews:
        audit(
            verb=AuditEvent.Verb.ACTION_REMINDER_SENT,
            summary=_("Reminder sent to %(n)d facilitators: the next review was due %(date)s")
            % {"n": recipients, "date": assessment.next_review_due},
            assessment=assessment,
            detail={
                "kind": REVIEW_DUE,
                "due": assessment.next_review_due.isoformat(),  # type: ignore[union-attr]
                "sent_to": recipients,
            },
        )
