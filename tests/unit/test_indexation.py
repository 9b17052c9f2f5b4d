"""Indexation of budget totals: exact, rounded once to the cent, half to even."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.core.indexation import index_cents, parse_pct
from populatie.errors import DataError

cents = st.integers(min_value=0, max_value=10**14)
pcts = st.decimals(
    min_value=Decimal("-99.9999"), max_value=Decimal("100"), places=4, allow_nan=False
)


def _reference(amount: int, pct: Decimal) -> int:
    """The same rule through decimal at a precision that makes the product exact."""
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(amount) * (1 + pct / 100)
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@given(cents, pcts)
def test_indexation_is_the_exact_product_rounded_half_to_even(amount: int, pct: Decimal) -> None:
    indexed = index_cents(amount, pct)
    assert isinstance(indexed, int)
    assert indexed == _reference(amount, pct)
    assert abs(Decimal(indexed) - Decimal(amount) * (1 + pct / 100)) <= Decimal("0.5")


@given(cents)
def test_zero_percent_changes_nothing(amount: int) -> None:
    assert index_cents(amount, Decimal(0)) == amount


@given(st.lists(cents, min_size=3, max_size=3), pcts)
def test_each_domain_rounds_once_so_the_sum_is_within_a_cent_per_domain(
    amounts: list[int], pct: Decimal
) -> None:
    exact = sum(Decimal(a) * (1 + pct / 100) for a in amounts)
    assert abs(sum(index_cents(a, pct) for a in amounts) - exact) <= Decimal("1.5")


@pytest.mark.parametrize(
    ("amount", "pct", "expected"),
    [
        (50, "1", 50),  # 50.5 → 50 (even)
        (150, "1", 152),  # 151.5 → 152 (even)
        (11_372_333_000, "3.2", 11_736_247_656),
        (1_234_567, "3.2", 1_274_073),  # 1 274 073.144
        (100, "-0.5", 100),  # 99.5 → 100 (even)
    ],
)
def test_known_values(amount: int, pct: str, expected: int) -> None:
    assert index_cents(amount, parse_pct(pct)) == expected


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "-100", "-150", "1.23456", ""])
def test_a_percentage_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(DataError, match="pct"):
        parse_pct(text)


@given(st.integers(min_value=0, max_value=10**12))
def test_a_tie_goes_to_the_even_cent(k: int) -> None:
    # (100k + 50) × 1.01 = 101k + 50.5: exactly half a cent over
    indexed = index_cents(100 * k + 50, Decimal(1))
    assert indexed in {101 * k + 50, 101 * k + 51}
    assert indexed % 2 == 0
