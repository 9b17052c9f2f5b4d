"""What a funding form says a booking or a year should cost: pure rules, integer cents.

- *task-based*: a fixed yearly sum paid in instalments; :func:`instalment_schedule` splits it
  over the months due, by largest remainder, so the instalments add up to the sum exactly.
- *output-based per trajectory*: a tariff per product and year, paid X % at the start and
  Y % = 100 − X % at completion; after a dropout the Y % is not paid (seed 001):
  :func:`stage_percent`.
- *output-based per month* and *effort-based* (P×Q): quantity × tariff.

:func:`expected_cents` rounds once, half away from zero, from the exact product, so a quantity
of 2.5 hours at € 85.33 is € 213.33 (213.325 rounds up), whatever order the factors come in.
Tariffs not set for a year are the last set year's, indexed once per year
(:func:`indexed_tariff`, with the rounding of :mod:`populatie.core.indexation`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from populatie.core.indexation import index_cents
from populatie.core.money import split_cents

__all__ = [
    "TARIFF_FORMS",
    "expected_cents",
    "indexed_tariff",
    "instalment_schedule",
    "stage_percent",
]

#: The forms paid by quantity × tariff: their bookings are checked against the tariff.
TARIFF_FORMS = frozenset({"output-based-trajectory", "output-based-month", "effort-based"})


def instalment_schedule(yearly_cents: int, months: Sequence[int], frequency: str) -> dict[int, int]:
    """The instalments of one year: month → cents, adding up to ``yearly_cents`` exactly.

    ``months`` are the contract's months in force in the year. Monthly: one instalment in each;
    quarterly: one in the first month in force of each quarter. The cents left by the equal
    split go to the earliest instalments. No month in force: no instalment (and no sum due).
    """
    if frequency not in ("monthly", "quarterly"):
        raise ValueError(f"instalments {frequency!r}: monthly or quarterly")
    if yearly_cents < 0:
        raise ValueError(f"a yearly sum cannot be negative ({yearly_cents} cents)")
    due = sorted(set(months))
    if frequency == "quarterly":
        firsts: dict[int, int] = {}
        for month in due:
            firsts.setdefault((month - 1) // 3, month)
        due = sorted(firsts.values())
    if not due:
        return {}
    parts = split_cents(yearly_cents, [1] * len(due), [f"{m:02d}" for m in due])
    return {m: int(c) for m, c in zip(due, parts.tolist(), strict=True)}


def stage_percent(funding_form: str, stage: str, start_percent: int | None) -> int:
    """The percentage of quantity × tariff a booking of ``stage`` is due.

    Per trajectory: X % at the start, 100 − X % at completion, nothing at a dropout (the
    completion share is never paid after one). Every other form, and a row without a stage:
    all of it.
    """
    if funding_form != "output-based-trajectory" or not stage:
        return 100
    x = 100 if start_percent is None else start_percent
    if stage == "start":
        return x
    if stage == "completion":
        return 100 - x
    if stage == "dropout":
        return 0
    raise ValueError(f"stage {stage!r}: start, completion or dropout")


def expected_cents(quantity_hundredths: int, tariff_cents: int, percent: int = 100) -> int:
    """quantity × tariff × percent / 100, rounded once to the cent, half away from zero."""
    numerator = quantity_hundredths * tariff_cents * percent
    denominator = 100 * 100
    quotient, rest = divmod(abs(numerator), denominator)
    if 2 * rest >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def indexed_tariff(
    tariffs: Mapping[int, int], indexation_basis_points: int, year: int
) -> int | None:
    """The tariff of ``year``: as set for it, or the last earlier one indexed once per year
    since; None when none is set for the year or before."""
    if year in tariffs:
        return tariffs[year]
    earlier = [y for y in tariffs if y < year]
    if not earlier:
        return None
    base_year = max(earlier)
    cents = tariffs[base_year]
    pct = Decimal(indexation_basis_points) / 100
    for _ in range(year - base_year):
        cents = index_cents(cents, pct)
    return cents
