"""Figures added up, their value, and the rule that withholds small counts: shared by every view.

A consortium sees its own partnership only, and every count under :data:`SUPPRESS_BELOW` is
withheld from it, as CBS does with small numbers: the figure's value, numerator and denominator
are not sent, and nothing derived from them is either (a trend, a signal, a funnel point and
its limits, a peer or own-past comparison). Finance, planners and the auditor see every figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from populatie.errors import NotFoundError
from populatie.kpis.register import Kpi, Register

__all__ = [
    "SUPPRESS_BELOW",
    "Reading",
    "Sums",
    "as_int",
    "kpi_of",
    "plus",
    "scope_names",
    "small",
    "value_of",
]

SUPPRESS_BELOW = 10


@dataclass
class Sums:
    numerator: int | None = None
    denominator: int | None = None
    value_milli: int | None = None
    rows: int = 0

    def merge(self, other: Sums) -> None:
        """Add a group the database summed already: as if its rows were added one by one."""
        self.numerator = plus(self.numerator, other.numerator)
        self.denominator = plus(self.denominator, other.denominator)
        self.value_milli = other.value_milli if self.rows == 0 else None
        self.rows += other.rows


def plus(a: int | None, b: int | None) -> int | None:
    """SQL's ``sum``: nothing known stays None, a known part counts."""
    if b is None:
        return a
    return b if a is None else a + b


def small(kpi: Kpi, s: Sums) -> bool:
    return Reading(kpi).small(s.numerator, s.denominator)


def value_of(kpi: Kpi, s: Sums) -> float | None:
    return Reading(kpi).value(s.numerator, s.denominator, s.value_milli)


class Reading:
    """How one KPI's sums become the value shown, and which of them are withheld: made once
    per view, as a view reads thousands of sums of the same KPI."""

    __slots__ = ("_bottom", "_counts_denominator", "_counts_numerator", "_measure", "_top")

    def __init__(self, kpi: Kpi) -> None:
        self._measure = kpi.measure
        top, self._bottom = kpi.scale.as_integer_ratio()
        self._top = top * 1000  # in thousandths
        self._counts_numerator = kpi.measure in ("rate", "count")
        self._counts_denominator = kpi.measure in ("rate", "mean", "median")

    def small(self, numerator: int | None, denominator: int | None) -> bool:
        """Whether a count the KPI is made of is under :data:`SUPPRESS_BELOW`."""
        if self._counts_numerator and numerator is not None and numerator < SUPPRESS_BELOW:
            return True
        return self._counts_denominator and denominator is not None and denominator < SUPPRESS_BELOW

    def value(
        self, numerator: int | None, denominator: int | None, value_milli: int | None
    ) -> float | None:
        """The figure rounded half to even to three decimals, computed exactly in integers.

        The same number as ``float(round(Decimal(n) / Decimal(d) * scale, 3))``: the quotient
        is rounded once, from the exact fraction, and ``q / 1000`` is the float nearest to it,
        as ``float`` of the decimal is; integers only because a view computes thousands.
        """
        measure = self._measure
        if measure == "rate" or measure == "mean":
            if numerator is None or not denominator:
                return None
            return _milli_half_even(numerator * self._top, denominator * self._bottom) / 1000
        if measure == "count":
            return None if numerator is None else float(numerator)
        if measure == "median" and value_milli is not None:
            return value_milli / 1000
        return None


def _milli_half_even(top: int, bottom: int) -> int:
    """``top / bottom`` rounded to a whole number, a tie to the even one."""
    if bottom < 0:
        top, bottom = -top, -bottom
    whole, rest = divmod(top, bottom)
    if 2 * rest > bottom or (2 * rest == bottom and whole % 2 == 1):
        whole += 1
    return whole


def as_int(value: object) -> int | None:
    """A database sum as an integer (PostgreSQL sums a bigint as a numeric)."""
    return None if value is None else int(value)  # type: ignore[call-overload]


def kpi_of(register: Register, code: str) -> Kpi:
    kpi = register.get(code)
    if kpi is None:
        raise NotFoundError(f"no KPI {code!r} in the register")
    return kpi


def scope_names(scope: str | None, names: Iterable[str]) -> list[str]:
    """The partnerships a view is about: the consortium's own, or every one its figures name."""
    return [scope] if scope is not None else sorted(set(names))
