"""Personal and room links: turning a `/s/<token>/` into a participant, or a clear refusal.

Lookups are rate limited per client address so that guessing links is pointless (and a 128-bit
MAC under a server key makes it hopeless anyway).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities.models import Membership
from smm_site.clients import client_ip

from . import link_tokens
from .models import Assessment, Participant, RevokedLink, hash_token

logger = logging.getLogger(__name__)

# Where attempts are counted while the shared cache (Redis) does not answer: this process alone.
# Redis is tried again only after a pause, so that a Redis gone quiet costs one timeout and one
# warning per pause in each process, not one per request.
local_counts = LocMemCache("smm-rate-limit", {})
RETRY_SHARED_AFTER = 30.0  # seconds
_shared_failed_at: float | None = None


class LinkError(Exception):
    """A personal link that cannot be used; `status` is the HTTP status to answer with."""

    def __init__(
        self, status: int, message: str, *, revoked_for: Participant | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        # For a revoked link: whose it was, so its page can name the round and whom to ask.
        self.revoked_for = revoked_for


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
    return LinkError(429, _("Too many requests. Please wait a minute and try again."))


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


def _with_related(for_page: bool) -> Any:
    # Nothing more than needed (the rubric's id is on the round) and no ORDER BY: each table
    # joined costs PostgreSQL planning time and Django compiling time on every lookup.
    related = ["stakeholder", "assessment"]
    if for_page:
        related += ["assessment__community", "assessment__focal_issue"]
    return Participant.objects.select_related(*related).order_by()


def _revoked(participant: Participant) -> LinkError:
    return LinkError(
        410,
        _("This link has been revoked. Ask the round's facilitator for your current link."),
        revoked_for=participant,
    )


def resolve_token(token: str, *, for_page: bool = True) -> Participant:
    """The participant behind a personal link, or LinkError (404 unknown / 410 revoked or
    erased); no rate limit: `participant_for_token` is the way in for a request.

    A link is derived (link_tokens.py) or, if issued before derived links, looked up by hash.
    """
    parsed = link_tokens.parse_token(token)
    participant = None
    if parsed is not None:
        if link_tokens.is_genuine(link_tokens.PERSONAL, parsed):
            participant = _with_related(for_page).filter(code=parsed.code).first()
        if participant is not None and parsed.version != participant.link_version:
            if parsed.version < participant.link_version:
                raise _revoked(participant)
            participant = None  # a version not yet made: never issued by us
    else:
        token_hash = hash_token(token)
        participant = _with_related(for_page).filter(token_hash=token_hash).first()
        if participant is None:
            revoked = (
                RevokedLink.objects.select_related("participant__assessment__community")
                .filter(token_hash=token_hash)
                .first()
            )
            if revoked is not None:
                raise _revoked(revoked.participant)
    if participant is None:
        raise LinkError(404, _("We could not find this link. Ask your facilitator for a new link."))
    if participant.stakeholder.erased_at is not None:
        raise LinkError(
            410, _("This link is no longer active. Ask your facilitator for a new link.")
        )
    return participant


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
    try:
        participant = resolve_token(token, for_page=for_page)
    except LinkError as error:
        if error.status == 404 or error.revoked_for is not None:
            check_rate_limit(request)
        raise
    if participant.language in dict(settings.LANGUAGES):
        # The person's language (set by the facilitator, or with the switcher on the sheet)
        # over the browser's, for this page and its response headers (smm_site/i18n.py).
        translation.activate(participant.language)
        request.LANGUAGE_CODE = participant.language
    return participant


def round_for_room_token(token: str) -> Assessment | None:
    """The round behind a room link (derived, current version; or a hashed one from before)."""
    rounds = Assessment.objects.select_related("community", "rubric")
    parsed = link_tokens.parse_token(token)
    if parsed is None:
        return rounds.filter(room_token_hash=hash_token(token)).exclude(room_token_hash="").first()
    if parsed.version < 1 or not link_tokens.is_genuine(link_tokens.ROOM, parsed):
        return None
    return rounds.filter(code=parsed.code, room_link_version=parsed.version).first()


def contacts_for(assessment: Assessment) -> list[str]:
    """Whom a person with a revoked link should ask: the round's facilitators, by name only
    (nobody's email or any other person's details are shown on a link's page)."""
    users = [
        m.user
        for m in Membership.objects.filter(
            community_id=assessment.community_id, user__is_active=True
        )
        .select_related("user")
        .order_by("-is_local_lead", "user__last_name", "user__username")
    ]
    if assessment.created_by_id is not None:
        # The one who set up the round first: most likely the one who sent the link.
        users.sort(key=lambda u: u.pk != assessment.created_by_id)
    return [u.get_full_name() or u.username for u in users[:3]]


def error_context(error: LinkError) -> dict[str, Any]:
    """What a link's error page shows: for a revoked link, which round and whom to ask."""
    context: dict[str, Any] = {"error": error, "status": error.status}
    if error.revoked_for is not None:
        assessment = error.revoked_for.assessment
        context.update(
            revoked_round=assessment,
            community=assessment.community,
            contacts=contacts_for(assessment),
        )
    return context
