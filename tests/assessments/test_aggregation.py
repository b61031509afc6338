"""Property tests of the pure aggregation maths used by the workshop pages."""

import statistics

from hypothesis import given
from hypothesis import strategies as st

from assessments.aggregation import (
    MIN_GROUP_SIZE,
    bar_percentages,
    level_counts,
    median,
    spread,
    stable_shuffle,
    suppress_small_groups,
)

levels = st.lists(st.integers(min_value=1, max_value=5), max_size=200)


@given(levels, st.integers(min_value=0, max_value=50))
def test_spread_median_range_and_counts_are_right_on_any_input(values, not_sure):
    result = spread(values, not_sure)
    assert result.not_sure == not_sure
    assert result.rated == len(values)
    assert result.counts == {level: values.count(level) for level in range(1, 6)}
    if values:
        ordered = sorted(values)
        middle = len(ordered) // 2
        expected = (
            ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        )
        assert result.median == expected == statistics.median(values)
        assert (result.low, result.high) == (min(values), max(values))
        assert result.range_width == max(values) - min(values)
    else:
        assert result.median is None
        assert (result.low, result.high) == (None, None)
        assert result.range_width == 0


@given(levels)
def test_disagreement_stays_between_0_and_1_and_never_counts_more_than_rated(values):
    result = spread(values)
    assert 0 <= result.far_from_median <= result.rated
    assert 0.0 <= result.disagreement <= 1.0
    if result.median is not None:
        assert result.far_from_median == sum(1 for v in values if abs(v - result.median) > 1)


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=50))
def test_everyone_agreeing_means_no_disagreement(values):
    same = [values[0]] * len(values)
    assert spread(same).far_from_median == 0
    assert spread(same).disagreement == 0.0


def test_disagreement_example_from_the_issue_text():
    # 11 ratings, median 3: the four 1s and 5s are more than one level away.
    result = spread([1, 1, 3, 3, 3, 3, 3, 4, 2, 5, 5])
    assert result.median == 3
    assert (result.far_from_median, result.rated) == (4, 11)


def test_level_counts_refuses_levels_outside_the_model():
    import pytest

    with pytest.raises(ValueError):
        level_counts([0])
    with pytest.raises(ValueError):
        level_counts([6])


@given(
    st.dictionaries(
        st.sampled_from(["statutory", "voluntary", "lived-experience", "other"]),
        st.lists(st.integers(min_value=1, max_value=5), max_size=12),
    ),
    st.integers(min_value=1, max_value=6),
)
def test_suppression_never_shows_a_group_smaller_than_the_minimum(groups, minimum):
    shown = suppress_small_groups(groups, minimum)
    if shown is None:
        nonempty = [g for g in groups.values() if g]
        assert len(nonempty) < 2 or any(len(g) < minimum for g in nonempty)
    else:
        assert len(shown) >= 2
        assert all(len(members) >= minimum for members in shown.values())
        assert all(shown[key] == groups[key] for key in shown)


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=5), st.lists(st.integers(1, 5), max_size=10), max_size=6
    )
)
def test_default_suppression_uses_groups_of_at_least_three(groups):
    shown = suppress_small_groups(groups)
    assert shown is None or all(len(members) >= MIN_GROUP_SIZE for members in shown.values())


@given(st.dictionaries(st.integers(1, 5), st.integers(min_value=0, max_value=1000)))
def test_bar_percentages_are_whole_numbers_from_0_to_100_led_by_the_largest(counts):
    bars = bar_percentages(counts)
    assert set(bars) == set(counts)
    assert all(isinstance(v, int) and 0 <= v <= 100 for v in bars.values())
    if counts and max(counts.values()) > 0:
        assert bars[max(counts, key=lambda k: counts[k])] == 100
        # Bigger counts never get shorter bars.
        for a in counts:
            for b in counts:
                if counts[a] <= counts[b]:
                    assert bars[a] <= bars[b]
    else:
        assert all(v == 0 for v in bars.values())


@given(st.lists(st.text(max_size=5), max_size=20), st.integers(min_value=0, max_value=2**62))
def test_stable_shuffle_is_a_reproducible_permutation(items, seed):
    once = stable_shuffle(items, seed)
    assert sorted(once) == sorted(items)
    assert once == stable_shuffle(items, seed)


@given(levels)
def test_median_matches_the_statistics_module(values):
    assert median(values) == (statistics.median(values) if values else None)
