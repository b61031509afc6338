"""Pure aggregation maths for private scores. No Django imports: tested with hypothesis.

A rating is an int 1–5; "not sure" answers are counted separately and never enter the maths.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import median as _median

LEVELS: tuple[int, ...] = (1, 2, 3, 4, 5)
# No group smaller than this is ever shown in a breakdown.
MIN_GROUP_SIZE = 3


@dataclass(frozen=True)
class Spread:
    counts: dict[int, int]
    not_sure: int
    median: float | None
    low: int | None
    high: int | None
    far_from_median: int  # ratings more than one level from the median

    @property
    def rated(self) -> int:
        return sum(self.counts.values())

    @property
    def disagreement(self) -> float:
        """Share of ratings more than one level from the median, 0.0–1.0."""
        return self.far_from_median / self.rated if self.rated else 0.0

    @property
    def range_width(self) -> int:
        return 0 if self.low is None or self.high is None else self.high - self.low


def level_counts(levels: Iterable[int]) -> dict[int, int]:
    counts = dict.fromkeys(LEVELS, 0)
    for level in levels:
        if level not in counts:
            raise ValueError(f"level {level!r} is outside 1–5")
        counts[level] += 1
    return counts


def median(levels: Sequence[int]) -> float | None:
    return float(_median(levels)) if levels else None


def spread(levels: Sequence[int], not_sure: int = 0) -> Spread:
    counts = level_counts(levels)
    mid = median(levels)
    far = 0 if mid is None else sum(1 for level in levels if abs(level - mid) > 1)
    return Spread(
        counts=counts,
        not_sure=not_sure,
        median=mid,
        low=min(levels) if levels else None,
        high=max(levels) if levels else None,
        far_from_median=far,
    )


def shift(agreed: int | None, private_median: float | None) -> float | None:
    """How far the agreed level moved from the private median (+ means higher)."""
    if agreed is None or private_median is None:
        return None
    return agreed - private_median


def suppress_small_groups[K: Hashable, V](
    groups: Mapping[K, Sequence[V]], minimum: int = MIN_GROUP_SIZE
) -> dict[K, Sequence[V]] | None:
    """Return the groups only if every group shown has at least `minimum` members.

    Empty groups are dropped (nobody to identify). If any remaining group is smaller than
    the minimum, the whole breakdown is suppressed (None): showing the other groups would
    let the small one be inferred by subtraction from the overall figures.
    """
    shown = {key: members for key, members in groups.items() if len(members) > 0}
    if len(shown) < 2 or any(len(members) < minimum for members in shown.values()):
        return None
    return shown


def stable_shuffle[T](items: Sequence[T], seed: int) -> list[T]:
    """Shuffle reproducibly per round, so reason order never reveals who submitted when."""
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    return shuffled


def bar_percentages(counts: Mapping[int, int]) -> dict[int, int]:
    """Bar lengths for a chart, as whole percentages of the largest count (0–100).

    Relative to the largest bar rather than the total, so a small round still fills the chart.
    """
    if any(count < 0 for count in counts.values()):
        raise ValueError("counts cannot be negative")
    top = max(counts.values(), default=0)
    return {key: round(100 * count / top) if top else 0 for key, count in counts.items()}
