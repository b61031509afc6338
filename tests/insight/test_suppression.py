from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from assessments.aggregation import MIN_GROUP_SIZE
from insight.suppression import suppress_counts


def test_small_groups_are_withheld_and_empty_ones_shown():
    assert suppress_counts({"a": 5, "b": 2, "c": 0, "d": 1}) == {
        "a": 5,
        "b": None,
        "c": 0,
        "d": None,
    }


def test_a_lone_small_group_takes_the_smallest_shown_with_it():
    # 9 submitted, a=5, b=3 shown would give c = 1 away.
    assert suppress_counts({"a": 5, "b": 3, "c": 1}) == {"a": 5, "b": None, "c": None}


def test_nothing_withheld_when_every_group_is_big_enough():
    assert suppress_counts({"a": 3, "b": 4, "c": 0}) == {"a": 3, "b": 4, "c": 0}


@given(st.dictionaries(st.sampled_from("abcdefghi"), st.integers(0, 12)))
def test_no_group_under_the_minimum_is_ever_shown_nor_one_alone_withheld(counts):
    shown = suppress_counts(counts)
    assert shown.keys() == counts.keys()
    for key, n in shown.items():
        assert n is None or n == counts[key]
        assert n is None or n == 0 or n >= MIN_GROUP_SIZE
    withheld = [k for k, n in shown.items() if n is None]
    # One withheld group could be worked out from the total, unless it is the only group.
    assert len(withheld) != 1 or sum(1 for n in counts.values() if n) == 1
