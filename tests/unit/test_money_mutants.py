"""Money tests that pin down what mutation testing found loose in :mod:`populatie.core.money`.

Each test here kills mutants that the rest of the suite let live: a changed tie order, a bound
checked with ``<`` instead of ``<=``, an error message that lost its value. See docs/mutation.md.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.core.money import split_cents

KEYS = list("abcdefghij")


# ---------------------------------------------------------------------------------------------
# Tie order when cents are taken back under lower bounds
# ---------------------------------------------------------------------------------------------


def test_cents_taken_back_under_a_lower_bound_leave_the_first_keys_their_cent() -> None:
    # The floors are 3, 3, 3 and the zero-weight part is lifted to its bound of 3: two cents
    # too many. They are taken back from the parts that would have been served last (c, then
    # b), so the 7 cents left for a, b, c fall as 7 cents over three equal shares would: 3, 2, 2.
    cents = split_cents(10, [1, 1, 1, 0], ["a", "b", "c", "d"], lower_cents=[0, 0, 0, 3])
    assert cents.tolist() == [3, 2, 2, 3]
    assert split_cents(7, [1, 1, 1], ["a", "b", "c"]).tolist() == [3, 2, 2]


def test_the_taking_back_order_follows_the_keys_not_the_rows() -> None:
    cents = split_cents(10, [1, 1, 0, 1], ["c", "a", "d", "b"], lower_cents=[0, 0, 3, 0])
    assert dict(zip(["c", "a", "d", "b"], cents.tolist(), strict=True)) == {
        "a": 3,
        "b": 2,
        "c": 2,
        "d": 3,
    }


def test_without_keys_the_later_index_gives_back_first() -> None:
    assert split_cents(10, [1, 1, 1, 0], lower_cents=[0, 0, 0, 3]).tolist() == [3, 2, 2, 3]


@given(
    total=st.integers(0, 10**6),
    equal=st.integers(1, 6),
    held=st.lists(st.integers(0, 10**4), min_size=1, max_size=3),
    data=st.data(),
)
def test_parts_held_at_their_lower_bound_leave_the_rest_split_as_without_them(
    total: int, equal: int, held: list[int], data: st.DataObject
) -> None:
    """Zero-weight parts lifted to their bounds take those cents off the top; the equal parts
    then share what is left exactly as a plain split would, first keys first."""
    total += sum(held)
    keys = data.draw(st.permutations(KEYS[: equal + len(held)]))
    weights = [1.0] * equal + [0.0] * len(held)
    lower = [0] * equal + held
    cents = split_cents(total, weights, keys, lower_cents=lower)
    plain = split_cents(total - sum(held), [1.0] * equal, keys[:equal])
    assert cents[:equal].tolist() == plain.tolist()
    assert cents[equal:].tolist() == held


# ---------------------------------------------------------------------------------------------
# Errors name the offending value
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lower_cents": [-1, 0]}, r"^lower bound -1 is negative$"),
        (
            {"lower_cents": [0, 5], "upper_cents": [9, 4]},
            r"^lower bound 5 above upper bound 4 at index 1$",
        ),
        ({"lower_cents": [6, 5]}, r"^the lower bounds add up to 11 cents, above the total 10$"),
        ({"upper_cents": [4, 5]}, r"^the upper bounds add up to 9 cents, below the total 10$"),
        ({"lower_cents": [1, 2, 3]}, r"^lower_cents has shape \(3,\), expected \(2,\)$"),
        ({"upper_cents": [1.0, 9.0]}, r"^upper_cents must be whole cents, got dtype float64$"),
    ],
)
def test_bound_errors_name_the_value(kwargs: dict[str, list[float]], match: str) -> None:
    from populatie.errors import AllocationError

    with pytest.raises(AllocationError, match=match):
        split_cents(10, [1, 1], **kwargs)  # type: ignore[arg-type]


def test_bounds_that_hold_the_total_exactly_are_accepted() -> None:
    assert split_cents(10, [1, 1], lower_cents=[5, 5]).tolist() == [5, 5]
    assert split_cents(10, [1, 1], upper_cents=[5, 5]).tolist() == [5, 5]
    assert split_cents(10, [1, 1], lower_cents=[0, 3], upper_cents=[10, 3]).tolist() == [7, 3]
    assert split_cents(0, [1, 1], lower_cents=[0, 0]).tolist() == [0, 0]
    assert split_cents(4, [1, 1], lower_cents=np.array([2, 2], dtype=np.uint8)).tolist() == [2, 2]
