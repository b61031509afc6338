"""Personal links: turning a `/s/<token>/` into a participant, or a clear refusal.

Lookups are rate limited per client address so that guessing tokens is pointless (and 256-bit
tokens make it hopeless anyway).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from django.utils import timezone

from smm_site.clients import client_ip

from .models import Participant, RevokedLink, hash_token

logger = logging.getLogger(__name__)

# Where attempts are counted while the shared cache (Redis) does not answer: this process alone.
# Redis is tried again only after a pause, so that a Redis gone quiet costs one timeout and one
# warning per pause in each process, not one per request.
local_counts = LocMemCache("smm-rate-limit", {})
RETRY_SHARED_AFTER = 30.0  # seconds
_shared_failed_at: float | None = None


class LinkError(Exception):
    """A personal link that cannot be used; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _window() -> int:
    """The current minute: attempts are counted per clock minute."""
    return int(timezone.now().timestamp() // 60)


def _bucket_key(request: HttpRequest, bucket: str) -> str:
    # The real client, not our proxy; a forged X-Forwarded-For is ignored (smm_site/clients.py).
    return f"ratelimit:{bucket}:{client_ip(request)}:{_window()}"


def _counted[T](operation: Callable[[BaseCache], T]) -> T:
    """`operation` on the shared cache, or on this process's counts while that does not answer."""
    global _shared_failed_at
    if _shared_failed_at is not None and time.monotonic() - _shared_failed_at < RETRY_SHARED_AFTER:
        return operation(local_counts)
    try:
        result = operation(cache)
    except Exception:  # any failure of the cache server; a rate limit must never cause a 5xx
        _shared_failed_at = time.monotonic()
        logger.warning(
            "The cache does not answer: link rate limits count in this process alone for %d s",
            RETRY_SHARED_AFTER,
            exc_info=True,
        )
        return operation(local_counts)
    _shared_failed_at = None
    return result


def _increment(counts: BaseCache, key: str) -> int:
    counts.add(key, 0, timeout=120)
    try:
        return counts.incr(key)
    except ValueError:  # expired between add and incr
        counts.set(key, 1, timeout=120)
        return 1


def _too_many() -> LinkError:
    return LinkError(429, "Too many requests. Please wait a minute and try again.")


def check_rate_limit(request: HttpRequest, bucket: str = "link") -> None:
    """Count one attempt from this address and refuse (429) past the per-minute limit."""
    key = _bucket_key(request, bucket)
    if _counted(lambda counts: _increment(counts, key)) > settings.SMM_TOKEN_LOOKUPS_PER_MINUTE:
        raise _too_many()


def refuse_if_limited(request: HttpRequest, bucket: str = "link") -> None:
    """Refuse (429) an address that has used up its attempts, without counting this one."""
    key = _bucket_key(request, bucket)
    if _counted(lambda counts: counts.get(key, 0)) >= settings.SMM_TOKEN_LOOKUPS_PER_MINUTE:
        raise _too_many()


def participant_for_token(
    request: HttpRequest, token: str, *, for_page: bool = True
) -> Participant:
    """The participant behind a personal link, or LinkError(404 unknown / 410 revoked / 429).

    With `for_page`, the round's community and focal issue come too (every page shows them);
    without, only the stakeholder and the round, which is all a write such as autosave needs.

    Only failed lookups count against the limit: guessing is what the limit is for, while a
    room of people on one venue's wifi autosaving their sheets must never be throttled. An
    address that has used up its attempts is refused every lookup until the minute passes.
    """
    refuse_if_limited(request)
    token_hash = hash_token(token)
    # Nothing more than needed (the rubric's id is on the round) and no ORDER BY: each table
    # joined costs PostgreSQL planning time and Django compiling time on every lookup.
    related = ["stakeholder", "assessment"]
    if for_page:
        related += ["assessment__community", "assessment__focal_issue"]
    participant = (
        Participant.objects.select_related(*related)
        .filter(token_hash=token_hash)
        .order_by()
        .first()
    )
    if participant is None:
        check_rate_limit(request)
        if RevokedLink.objects.filter(token_hash=token_hash).exists():
            raise LinkError(
                410,
                "This link has been replaced by a newer one. Ask your facilitator for a new link.",
            )
        raise LinkError(404, "We could not find this link. Ask your facilitator for a new link.")
    if participant.stakeholder.erased_at is not None:
        raise LinkError(410, "This link is no longer active. Ask your facilitator for a new link.")
    return participant
