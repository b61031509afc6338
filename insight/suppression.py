"""Small-number suppression for counts of people by group. No Django imports."""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from assessments.aggregation import MIN_GROUP_SIZE


def suppress_counts[K: Hashable](
    counts: Mapping[K, int], minimum: int = MIN_GROUP_SIZE
) -> dict[K, int | None]:
    """Each count, or None when it is withheld.

    A group of 1 to `minimum - 1` people is withheld; an empty group is shown as 0 (nobody
    there is nobody to identify, and a missing voice is what the page is for). When exactly
    one group is withheld, the total (which the round's page shows) minus the others would
    give it away, so the smallest group shown is withheld as well.
    """
    shown: dict[K, int | None] = {key: None if 0 < n < minimum else n for key, n in counts.items()}
    withheld = [key for key, n in shown.items() if n is None]
    if len(withheld) == 1:
        others = [(n, str(key)) for key, n in shown.items() if n]
        if others:
            smallest = min(others)[1]
            for key in shown:
                if str(key) == smallest:
                    shown[key] = None
    return shown
