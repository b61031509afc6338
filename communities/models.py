"""Places, their focal issues, organisations, stakeholders, and who facilitates them."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class Language(models.TextChoices):
    """The interface's languages (settings.LANGUAGES), each named in itself, as a language
    switcher names them: a Welsh speaker looks for "Cymraeg", not for "Welsh"."""

    ENGLISH = "en-gb", "English"
    WELSH = "cy", "Cymraeg"


class User(AbstractUser):
    """An account. Admins are superusers; evaluators read everything; facilitators
    reach the communities they are members of."""

    class Role(models.TextChoices):
        FACILITATOR = "facilitator", _("Facilitator")
        EVALUATOR = "evaluator", _("Evaluator")

    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.FACILITATOR
    )
    # Kept by communities/accounts.py beside the django-otp devices, so that the two-factor
    # middleware knows from the user row (read on every request anyway) whether to ask for a
    # code, rather than querying the devices on every page of everyone without one.
    has_two_factor = models.BooleanField(
        _("two-factor authentication"), default=False, editable=False
    )
    # Part of the session hash: replacing it ends every session of the user at once (sign out
    # everywhere, deactivation). Empty for users who never did either, whose sessions hash
    # exactly as Django's own, so that adding the field signed nobody out.
    session_salt = models.CharField(max_length=32, blank=True, editable=False)
    # Chosen with the language switcher; empty: the browser's language (smm_site/i18n.py).
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, blank=True, default=""
    )

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django's get_session_auth_hash and get_session_auth_fallback_hash both call this one
        # (an HMAC of the password hash); ours adds the salt.
        if not self.session_salt:
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "smm.User.get_session_auth_hash",
            f"{self.password}:{self.session_salt}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def account_role(self) -> str:
        """facilitator, evaluator or admin, as the users page and invitations name them."""
        return AccountRole.ADMIN if self.is_superuser else self.role

    @property
    def is_evaluator(self) -> bool:
        return self.role == self.Role.EVALUATOR and not self.is_superuser

    @property
    def can_read_all(self) -> bool:
        """Evaluators and admins see every community (evaluators read-only)."""
        return self.is_superuser or self.role == self.Role.EVALUATOR


class AccountRole(models.TextChoices):
    """The roles an invitation can give: admins are superusers, the others `User.role`."""

    FACILITATOR = "facilitator", _("Facilitator")
    EVALUATOR = "evaluator", _("Evaluator")
    ADMIN = "admin", _("Admin")


class Nation(models.TextChoices):
    ENGLAND = "england", _("England")
    WALES = "wales", _("Wales")
    SCOTLAND = "scotland", _("Scotland")
    NORTHERN_IRELAND = "northern-ireland", _("Northern Ireland")


class Sector(models.TextChoices):
    STATUTORY = "statutory", _("Statutory / public body")
    HEALTH = "health", _("Health")
    POLICE_JUSTICE = "police-justice", _("Police / justice")
    HOUSING = "housing", _("Housing")
    VCS = "vcs", _("Voluntary and community sector")
    SMALL_CHARITY = "small-charity", _("Small charity")
    PRIVATE = "private", _("Private sector")
    FAITH = "faith", _("Faith group")
    LIVED_EXPERIENCE = "lived-experience", _("Lived-experience group")


class SectorGroup(models.TextChoices):
    """Coarse groups for breakdowns, big enough that small-number suppression rarely bites."""

    STATUTORY = "statutory", _("Statutory and public services")
    VOLUNTARY = "voluntary", _("Voluntary, community, faith and private")
    LIVED_EXPERIENCE = "lived-experience", _("Lived experience")


SECTOR_GROUP: dict[str, str] = {
    Sector.STATUTORY: SectorGroup.STATUTORY,
    Sector.HEALTH: SectorGroup.STATUTORY,
    Sector.POLICE_JUSTICE: SectorGroup.STATUTORY,
    Sector.HOUSING: SectorGroup.STATUTORY,
    Sector.VCS: SectorGroup.VOLUNTARY,
    Sector.SMALL_CHARITY: SectorGroup.VOLUNTARY,
    Sector.PRIVATE: SectorGroup.VOLUNTARY,
    Sector.FAITH: SectorGroup.VOLUNTARY,
    Sector.LIVED_EXPERIENCE: SectorGroup.LIVED_EXPERIENCE,
}

# Voices the seed document says must be at the table; their absence is shown as a gap.
EXPECTED_SECTORS: tuple[str, ...] = (
    Sector.STATUTORY,
    Sector.HEALTH,
    Sector.POLICE_JUSTICE,
    Sector.HOUSING,
    Sector.VCS,
    Sector.SMALL_CHARITY,
    Sector.LIVED_EXPERIENCE,
)


class CommunityQuerySet(models.QuerySet["Community"]):
    def visible_to(self, user: User | AnonymousUser) -> CommunityQuerySet:
        if not user.is_authenticated:
            return self.none()
        if user.can_read_all:  # type: ignore[union-attr]
            return self.all()
        return self.filter(memberships__user=user)

    def active(self) -> CommunityQuerySet:
        """Not archived: the dashboard lists these."""
        return self.filter(archived_at__isnull=True)

    def editable_by(self, user: User | AnonymousUser) -> CommunityQuerySet:
        """Only facilitators who are members (and admins) may change a community."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        if user.is_evaluator:  # type: ignore[union-attr]
            return self.none()
        return self.filter(memberships__user=user)


