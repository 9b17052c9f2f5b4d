"""The rounding rule and the euro text formats."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.core.money import (
    MAX_CENTS,
    InvalidAmountError,
    format_euro,
    order_free_sum,
    parse_cents,
    parse_euro,
    split_cents,
    to_cents,
)
from populatie.errors import AllocationError, DataError

totals = st.integers(min_value=0, max_value=MAX_CENTS)
weights = st.lists(
    st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=60,
)


# --- worked examples -------------------------------------------------------------------------


def test_thirds_give_the_extra_cent_to_the_first_key() -> None:
    assert split_cents(100, [1, 1, 1]).tolist() == [34, 33, 33]
    assert split_cents(100, [1, 1, 1], ["c", "b", "a"]).tolist() == [33, 33, 34]


def test_largest_fraction_gets_the_cent() -> None:
    # exact shares 3.5, 2.1, 1.4: floors 3 + 2 + 1 = 6, the one cent left goes to the .5
    assert split_cents(7, [0.5, 0.3, 0.2]).tolist() == [4, 2, 1]
    # the larger remainder wins even against a smaller key
    assert split_cents(7, [0.2, 0.5, 0.3], ["a", "b", "c"]).tolist() == [1, 4, 2]


def test_exact_shares_need_no_rounding() -> None:
    assert split_cents(1000, [1, 2, 3, 4]).tolist() == [100, 200, 300, 400]


def test_all_zero_weights_split_equally() -> None:
    assert split_cents(10, [0, 0, 0, 0]).tolist() == [3, 3, 2, 2]
    assert split_cents(10, [0, 0, 0, 0], ["d", "c", "b", "a"]).tolist() == [2, 2, 3, 3]


def test_zero_weight_gets_nothing_when_others_have_weight() -> None:
    assert split_cents(5, [0, 1, 1]).tolist() == [0, 3, 2]


def test_result_is_int64() -> None:
    assert split_cents(5, [1.0, 2.0]).dtype == np.int64


def test_nothing_to_split_over() -> None:
    assert split_cents(0, []).tolist() == []
    with pytest.raises(AllocationError, match="no parts"):
        split_cents(1, [])


def test_bounds_keep_each_part_inside() -> None:
    # unbounded, 10 over equal weights would give [4, 3, 3]; the first may have at most 3
    assert split_cents(10, [1, 1, 1], upper_cents=[3, 5, 5]).tolist() == [3, 4, 3]
    # shares 9, 1, 0 but the last must get 2: the cents come back from the smallest remainder
    assert split_cents(10, [9, 1, 0], lower_cents=[0, 0, 2]).tolist() == [8, 0, 2]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weights_in", "match"),
    [
        ([1.0, -1.0], r"'b' \(index 1\) is -1\.0;"),
        ([1.0, float("nan")], r"'b' \(index 1\) is nan;"),
        ([float("inf"), 1.0], r"'a' \(index 0\) is inf;"),
    ],
)
def test_bad_weights_are_named(weights_in: list[float], match: str) -> None:
    with pytest.raises(AllocationError, match=match):
        split_cents(10, weights_in, ["a", "b"])


def test_bad_totals_are_refused() -> None:
    with pytest.raises(AllocationError, match="negative"):
        split_cents(-1, [1])
    with pytest.raises(AllocationError, match="whole number of cents"):
        split_cents(10.5, [1])  # type: ignore[arg-type]
    with pytest.raises(AllocationError, match="above the supported"):
        split_cents(MAX_CENTS + 1, [1])


def test_key_count_must_match() -> None:
    with pytest.raises(AllocationError, match="2 tie keys for 3 weights"):
        split_cents(10, [1, 1, 1], ["a", "b"])


def test_bounds_that_cannot_hold_the_total_are_refused() -> None:
    with pytest.raises(AllocationError, match="upper bounds add up to 4"):
        split_cents(10, [1, 1], upper_cents=[2, 2])
    with pytest.raises(AllocationError, match="lower bounds add up to 12"):
        split_cents(10, [1, 1], lower_cents=[6, 6])


# --- properties ------------------------------------------------------------------------------


@given(totals, weights)
def test_sum_is_exact_and_no_part_negative(total: int, w: list[float]) -> None:
    cents = split_cents(total, w)
    assert int(cents.sum()) == total
    assert (cents >= 0).all()


@given(st.integers(min_value=0, max_value=10**12), weights)
def test_each_part_is_its_share_rounded_down_or_up(total: int, w: list[float]) -> None:
    cents = split_cents(total, w)
    exact = [Fraction(x) for x in w]
    whole = sum(exact)
    shares = [total * x / whole for x in exact] if whole else [Fraction(total, len(w))] * len(w)
    slack = Fraction(1, 10**6)  # float error on the shares, far below a cent
    for got, share in zip(cents.tolist(), shares, strict=True):
        assert share - 1 - slack < got < share + 1 + slack


@given(st.integers(min_value=0, max_value=10**9), weights)
def test_largest_remainders_win(total: int, w: list[float]) -> None:
    cents = split_cents(total, w)
    arr = np.asarray(w)
    if arr.sum() == 0:
        return
    exact = arr / arr.max() * (total / (arr / arr.max()).sum())
    extra = cents - np.floor(exact)
    remainder = exact - np.floor(exact)
    served, passed = remainder[extra == 1], remainder[extra == 0]
    if served.size and passed.size:
        assert served.min() >= passed.max()


@given(
    totals, st.integers(min_value=1, max_value=200), st.floats(min_value=1e-300, max_value=1e300)
)
def test_equal_weights_differ_by_at_most_one_cent(total: int, n: int, weight: float) -> None:
    cents = split_cents(total, [weight] * n)
    assert int(cents.max()) - int(cents.min()) <= 1
    assert int(cents.sum()) == total


@given(
    st.integers(min_value=0, max_value=10**7),
    st.lists(
        st.tuples(st.sampled_from([0.0, 1.0, 2.0, 3.5]), st.text(min_size=1, max_size=4)),
        min_size=1,
        max_size=30,
        unique_by=lambda pair: pair[1],
    ),
    st.randoms(use_true_random=False),
)
def test_tie_break_follows_the_keys_not_the_order(
    total: int, rows: list[tuple[float, str]], rnd: object
) -> None:
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first = split_cents(total, [w for w, _ in rows], [k for _, k in rows])
    second = split_cents(total, [w for w, _ in shuffled], [k for _, k in shuffled])
    by_key = dict(zip((k for _, k in rows), first.tolist(), strict=True))
    assert {k: c for (_, k), c in zip(shuffled, second.tolist(), strict=True)} == by_key
    # among equal weights, a smaller key never has fewer cents
    for w_a, k_a in rows:
        for w_b, k_b in rows:
            if w_a == w_b and k_a < k_b:
                assert by_key[k_a] >= by_key[k_b]


@st.composite
def bounded_cases(draw: st.DrawFn) -> tuple[int, list[float], list[int], list[int]]:
    n = draw(st.integers(min_value=1, max_value=40))
    lower = draw(st.lists(st.integers(0, 10**9), min_size=n, max_size=n))
    gaps = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n))
    upper = [lo + g for lo, g in zip(lower, gaps, strict=True)]
    total = draw(st.integers(sum(lower), sum(upper)))
    w = draw(
        st.lists(st.floats(0, 1e9, allow_nan=False, allow_infinity=False), min_size=n, max_size=n)
    )
    return total, w, lower, upper


@settings(max_examples=200)
@given(bounded_cases())
def test_bounds_hold_and_the_sum_stays_exact(
    case: tuple[int, list[float], list[int], list[int]],
) -> None:
    total, w, lower, upper = case
    cents = split_cents(total, w, lower_cents=lower, upper_cents=upper)
    assert int(cents.sum()) == total
    assert (cents >= np.array(lower)).all()
    assert (cents <= np.array(upper)).all()


@given(st.integers(min_value=2**50, max_value=MAX_CENTS), weights)
def test_huge_totals_still_add_up(total: int, w: list[float]) -> None:
    assert int(split_cents(total, w).sum()) == total


# --- euro text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "comma", "expected"),
    [
        ("1234.56", False, "1234.56"),
        ("-12.5", False, "-12.50"),
        ("+7", False, "7.00"),
        ("  0.10 ", False, "0.10"),
        ("12.500", False, "12.50"),
        ("-0.00", False, "0.00"),
        ("1.234,56", True, "1234.56"),
        ("1234,5", True, "1234.50"),
        ("-1.234.567,89", True, "-1234567.89"),
        ("1.234", True, "1234.00"),
        ("98765432109876543210.99", False, "98765432109876543210.99"),
    ],
)
def test_parse_euro(text: str, comma: bool, expected: str) -> None:
    value = parse_euro(text, decimal_comma=comma)
    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("text", "comma"),
    [
        ("", False),
        ("abc", False),
        ("12.345", False),
        ("1,5", False),
        ("1 234.56", False),
        (".5", False),
        ("5.", False),
        ("1e3", False),
        ("€ 12", False),
        ("1.5", True),
        ("1.2345,6", True),
        ("12,345", True),
        ("--1", False),
        ("NaN", False),
    ],
)
def test_parse_euro_refuses(text: str, comma: bool) -> None:
    with pytest.raises(InvalidAmountError, match=re.escape(repr(text))):
        parse_euro(text, decimal_comma=comma)


def test_invalid_amount_is_a_data_error_and_a_value_error() -> None:
    with pytest.raises(DataError):
        parse_euro("twaalf")
    with pytest.raises(ValueError, match="twaalf"):
        parse_euro("twaalf")


def test_to_cents() -> None:
    assert to_cents(Decimal("1234.56")) == 123456
    assert to_cents(Decimal("-0.01")) == -1
    assert to_cents(Decimal("12.3000")) == 1230
    assert to_cents(Decimal("5E+3")) == 500000
    assert to_cents(Decimal("123456789012345678901234567890.12")) == (
        12345678901234567890123456789012
    )
    with pytest.raises(InvalidAmountError, match=r"1\.005"):
        to_cents(Decimal("1.005"))
    with pytest.raises(InvalidAmountError):
        to_cents(Decimal("NaN"))


def test_format_euro() -> None:
    assert format_euro(123456789) == "€ 1.234.567,89"
    assert format_euro(-123400) == "€ -1.234,00"
    assert format_euro(5) == "€ 0,05"
    assert format_euro(0) == "€ 0,00"
    assert format_euro(np.int64(100000)) == "€ 1.000,00"  # type: ignore[arg-type]


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_text_round_trips(cents: int) -> None:
    dotted = f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"
    assert parse_cents(dotted) == cents
    assert parse_cents(format_euro(cents).removeprefix("€ "), decimal_comma=True) == cents


# --- the order-free sum -----------------------------------------------------------------------

FINITE = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)


@given(st.lists(FINITE, max_size=200), st.randoms(use_true_random=False))
def test_the_order_free_sum_is_the_exact_sum_rounded_once_in_any_order(
    values: list[float], random: Random
) -> None:
    expected = math.fsum(values)
    assert order_free_sum(np.array(values, dtype=np.float64)) == expected
    random.shuffle(values)
    assert order_free_sum(np.array(values, dtype=np.float64)) == expected


@given(
    st.lists(st.floats(min_value=0, max_value=1e12, allow_nan=False), min_size=1, max_size=50),
    st.integers(1, 300),
)
def test_the_order_free_sum_of_many_like_values_is_exact(values: list[float], copies: int) -> None:
    many = np.tile(np.array(values, dtype=np.float64), copies)
    assert order_free_sum(many) == math.fsum(many.tolist())
    assert order_free_sum(many[::-1].copy()) == order_free_sum(many)


def test_the_order_free_sum_of_nothing_and_of_tiny_values() -> None:
    assert order_free_sum(np.array([], dtype=np.float64)) == 0.0
    tiny = np.array([5e-324, 5e-324, 1e-310, -2e-310], dtype=np.float64)
    assert order_free_sum(tiny) == math.fsum(tiny.tolist())
    assert order_free_sum(np.array([1e308, 1e308])) == math.inf
