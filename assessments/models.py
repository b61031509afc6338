"""The model (rubric), rounds, participants, their private scores, and agreed scores."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community, FocalIssue, Language, Stakeholder

from . import link_tokens

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from communities.models import User

MIN_LEVEL = 1
MAX_LEVEL = 5
LEVELS = range(MIN_LEVEL, MAX_LEVEL + 1)
REASON_MAX_LENGTH = 5000


def hash_token(token: str) -> str:
    """The SHA-256 of a link: how links made before derived links (link_tokens.py) are kept."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    # 32 bytes = 256 bits from the OS's CSPRNG, URL-safe.
    return secrets.token_urlsafe(32)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    # Clamp to the month's last day (31 Aug + 18 months = 28/29 Feb).
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


class Rubric(models.Model):
    """A version of the System Maturity Model. Rounds keep the version they were scored on."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    source = models.CharField(_("source"), max_length=200, blank=True)
    is_current = models.BooleanField(_("current"), default=False)
    published_on = models.DateField(_("published on"), null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="rubric_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"

    @classmethod
    def current(cls) -> Rubric:
        return cls.objects.get(is_current=True)


class Dimension(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="dimensions")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=120)
    # The paper score sheet prints names in capitals with its own line breaks.
    sheet_label = models.CharField(_("score sheet label"), max_length=120)

    class Meta:
        ordering = ["rubric", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["rubric", "number"], name="dimension_unique_number_per_rubric"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="dimension_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class LevelDescriptor(models.Model):
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField(_("level"))
    text = models.TextField(_("description"))

    class Meta:
        ordering = ["dimension", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "level"], name="level_descriptor_unique_level"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=MIN_LEVEL) & Q(level__lte=MAX_LEVEL),
                name="level_descriptor_level_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension.name} – {self.level}"


LEVEL_LABELS = {1: _("just getting started"), 5: _("really doing well")}


class TransitionError(Exception):
    """A status change the lifecycle does not allow."""


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def visible_to(self, user: User | AnonymousUser) -> AssessmentQuerySet:
        # The same rule as Community.objects.visible_to, written as a join rather than
        # `community__in=<subquery>`: every page asks this, and the subquery form cost about
        # twice as much to plan. One membership per user and community, so no duplicates.
        if not user.is_authenticated:
            return self.none()
        if user.can_read_all:  # type: ignore[union-attr]
            return self.all()
        return self.filter(community__memberships__user=user)

    def finalised(self) -> AssessmentQuerySet:
        return self.filter(status=Assessment.Status.FINALISED)


class Assessment(models.Model):
    """A round: one community, one focal issue, scored against one rubric version."""

    class Kind(models.TextChoices):
        BASELINE = "baseline", _("Baseline")
        REVIEW = "review", _("Review")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COLLECTING = "collecting", _("Collecting private scores")
        WORKSHOP = "workshop", _("Consensus workshop")
        FINALISED = "finalised", _("Finalised")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="assessments")
    focal_issue = models.ForeignKey(
        FocalIssue, on_delete=models.PROTECT, related_name="assessments"
    )
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="assessments")
    title = models.CharField(_("title"), max_length=120, help_text=_('e.g. "2022 baseline"'))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    deadline = models.DateField(_("deadline for private scores"), null=True, blank=True)
    workshop_date = models.DateField(_("workshop date"), null=True, blank=True)
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The community's previous finalised round, for comparison."),
    )
    next_review_due = models.DateField(_("next review due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    collection_opened_at = models.DateTimeField(null=True, blank=True)
    collection_closed_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    # Workshop state shared by presenter and follow-along views.
    current_dimension = models.PositiveSmallIntegerField(default=1)
    spread_revealed = models.BooleanField(default=False)
    # A room link made before links were derived from a key: only its hash, kept working until
    # a new room link is made.
    room_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # 0 = no room link yet; making a new one bumps it, which stops the previous one.
    room_link_version = models.PositiveIntegerField(default=0)
    # Seeds the stable shuffle of anonymous reasons, so order never reveals who wrote when.
    shuffle_seed = models.BigIntegerField(default=0, editable=False)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_dimension__gte=1), name="assessment_current_dimension_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="finalised") | Q(finalised_at__isnull=False),
                name="assessment_finalised_has_timestamp",
            ),
        ]
        indexes = [
            models.Index(
                fields=["community", "status", "-finalised_at"], name="assessment_comm_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community.name}: {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.shuffle_seed:
            self.shuffle_seed = secrets.randbits(62)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("assessments:round", kwargs={"code": self.code})

    @property
    def is_finalised(self) -> bool:
        return self.status == self.Status.FINALISED

    @property
    def is_collecting(self) -> bool:
        return self.status == self.Status.COLLECTING

    # Lifecycle: draft → collecting → workshop → finalised; reopen is explicit and audited.
    _TRANSITIONS: dict[str, set[str]] = {
        Status.DRAFT: {Status.COLLECTING},
        Status.COLLECTING: {Status.WORKSHOP},
        Status.WORKSHOP: {Status.FINALISED, Status.COLLECTING},
        Status.FINALISED: {Status.WORKSHOP},
    }

    def _move(self, to: str) -> str:
        if to not in self._TRANSITIONS[self.status]:
            raise TransitionError(
                _("A round cannot go from “%(from)s” to “%(to)s”.")
                % {"from": self.get_status_display(), "to": self.Status(to).label}
            )
        before, self.status = self.status, to
        return before

    def open_collection(self) -> None:
        self._move(self.Status.COLLECTING)
        self.collection_opened_at = self.collection_opened_at or timezone.now()
        self.save(update_fields=["status", "collection_opened_at"])

    def close_collection(self) -> None:
        self._move(self.Status.WORKSHOP)
        self.collection_closed_at = timezone.now()
        self.save(update_fields=["status", "collection_closed_at"])

    def finalise(self, *, next_review_due: date | None = None) -> None:
        self._move(self.Status.FINALISED)
        self.finalised_at = timezone.now()
        self.next_review_due = next_review_due or add_months(
            timezone.localdate(), settings.SMM_NEXT_REVIEW_MONTHS
        )
        self.save(update_fields=["status", "finalised_at", "next_review_due"])

    def reopen(self) -> None:
        self._move(self.Status.WORKSHOP)
        self.finalised_at = None
        self.save(update_fields=["status", "finalised_at"])

    @property
    def has_room_link(self) -> bool:
        return self.room_link_version > 0 or bool(self.room_token_hash)

    @property
    def room_token(self) -> str:
        """The current room link's token ("" before one is made); the same every time."""
        if not self.room_link_version:
            return ""
        return link_tokens.make_token(link_tokens.ROOM, self.code, self.room_link_version)

    def issue_room_token(self) -> str:
        """A new room link; the previous one (derived or hashed) stops working."""
        self.room_link_version += 1
        self.room_token_hash = ""
        self.save(update_fields=["room_link_version", "room_token_hash"])
        return self.room_token

    @property
    def file_stem(self) -> str:
        """e.g. smm-halton-2022-baseline"""
        from django.utils.text import slugify

        return f"smm-{self.community.slug}-{slugify(self.title)}"


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def submitted(self) -> ParticipantQuerySet:
        return self.filter(submitted_at__isnull=False)


