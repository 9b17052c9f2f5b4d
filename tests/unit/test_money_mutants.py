"""Money tests that pin down what mutation testing found loose in :mod:`populatie.core.money`.

Each test here kills mutants that the rest of the suite let live: a changed tie order, a bound
checked with ``<`` instead of ``<=``, an error message that lost its value. See docs/mutation.md.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.core.money import (
    MAX_CENTS,
    InvalidAmountError,
    _ranked,
    exact_sum,
    format_euro,
    order_free_sum,
    parse_cents,
    parse_euro,
    split_cents,
    to_cents,
)
from populatie.errors import AllocationError

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
    with pytest.raises(AllocationError, match=match):
        split_cents(10, [1, 1], **kwargs)  # type: ignore[arg-type]


def test_bounds_that_hold_the_total_exactly_are_accepted() -> None:
    assert split_cents(10, [1, 1], lower_cents=[5, 5]).tolist() == [5, 5]
    assert split_cents(10, [1, 1], upper_cents=[5, 5]).tolist() == [5, 5]
    assert split_cents(10, [1, 1], lower_cents=[0, 3], upper_cents=[10, 3]).tolist() == [7, 3]
    assert split_cents(0, [1, 1], lower_cents=[0, 0]).tolist() == [0, 0]
    assert split_cents(4, [1, 1], lower_cents=np.array([2, 2], dtype=np.uint8)).tolist() == [2, 2]


@pytest.mark.parametrize(
    ("total", "weights", "keys", "message"),
    [
        (1, [], None, "cannot split 1 cents over no parts"),
        (10.5, [1], None, "a total must be a whole number of cents, got 10.5"),
        (-1, [1], None, "a total cannot be negative, got -1 cents"),
        (
            MAX_CENTS + 1,
            [1],
            None,
            f"a total of {MAX_CENTS + 1} cents is above the supported {MAX_CENTS}",
        ),
        (1, [[1, 2]], None, "weights must be one-dimensional, got shape (1, 2)"),
        (1, [1, -1], None, "weight of index 1 is -1.0; weights must be finite and >= 0"),
        (1, [1, 2], ["a", "b", "c"], "3 tie keys for 2 weights"),
    ],
)
def test_split_errors_say_what_is_wrong(
    total: int, weights: list[float], keys: list[str] | None, message: str
) -> None:
    with pytest.raises(AllocationError) as raised:
        split_cents(total, weights, keys)
    assert str(raised.value) == message


def test_weights_that_are_not_numbers_are_refused() -> None:
    with pytest.raises(AllocationError, match=r"^weights are not numbers: could not convert"):
        split_cents(1, ["one"])


def test_the_largest_supported_total_is_accepted() -> None:
    assert int(split_cents(MAX_CENTS, [1, 1, 1]).sum()) == MAX_CENTS
    assert split_cents(np.int64(7), [1, 1]).tolist() == [4, 3]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_euro(12), "an amount must be text, got 12"),  # type: ignore[arg-type]
        (lambda: parse_euro("abc"), "'abc' is not a euro amount (expected e.g. '1234.56')"),
        (
            lambda: parse_euro("1.5", decimal_comma=True),
            "'1.5' is not a euro amount (expected e.g. '1.234,56')",
        ),
        (lambda: parse_euro("12.345"), "'12.345' has a fraction of a cent"),
        (lambda: parse_euro("1,2345", decimal_comma=True), "'1,2345' has a fraction of a cent"),
        (lambda: to_cents(Decimal("1.005")), "1.005 euro is not a whole number of cents"),
        (lambda: to_cents(Decimal("NaN")), "Decimal('NaN') is not a finite decimal amount"),
        (lambda: to_cents(1.5), "1.5 is not a finite decimal amount"),  # type: ignore[arg-type]
    ],
)
def test_amount_errors_say_what_is_wrong(call: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidAmountError) as raised:
        call()
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("text", "comma", "cents"),
    [
        ("12.5000", False, 1250),
        ("0.001000", False, None),
        ("1,2000", True, 120),
        ("-0,00", True, 0),
        ("-0.01", False, -1),
        ("7", True, 700),
        ("1.234.567", True, 123456700),
    ],
)
def test_trailing_zeros_are_whole_cents(text: str, comma: bool, cents: int | None) -> None:
    if cents is None:
        with pytest.raises(InvalidAmountError):
            parse_cents(text, decimal_comma=comma)
    else:
        assert parse_cents(text, decimal_comma=comma) == cents
        assert str(parse_euro(text, decimal_comma=comma)) == f"{cents / 100:.2f}".replace(
            "-0.00", "0.00"
        )


def test_small_negative_amounts_keep_their_sign() -> None:
    assert format_euro(-5) == "€ -0,05"
    assert format_euro(-100) == "€ -1,00"
    assert to_cents(Decimal("-5E+1")) == -5000
    assert to_cents(Decimal("0E-7")) == 0


def test_exact_sum_goes_past_int64() -> None:
    assert exact_sum(np.array([2**62, 2**62], dtype=np.int64)) == 2**63
    assert exact_sum(np.array([-(2**62), -(2**62), -1], dtype=np.int64)) == -(2**63) - 1
    assert exact_sum(np.array([2**61, 2**61], dtype=np.int64)) == 2**62
    assert exact_sum(np.array([], dtype=np.int64)) == 0
    assert isinstance(exact_sum(np.array([1, 2], dtype=np.int64)), int)


def test_ranking_no_parts_chooses_none() -> None:
    chosen = _ranked(np.array([0.5, 0.25]), 0, None, None, largest=True)
    assert chosen.tolist() == []
    assert chosen.dtype == np.intp


def test_ties_among_the_parts_with_room_use_their_own_keys() -> None:
    # a is full at 3; b and c tie for the last cent, and b's key is the smaller
    cents = split_cents(10, [1, 1, 1], ["a", "c", "b"], upper_cents=[3, 5, 5])
    assert cents.tolist() == [3, 3, 4]


def test_cents_past_a_full_part_spread_over_the_others_in_rounds() -> None:
    assert split_cents(10, [1, 0, 0], upper_cents=[2, 5, 5]).tolist() == [2, 4, 4]
    # the second part fills up at 3; the last cent goes to the only part with room
    assert split_cents(10, [1, 0, 0], upper_cents=[2, 3, 6]).tolist() == [2, 3, 5]
    cents = split_cents(11, [1, 0, 0, 0], ["d", "c", "b", "a"], upper_cents=[2, 5, 6, 9])
    assert cents.tolist() == [2, 3, 3, 3]


def test_the_first_offending_bound_is_named() -> None:
    with pytest.raises(AllocationError) as raised:
        split_cents(10, [1, 1], lower_cents=[3, 5], upper_cents=[3, 4])
    assert str(raised.value) == "lower bound 5 above upper bound 4 at index 1"


def test_the_first_bad_weight_is_named_after_good_ones() -> None:
    with pytest.raises(AllocationError) as raised:
        split_cents(10, [0.5, 0.0, -1.0])
    assert str(raised.value) == "weight of index 2 is -1.0; weights must be finite and >= 0"


def test_nothing_split_is_still_int64() -> None:
    assert split_cents(0, []).dtype == np.int64


def test_bounded_remainders_are_fractions_not_amounts() -> None:
    # 1.5 and 2.5 tie on their half cent: the first key wins, not the larger amount
    assert split_cents(4, [1.5, 2.5], lower_cents=[0, 0]).tolist() == [2, 2]
    assert split_cents(4, [1.5, 2.5], upper_cents=[4, 4]).tolist() == [2, 2]


def test_the_order_free_sum_of_infinities_and_nan() -> None:
    assert order_free_sum(np.array([1.0, np.inf])) == np.inf
    assert order_free_sum(np.array([-np.inf, 1.0])) == -np.inf
    assert np.isnan(order_free_sum(np.array([np.nan, 1.0])))
