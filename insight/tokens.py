"""API tokens: made and revoked by their owner, on the tokens page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Max, QuerySet

from .models import ApiToken

if TYPE_CHECKING:
    from communities.models import User

# Enough for a few notebooks and scripts; more usually means old ones were never revoked.
MAX_ACTIVE_TOKENS = 10


class TokenLimitError(Exception):
    pass


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's tokens with how often and when they were last used. One query."""
    return ApiToken.objects.filter(user=user).annotate(
        use_count=Count("uses"), last_used_at=Max("uses__at")
    )


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    if ApiToken.objects.active().filter(user=user).count() >= MAX_ACTIVE_TOKENS:
        raise TokenLimitError
    return ApiToken.issue(user=user, name=name)


def token_revoke(*, user: User, code: str) -> ApiToken | None:
    """Revoke one of the user's own tokens (None when they have no such token)."""
    token = ApiToken.objects.filter(user=user, code=code).first()
    if token is not None:
        token.revoke()
    return token