class Participant(models.Model):
    """A stakeholder invited to a round, reached through a personal link derived from a server
    key and `link_version` (link_tokens.py): the same link every time it is shown or sent."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="participants"
    )
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.PROTECT, related_name="participations"
    )
    # Snapshot at invitation, so breakdowns and erasure never change a round's figures.
    sector = models.CharField(max_length=30)
    # Only for a link issued before links were derived from a key (then only its hash was kept):
    # it keeps working beside the derived link until the link is revoked. Empty for new people.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # Revoking bumps it: every earlier link then gets the "revoked" page.
    link_version = models.PositiveIntegerField(default=1)
    # When the current link came into being (added to the round, or last revoked).
    token_issued_at = models.DateTimeField(default=timezone.now)
    invited_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Set when a facilitator typed in this person's paper sheet."),
    )
    # The language of the person's link and emails: set by the facilitator, or by the person
    # with the switcher on their sheet. Empty: not known (the browser's language; emails to a
    # Welsh community are then bilingual).
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, blank=True, default=""
    )
    # The person asked for the easy-read texts beside the official ones (their sheet's toggle).
    easy_read = models.BooleanField(_("easy read"), default=False)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["stakeholder__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "stakeholder"], name="participant_unique_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder.name} in {self.assessment.title}"

    @property
    def link_token(self) -> str:
        """The current personal link's token: the same each time until the link is revoked."""
        return link_tokens.make_token(link_tokens.PERSONAL, self.code, self.link_version)

    def revoke_link(self) -> None:
        """Stop every earlier link (derived or hashed) working; `link_token` is then new."""
        if self.token_hash and self.pk:
            RevokedLink.objects.get_or_create(token_hash=self.token_hash, participant=self)
        self.token_hash = None
        self.link_version += 1
        self.token_issued_at = timezone.now()
        if self.pk:
            self.save(update_fields=["token_hash", "link_version", "token_issued_at"])

    def issue_token(self) -> str:
        """Revoke the current link and return the new one."""
        self.revoke_link()
        return self.link_token

    @property
    def status_label(self) -> str:
        if self.submitted_at:
            return str(_("Submitted"))
        if self.draft_saved_at:
            return str(_("Saved a draft"))
        if self.opened_at:
            return str(_("Opened"))
        if self.invited_at:
            return str(_("Invited"))
        return str(_("Not yet invited"))


