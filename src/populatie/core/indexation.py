"""Indexation of budget totals: next year's total is this year's times (1 + pct / 100).

Each domain total is rounded **once**, to the cent, **half to even** (banker's rounding), from
the exact product (no float ever touches it): a total of 1 234 567 cents at 3.2 % is exactly
1 274 073.144 cents and becomes 1 274 073. The domains are rounded independently, since each is
a total of its own that finance sets; their sum may therefore differ by at most one cent per
domain from the indexed sum of the three, and nothing is redistributed between them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

from populatie.errors import DataError

__all__ = ["MAX_PCT_DECIMALS", "RULE", "index_cents", "parse_pct"]

MAX_PCT_DECIMALS = 4


def parse_pct(text: str) -> Decimal:
    """A percentage as finance writes it (``"3.2"``, ``"-0.5"``); refuses floats' noise and
    anything at or below -100 %, which would make a total negative or zero by accident."""
    try:
        pct = Decimal(str(text).strip())
    except InvalidOperation:
        raise DataError(f"pct: {text!r} is not a percentage (write e.g. 3.2)") from None
    if not pct.is_finite():
        raise DataError(f"pct: {text!r} is not a percentage (write e.g. 3.2)")
    exponent = pct.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PCT_DECIMALS:
        raise DataError(f"pct: {text!r} has more than {MAX_PCT_DECIMALS} decimals")
    if pct <= -100:
        raise DataError(f"pct: {text!r} must be more than -100")
    return pct


def index_cents(cents: int, pct: Decimal) -> int:
    """``cents × (1 + pct/100)``, computed exactly and rounded half to even to the cent."""
    if cents < 0:
        raise DataError(f"a budget total cannot be negative ({cents} cents)")
    exact = Fraction(cents) * (1 + Fraction(pct) / 100)
    floor, rest = divmod(exact.numerator, exact.denominator)
    twice = 2 * rest
    if twice > exact.denominator or (twice == exact.denominator and floor % 2 == 1):
        floor += 1
    return floor


# The rule in one line, for the README and ``budgets index``' output.
RULE = "each domain total × (1 + pct/100), rounded once to the cent, half to even"
