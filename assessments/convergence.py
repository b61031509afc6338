"""Convergence: per dimension, the private spread → the room vote(s) → the agreed level, and a
"split" flag for a dimension the group did not really come together on.

Pure functions, no Django imports (tested with hypothesis). The rule, as the pages state it:

    Split: the private scores span 3 or more levels, or the last room vote shown had no level
    with at least half of its votes, or the agreed level is 2 or more levels from the private
    median.

Small numbers: the private criteria are used only when the spread itself may be shown (at least
MIN_GROUP_SIZE sheets; the caller passes None otherwise), and a room vote only once it was shown
(revealed, with at least MIN_GROUP_SIZE votes), so the flag never says more than the page may.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .aggregation import LEVELS, Spread

# A span of this many levels (e.g. 2 to 4) among the private scores counts as split.
SPLIT_PRIVATE_SPAN = 3
# An agreed level this far or further from the private median counts as split.
SPLIT_AGREED_DISTANCE = 2

# Why a dimension is split; the templates word each one.
PRIVATE_SPAN = "private-span"
NO_HALF = "vote-no-half"
AGREED_FAR = "agreed-far"


@dataclass(frozen=True)
class VoteTally:
    """One shown room vote: its number on the dimension and its counts."""

    number: int
    counts: Mapping[int, int]
    not_sure: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.not_sure

    @property
    def top_level(self) -> int | None:
        """The level with the most votes (the lower one on a tie); None without level votes."""
        best = max(LEVELS, key=lambda level: (self.counts.get(level, 0), -level))
        return best if self.counts.get(best, 0) else None

    @property
    def top_count(self) -> int:
        return max((self.counts.get(level, 0) for level in LEVELS), default=0)

    @property
    def has_half(self) -> bool:
        """Some level has at least half of all votes cast ("not sure" counts as a vote)."""
        return self.total > 0 and 2 * self.top_count >= self.total


@dataclass(frozen=True)
class Convergence:
    private: Spread | None  # None when the spread may not be shown
    votes: tuple[VoteTally, ...]
    agreed: int | None
    reasons: tuple[str, ...]

    @property
    def split(self) -> bool:
        return bool(self.reasons)

    @property
    def last_vote(self) -> VoteTally | None:
        return self.votes[-1] if self.votes else None

    @property
    def distance(self) -> float | None:
        """How far the agreed level is from the private median (always ≥ 0)."""
        if self.agreed is None or self.private is None or self.private.median is None:
            return None
        return abs(self.agreed - self.private.median)

    @property
    def has_anything(self) -> bool:
        return (
            bool(self.votes) or self.agreed is not None or bool(self.private and self.private.rated)
        )

    @property
    def private_span(self) -> bool:
        return PRIVATE_SPAN in self.reasons

    @property
    def no_half(self) -> bool:
        return NO_HALF in self.reasons

    @property
    def agreed_far(self) -> bool:
        return AGREED_FAR in self.reasons


def split_reasons(
    private: Spread | None, votes: Sequence[VoteTally], agreed: int | None
) -> tuple[str, ...]:
    reasons = []
    if private is not None and private.rated and private.range_width + 1 >= SPLIT_PRIVATE_SPAN:
        reasons.append(PRIVATE_SPAN)
    if votes and not votes[-1].has_half:
        reasons.append(NO_HALF)
    if (
        agreed is not None
        and private is not None
        and private.median is not None
        and abs(agreed - private.median) >= SPLIT_AGREED_DISTANCE
    ):
        reasons.append(AGREED_FAR)
    return tuple(reasons)


def convergence(
    *, private: Spread | None, votes: Sequence[VoteTally], agreed: int | None
) -> Convergence:
    """`private`: the spread, or None when it is withheld; `votes`: the shown votes only, first
    to last; `agreed`: the agreed level, if any."""
    return Convergence(
        private=private,
        votes=tuple(votes),
        agreed=agreed,
        reasons=split_reasons(private, votes, agreed),
    )