class RevokedLink(models.Model):
    """Hashes of revoked links from before derived links, so they say "revoked" (410), not 404.

    A revoked derived link needs no row: its version is below the participant's."""

    token_hash = models.CharField(max_length=64, unique=True)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="revoked_links"
    )
    revoked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"revoked link of {self.participant_id}"


class IndividualScore(models.Model):
    """One participant's private view of one dimension. Never shown with their name to anyone
    but themselves."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="scores")
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    not_sure = models.BooleanField(_("not sure"), default=False)
    reason = models.TextField(_("why"), blank=True, max_length=REASON_MAX_LENGTH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dimension__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "dimension"], name="individual_score_unique"
            ),
            models.CheckConstraint(
                condition=Q(level__isnull=True)
                | (Q(level__gte=MIN_LEVEL) & Q(level__lte=MAX_LEVEL)),
                name="individual_score_level_1_to_5",
            ),
            models.CheckConstraint(
                condition=~(Q(level__isnull=False) & Q(not_sure=True)),
                name="individual_score_level_or_not_sure",
            ),
        ]

    def __str__(self) -> str:
        return f"score {self.pk}"

    @property
    def is_answered(self) -> bool:
        return self.level is not None or self.not_sure


class ConsensusScore(models.Model):
    """The community's agreed level for one dimension, with the reasons."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="consensus_scores"
    )
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("agreed level"))
    reason = models.TextField(_("why we scored it this way"), max_length=REASON_MAX_LENGTH)
    dissent = models.TextField(_("note of dissent"), blank=True, max_length=REASON_MAX_LENGTH)
    is_priority = models.BooleanField(_("priority"), default=False)
    # For a priority: where the community means to be by the next round, and what would take it
    # one level up (prefilled with the next level's description, then the community's words).
    target_level = models.PositiveSmallIntegerField(_("target level"), null=True, blank=True)
    move_up = models.TextField(
        _("what would move us up one level"), blank=True, max_length=REASON_MAX_LENGTH
    )
    # Bumped on every save so a second facilitator's stale form is detected, not applied.
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dimension__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "dimension"], name="consensus_unique_per_dimension"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=MIN_LEVEL) & Q(level__lte=MAX_LEVEL),
                name="consensus_level_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(target_level__isnull=True)
                | (Q(target_level__gte=MIN_LEVEL) & Q(target_level__lte=MAX_LEVEL)),
                name="consensus_target_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.dimension.name} = {self.level}"


class PriorityAction(models.Model):
    """A next step for a priority dimension, followed between rounds by the facilitators."""

    class Status(models.TextChoices):
        NOT_STARTED = "not-started", _("Not started")
        IN_PROGRESS = "in-progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    consensus = models.ForeignKey(ConsensusScore, on_delete=models.CASCADE, related_name="actions")
    action = models.TextField(_("next step"), max_length=2000)
    owner = models.CharField(_("owner"), max_length=200)
    # The date the step is due and looked at again; the reminder goes out once it has passed.
    review_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NOT_STARTED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the facilitators were last reminded that the due date passed (one reminder per date).
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.action[:60]

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NOT_STARTED, self.Status.IN_PROGRESS)