class Community(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    nation = models.CharField(_("nation"), max_length=20, choices=Nation.choices)
    local_authority = models.CharField(_("local authority"), max_length=160, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Archived communities leave the dashboard; their rounds and reports are kept as they are.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("communities:detail", kwargs={"slug": self.slug})

    @property
    def current_focal_issue(self) -> FocalIssue | None:
        # Uses the prefetch cache when the caller prefetched focal_issues.
        for issue in self.focal_issues.all():
            if issue.status == FocalIssue.Status.CURRENT:
                return issue
        return None


class FocalIssue(models.Model):
    """What a community chose to work on. Focal issues get narrowed, reset or replaced,
    so old ones are kept with the reason they changed."""

    class Status(models.TextChoices):
        CURRENT = "current", _("Current")
        NARROWED = "narrowed", _("Narrowed")
        RESET = "reset", _("Reset")
        REPLACED = "replaced", _("Replaced")
        CLOSED = "closed", _("Closed")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="focal_issues")
    title = models.CharField(_("title"), max_length=200)
    area = models.CharField(
        _("area"),
        max_length=80,
        help_text=_("A short theme used to compare communities, e.g. homelessness."),
    )
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CURRENT
    )
    started_on = models.DateField(_("chosen on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    change_reason = models.TextField(_("why it changed"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["community"],
                condition=Q(status="current"),
                name="focal_issue_one_current_per_community",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="focal_issue_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Organisation(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "community",
                Lower("name"),
                name="organisation_unique_name_per_community",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StakeholderQuerySet(models.QuerySet["Stakeholder"]):
    def active(self) -> StakeholderQuerySet:
        return self.filter(is_active=True, erased_at__isnull=True)


class Stakeholder(models.Model):
    """A person in a community's network. No account: they score through personal links."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="stakeholders")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="stakeholders",
        null=True,
        blank=True,
    )
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    role = models.CharField(
        _("role"),
        max_length=120,
        blank=True,
        help_text=_("e.g. Local Implementation Lead, partner, commissioner, lived experience"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Set when a person asks to be forgotten: identity gone, anonymous scores kept.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StakeholderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "community",
                Lower("email"),
                condition=~Q(email=""),
                name="stakeholder_unique_email_per_community",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user who facilitates a community."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    is_local_lead = models.BooleanField(_("Local Implementation Lead"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["community__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community"], name="membership_unique_user_community"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.community}"


def hash_invitation_token(token: str) -> str:
    """Only the SHA-256 of an invitation link is stored; the link itself is emailed once."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An admin's invitation to open an account: a single-use link that sets the password."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Replaced or withdrawn")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=20, choices=AccountRole.choices)
    communities = models.ManyToManyField(
        Community,
        blank=True,
        related_name="+",
        verbose_name=_("communities"),
        help_text=_("The communities a facilitator will facilitate."),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        help_text="The account made from this invitation.",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def state_at(self, now: datetime) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= now:
            return self.State.EXPIRED
        return self.State.PENDING

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())
