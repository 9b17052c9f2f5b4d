"""Quantities of a spending file: decimals with at most two places, as whole hundredths."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.spending.detail import MAX_QUANTITY_HUNDREDTHS, parse_quantity


@given(st.integers(min_value=1, max_value=MAX_QUANTITY_HUNDREDTHS), st.booleans())
def test_a_written_quantity_reads_back_exactly(hundredths: int, comma: bool) -> None:
    separator = "," if comma else "."
    text = f"{hundredths // 100}{separator}{hundredths % 100:02d}"
    assert parse_quantity(text, decimal_comma=comma) == hundredths
    if hundredths % 10 == 0:  # one decimal is enough
        short = f"{hundredths // 100}{separator}{hundredths % 100 // 10}"
        assert parse_quantity(short, decimal_comma=comma) == hundredths


@pytest.mark.parametrize(
    ("text", "comma", "reason"),
    [
        ("1.5", True, "not a quantity"),
        ("1,5", False, "not a quantity"),
        ("1.555", False, "not a quantity"),
        ("-1", False, "not a quantity"),
        ("1e3", False, "not a quantity"),
        ("0.00", False, "a quantity of zero"),
        ("10000000.01", False, "more than 10,000,000 units"),
        (" 1", False, "not a quantity"),
    ],
)
def test_what_is_no_quantity(text: str, comma: bool, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_quantity(text, decimal_comma=comma)