class ActionNote(models.Model):
    """A dated note of progress on an action, written by one of the community's facilitators."""

    action = models.ForeignKey(PriorityAction, on_delete=models.CASCADE, related_name="notes")
    written_on = models.DateField(_("date"), default=timezone.localdate)
    text = models.TextField(_("progress note"), max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-written_on", "-pk"]

    def __str__(self) -> str:
        return self.text[:60]


class RoomVote(models.Model):
    """An anonymous show of hands in the workshop on one dimension: counts only.

    Nothing records who voted or what any phone chose; a phone keeps its own choice in a signed
    cookie so that a re-tap moves its one vote. A dimension may have several votes (before and
    after discussion), numbered from 1.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="room_votes")
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(default=1)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    revealed = models.BooleanField(default=False)
    level_1 = models.PositiveIntegerField(default=0)
    level_2 = models.PositiveIntegerField(default=0)
    level_3 = models.PositiveIntegerField(default=0)
    level_4 = models.PositiveIntegerField(default=0)
    level_5 = models.PositiveIntegerField(default=0)
    not_sure = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["dimension__number", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "dimension", "number"], name="room_vote_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: vote {self.number} on dimension {self.dimension_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def counts(self) -> dict[int, int]:
        return {level: getattr(self, f"level_{level}") for level in LEVELS}

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.not_sure


# Account events (communities/accounts.py, communities/two_factor.py) are audit events too:
# their verbs listed here, so that every page and the admin name them.
class AccountVerb(models.TextChoices):
    INVITED = "account-invited", _("Invited to an account")
    INVITATION_REVOKED = "account-invitation-revoked", _("Invitation withdrawn")
    INVITATION_ACCEPTED = "account-invitation-accepted", _("Invitation accepted")
    PASSWORD_RESET_REQUESTED = "password-reset-requested", _("Password reset asked for")
    PASSWORD_RESET_DONE = "password-reset-done", _("Password reset")
    PASSWORD_CHANGED = "password-changed", _("Password changed")
    DEACTIVATED = "account-deactivated", _("Account deactivated")
    REACTIVATED = "account-reactivated", _("Account reactivated")
    ROLE_CHANGED = "account-role-changed", _("Role changed")
    SIGNED_OUT_EVERYWHERE = "signed-out-everywhere", _("Signed out everywhere")
    TWO_FACTOR_SET_UP = "two-factor-set-up", _("Two-factor authentication set up")
    TWO_FACTOR_REMOVED = "two-factor-removed", _("Two-factor authentication removed")
    RECOVERY_CODES_RENEWED = "recovery-codes-renewed", _("New recovery codes")
    RECOVERY_CODE_USED = "recovery-code-used", _("Recovery code used")
    MEMBERSHIP_ADDED = "membership-added", _("Facilitator added")
    MEMBERSHIP_CHANGED = "membership-changed", _("Facilitator changed")
    MEMBERSHIP_REMOVED = "membership-removed", _("Facilitator removed")
    COMMUNITY_CREATED = "community-created", _("Community created")
    COMMUNITY_ARCHIVED = "community-archived", _("Community archived")
    COMMUNITY_UNARCHIVED = "community-unarchived", _("Community taken out of archive")


class AuditEvent(models.Model):
    """Who did what, when. Written by services, never edited."""

    class Verb(models.TextChoices):
        ROUND_CREATED = "round-created", _("Round created")
        STATUS_CHANGED = "status-changed", _("Status changed")
        REOPENED = "reopened", _("Round reopened")
        CONSENSUS_SAVED = "consensus-saved", _("Agreed score saved")
        PRIORITY_SAVED = "priority-saved", _("Priorities changed")
        TARGET_SAVED = "target-saved", _("Target level changed")
        ACTION_SAVED = "action-saved", _("Action changed")
        ACTION_NOTE_ADDED = "action-note-added", _("Progress note added")
        ACTION_REMINDER_SENT = "action-reminder-sent", _("Action reminder sent")
        VOTE_OPENED = "vote-opened", _("Room vote opened")
        VOTE_CLOSED = "vote-closed", _("Room vote closed")
        VOTE_REVEALED = "vote-revealed", _("Room vote shown")
        PAPER_ENTRY = "paper-entry", _("Paper sheet entered on someone's behalf")
        LINK_ISSUED = "link-issued", _("Personal link issued")
        LINK_REISSUED = "link-reissued", _("Personal link re-issued")
        LINK_SHOWN = "link-shown", _("Personal link shown")
        LINK_REVOKED = "link-revoked", _("Personal link revoked")
        SLIPS_PRINTED = "slips-printed", _("Invitation slips printed")
        INVITATION_SENT = "invitation-sent", _("Invitation sent")
        REMINDER_SENT = "reminder-sent", _("Reminder sent")
        EXPORTED = "exported", _("Data exported")
        DATA_EXPORTED = "data-exported", _("Personal data exported")
        ERASED = "erased", _("Personal data erased")
        COMMUNITY_CHANGED = "community-changed", _("Community data changed")
        TRANSLATION_APPROVED = "translation-approved", _("Rubric translation approved")

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verb = models.CharField(max_length=30, choices=[*Verb.choices, *AccountVerb.choices])
    summary = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The audit trail page: one round's events, newest first, a page at a time. Every
            # download and export adds a row, so this table grows fastest of all.
            models.Index(
                fields=["assessment", "-created_at", "-id"], name="auditevent_round_recent"
            ),
        ]

    def __str__(self) -> str:
        return self.summary


def audit(
    *,
    verb: str,
    summary: str,
    actor: User | AnonymousUser | None = None,
    assessment: Assessment | None = None,
    community: Community | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        verb=verb,
        summary=summary[:300],
        actor=actor if actor is not None and actor.is_authenticated else None,
        assessment=assessment,
        community=community or (assessment.community if assessment else None),
        detail=detail or {},
    )


# Evaluator pack jobs live in their own module; imported here so that Django finds the model.
from .pack_jobs import ReportJob  # noqa: E402, F401

# The rubric's Welsh and easy-read texts, likewise.
from .rubric_texts import DimensionText, LevelText, RubricTranslation  # noqa: E402, F401
