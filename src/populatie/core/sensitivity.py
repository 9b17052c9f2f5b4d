"""How much each area's budget moves when one rate or one count moves: recomputed, in cents.

Every figure here is a difference between two complete allocations (targets, damping, rounding)
of the same inputs with one thing changed, never a derivative: "if the rate for youth-care users
were 10 % higher, area L1 would get € 12.345,67 more" is then literally true, damping and all.

- :func:`rate_effects`: rate ``(indicator, domain)`` ``step`` higher, every area's change in that
  domain. Scaling an indicator's count in *every* unit by the same step is the same change (need
  is linear), so this is also the effect of that indicator's count growing everywhere.
- :func:`count_effects`: the count of one indicator in the units of *one* area ``step`` higher,
  every area's change per domain: how strongly an area's own figures drive its budget.
- :func:`rate_range`: the lowest and highest amount of each area while a domain's rates range over
  intervals (the bootstrap intervals of an estimate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from populatie.core.allocation import targets
from populatie.core.inputs import AllocationInputs
from populatie.errors import AllocationError

__all__ = [
    "RateRange",
    "count_effects",
    "elasticity",
    "indicator_positions",
    "rate_effects",
    "rate_range",
]

Cents = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def _amounts(inputs: AllocationInputs, **changes: npt.ArrayLike) -> Cents:
    """Amounts as (domains × areas)."""
    result = inputs.allocate(**changes)  # type: ignore[arg-type]
    return np.stack([result[d].amount_cents for d in inputs.domains])


def rate_effects(inputs: AllocationInputs, step: float = 0.10) -> Cents:
    """``effect[k, j, a]``: the change in cents of area a's amount in domain j when rate
    ``(k, j)`` is ``step`` (0.10 = 10 %) higher. Zero where the rate is zero."""
    k_count, d_count = inputs.rates.shape
    effect = np.zeros((k_count, d_count, len(inputs.area_keys)), dtype=np.int64)
    base = _amounts(inputs)
    for k in range(k_count):
        for j, domain in enumerate(inputs.domains):
            if inputs.rates[k, j] == 0:
                continue
            rates = inputs.rates.copy()
            rates[k, j] *= 1.0 + step
            moved = inputs.allocate(rates=rates, domains=[domain])[domain].amount_cents
            effect[k, j] = moved - base[j]
    return effect


def count_effects(inputs: AllocationInputs, step: float = 0.10) -> Cents:
    """``effect[k, b, j, a]``: the change in cents of area a's amount in domain j when the count
    of indicator k in the units of area b is ``step`` higher (everything else unchanged)."""
    k_count = inputs.counts.shape[1]
    n = len(inputs.area_keys)
    effect = np.zeros((k_count, n, len(inputs.domains), n), dtype=np.int64)
    base = _amounts(inputs)
    for k in range(k_count):
        if not inputs.rates[k].any():
            continue  # the indicator carries no rate: its count moves nothing
        for b in range(n):
            counts = inputs.counts.copy()
            counts[inputs.unit_area == b, k] *= 1.0 + step
            effect[k, b] = _amounts(inputs, counts=counts) - base
    return effect


def elasticity(change_cents: npt.ArrayLike, amount_cents: npt.ArrayLike, step: float) -> Floats:
    """``(change / amount) / step``: 1.0 means the amount moves in proportion; NaN at amount 0."""
    change = np.asarray(change_cents, dtype=np.float64)
    amount = np.asarray(amount_cents, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        result: Floats = np.where(amount > 0, change / amount / step, np.nan)
    return result


@dataclass(frozen=True, eq=False)
class RateRange:
    """Per area: the amount at the given rates, and the lowest and highest over the intervals.

    ``low_rates``/``high_rates`` are the rate vectors (areas × indicators) at which each area's
    lowest and highest amounts were found. The arrays are read-only.
    """

    domain: str
    amount_cents: Cents
    min_cents: Cents
    max_cents: Cents
    low_rates: Floats
    high_rates: Floats

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)


def rate_range(
    inputs: AllocationInputs,
    domain: str,
    rates: npt.ArrayLike,
    low: npt.ArrayLike,
    high: npt.ArrayLike,
) -> RateRange:
    """Each area's amount in ``domain`` at ``rates``, and its range while every rate k of that
    domain ranges over ``[low[k], high[k]]`` (the other domains keep their rates).

    An area's target is ``base + rest · (c·w) / (d·w)`` (its counts ``c``, the municipality's
    ``d``): a ratio of two linear functions of the rates, whose extremes over a box lie at a
    corner, and at one of only K + 1 corners: the rates of indicators in which the area has more
    than some share of the municipality's count at one end, the others at the other end. So
    each area's highest and lowest target is found exactly by trying those corners. Every
    corner found for any area is then allocated in full (damping and cents), and each area's
    range is the lowest and highest amount it gets over all of them and the given rates. Without
    damping that is the exact range (to the rounding cent); with damping, the range over the
    corners that drive some area's target to an extreme.
    """
    j = inputs.domain_index(domain)
    w = np.asarray(rates, dtype=np.float64)
    lo = np.asarray(low, dtype=np.float64)
    hi = np.asarray(high, dtype=np.float64)
    k_count = inputs.counts.shape[1]
    for name, arr in (("rates", w), ("low", lo), ("high", hi)):
        if arr.shape != (k_count,):
            raise AllocationError(f"{name} has shape {arr.shape}, expected ({k_count},)")
    if not (np.all(lo >= 0) and np.all(lo <= w) and np.all(w <= hi)):
        raise AllocationError("rate intervals must satisfy 0 <= low <= rate <= high")
    area_counts = inputs.area_counts()
    totals = area_counts.sum(axis=0)
    n = len(inputs.area_keys)
    base = inputs.base_cents[j]
    budget = int(inputs.budget_cents[j])

    def target_of(vector: Floats) -> Floats:
        return targets(area_counts @ vector, base, budget)

    low_rates = np.empty((n, k_count))
    high_rates = np.empty((n, k_count))
    for a in range(n):
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(totals > 0, area_counts[a] / totals, 0.0)
        order = np.argsort(-share, kind="stable")
        best_high, best_low = (-np.inf, lo), (np.inf, lo)
        for top in range(k_count + 1):
            favour = np.zeros(k_count, dtype=bool)
            favour[order[:top]] = True
            for vector in (np.where(favour, hi, lo), np.where(favour, lo, hi)):
                value = float(target_of(vector)[a])
                if value > best_high[0]:
                    best_high = (value, vector)
                if value < best_low[0]:
                    best_low = (value, vector)
        high_rates[a], low_rates[a] = best_high[1], best_low[1]

    def amounts_at(vector: Floats) -> Cents:
        matrix = inputs.rates.copy()
        matrix[:, j] = vector
        return inputs.allocate(rates=matrix, domains=[domain])[domain].amount_cents

    at_rates = amounts_at(w)
    lowest, highest = at_rates.copy(), at_rates.copy()
    corners = {v.tobytes(): v for v in (*low_rates, *high_rates)}
    for vector in corners.values():
        amounts = amounts_at(vector)
        lowest = np.minimum(lowest, amounts)
        highest = np.maximum(highest, amounts)
    return RateRange(
        domain=domain,
        amount_cents=at_rates,
        min_cents=lowest,
        max_cents=highest,
        low_rates=low_rates,
        high_rates=high_rates,
    )


def indicator_positions(inputs: AllocationInputs, keys: Sequence[str]) -> list[int]:
    """Positions of ``keys`` among the inputs' indicators; an unknown key is an error."""
    missing = [k for k in keys if k not in inputs.indicator_keys]
    if missing:
        raise AllocationError(
            f"indicator(s) {', '.join(missing)} are not among {', '.join(inputs.indicator_keys)}"
        )
    return [inputs.indicator_keys.index(k) for k in keys]
