"""API tokens and the record of each request made with one."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from communities.models import User

# Tokens start with this, so that a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "smm_"  # noqa: S105 - a prefix, not a secret
# How much of a token the tokens page shows to tell them apart: a fifth of its 43 random
# characters, far too few to guess the rest.
SHOWN_LENGTH = 8


def hash_token(token: str) -> str:
    """A token is kept as its SHA-256 only: it has 256 random bits, so a slow hash adds nothing
    (unlike a password) and every request can look it up by its hash."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A user's key to the read-only API. The token itself is shown once, when it is made."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What it is for, e.g. “annual analysis notebook”.")
    )
    start = models.CharField(max_length=SHOWN_LENGTH + len(TOKEN_PREFIX), editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 - a pattern
                name="api_token_hash_is_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.start}…)"

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple[ApiToken, str]:
        """A new token for `user`: the row, and the token, which is never stored."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = cls(user=user, name=name, start=token[: len(TOKEN_PREFIX) + SHOWN_LENGTH])
        row.token_hash = hash_token(token)
        row.full_clean()
        row.save()
        return row, token

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class ApiTokenUse(models.Model):
    """One request made with a token: when, what it asked for, from where. A row per request
    rather than a last-used time, so that a leaked token's every use can be traced; in a table
    of its own, so that API traffic does not bury the rounds' audit trails."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="uses")
    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    client_ip = models.CharField(max_length=45, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["token", "-at"], name="api_token_use_recent")]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"
