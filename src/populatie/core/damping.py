"""Damping: how fast an area's budget may move from last year's amount toward its target.

A new formula or new figures can move an area's target a lot in one year; a partnership cannot
halve its teams in January. Damping bounds each area's change (a percentage of last year's amount
and/or a number of euro per young inhabitant) while the budget total stays exactly the same.

Among all allocations inside the bounds that add up to the total, we take the one closest to the
targets (the Euclidean projection). It has a simple shape, which is why it is easy to explain:
every area gets ``target + λ`` for one common shift ``λ``, except areas that hit a bound, which
stay at that bound. ``λ`` is found exactly from the sorted breakpoints, not by trial and error, so
the result is reproducible to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from populatie.core.money import MAX_CENTS, exact_sum, order_free_sum
from populatie.errors import AllocationError, ConfigurationError, DampingInfeasibleError

__all__ = ["DampingBounds", "bound_limits", "damp"]

Cents = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Labels = npt.NDArray[np.str_]

# Indexed by a small code rather than assigned into a string array: numpy string writes are
# slow enough to show up in a national recalculation.
_LABELS = np.array(["", "lower", "upper"], dtype="<U5")


@dataclass(frozen=True)
class DampingBounds:
    """The pace-of-change rules from config; both given means the tighter one applies per area.

    ``max_change_pct=5.0``: an area may move at most 5 % of its previous amount, up or down.
    ``max_change_per_young_eur=20.0``: at most 20 euro per young inhabitant, up or down.
    Neither given: no damping.

    A percentage of nothing bounds nothing, so an area whose previous amount is 0 (typically a
    new area) is not held by the percentage rule; the per-young rule, if given, still holds it.
    """

    max_change_pct: float | None = None
    max_change_per_young_eur: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_change_pct", "max_change_per_young_eur"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise ConfigurationError(f"damping {name} must be a number >= 0, got {value!r}")

    @property
    def active(self) -> bool:
        return self.max_change_pct is not None or self.max_change_per_young_eur is not None


def bound_limits(
    previous_cents: npt.ArrayLike,
    bounds: DampingBounds,
    young_population: npt.ArrayLike | None = None,
    *,
    total_cents: int | None = None,
) -> tuple[Cents, Cents]:
    """Each area's lowest and highest allowed amount, in whole cents.

    The lower bound is rounded up and the upper bound down, so any whole-cent amount between them
    respects the rule as written; the arithmetic is exact integer arithmetic on the decimal
    values from config (5 % of 100 cents is 5 cents, not 5.000000000000001). Lower bounds never
    go below 0. An area no rule holds gets ``[0, total_cents]`` (or ``[0, MAX_CENTS]`` without a
    total): no area can exceed the total anyway.
    """
    prev = np.asarray(previous_cents)
    if prev.ndim != 1 or (prev.size and prev.dtype.kind not in "iu"):
        raise AllocationError(
            f"previous amounts must be a 1-D array of whole cents, got {prev.dtype}{prev.shape}"
        )
    prev = prev.astype(np.int64, copy=False)
    if prev.size and prev.min() < 0:
        bad = int(np.argmin(prev))
        raise AllocationError(f"previous amount at index {bad} is negative: {int(prev[bad])}")
    cap = MAX_CENTS if total_cents is None else int(total_cents)
    n = prev.size
    delta = np.full(n, cap, dtype=np.int64)
    free = np.ones(n, dtype=bool)

    if bounds.max_change_pct is not None:
        num, den = _as_fraction(bounds.max_change_pct)
        held = prev > 0
        delta = np.where(held, np.minimum(delta, _mul_div_floor(prev, num, den * 100, cap)), delta)
        free &= ~held

    if bounds.max_change_per_young_eur is not None:
        if young_population is None:
            raise AllocationError("damping per young inhabitant needs the young population")
        young = np.asarray(young_population, dtype=np.float64)
        if young.shape != (n,):
            raise AllocationError(f"young population has shape {young.shape}, expected ({n},)")
        if n and not (young.min() >= 0 and young.max() < np.inf):
            bad = int(np.flatnonzero(~(np.isfinite(young) & (young >= 0)))[0])
            raise AllocationError(f"young population at index {bad} is {float(young[bad])}")
        num, den = _as_fraction(bounds.max_change_per_young_eur)
        whole = np.floor(young)
        if np.array_equal(whole, young) and (not n or young.max() < MAX_CENTS):
            per_young = _mul_div_floor(whole.astype(np.int64), num * 100, den, cap)
        else:
            # Estimated (fractional) populations: float product, floored.
            per_young = np.minimum(np.floor(young * (num * 100 / den)), cap).astype(np.int64)
        delta = np.minimum(delta, per_young)
        free[:] = False

    lower = np.where(free, 0, np.maximum(prev - delta, 0))
    upper = np.where(free, cap, prev + delta)
    return lower.astype(np.int64), upper.astype(np.int64)


def _as_fraction(value: float) -> tuple[int, int]:
    """The decimal number the config wrote (``0.07`` is 7/100, not the nearest binary float)."""
    frac = Fraction(Decimal(repr(float(value))))
    return frac.numerator, frac.denominator


def _mul_div_floor(values: Cents, num: int, den: int, cap: int) -> Cents:
    """``min(floor(values · num / den), cap)`` exactly, in int64 where it cannot overflow."""
    if values.size == 0:
        return values.copy()
    if int(values.max()) * num < 2**62:
        return np.minimum((values * num) // den, cap)
    return np.array([min(v * num // den, cap) for v in values.tolist()], dtype=np.int64)


def damp(
    targets: npt.ArrayLike,
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    total_cents: int,
) -> tuple[Floats, Labels]:
    """Project the targets onto ``{lower <= x <= upper, Σx = total}``; label the bound each hit.

    Returns the projection in float cents (round it with ``split_cents`` and the same bounds) and
    per area ``"lower"``/``"upper"`` where the area is held at a bound that its target lies
    beyond, else ``""``. An area pushed onto a bound only by the shift that pays for the others
    (its target inside its band) is moved by damping but not labelled: its own target did not
    ask to cross the bound.

    ``x(λ) = clip(t + λ, lower, upper)`` and ``f(λ) = Σ x(λ)`` is continuous, non-decreasing and
    linear between the 2n breakpoints ``lower - t`` and ``upper - t``. Sorting them once, with
    prefix sums, gives f at any breakpoint in O(log n); a binary search over the sorted
    breakpoints finds the segment where f reaches the total, and λ is solved on that line.
    """
    t = np.asarray(targets, dtype=np.float64)
    lo = np.asarray(lower)
    hi = np.asarray(upper)
    n = t.size
    if t.ndim != 1 or lo.shape != (n,) or hi.shape != (n,):
        raise AllocationError(
            f"targets {t.shape}, lower {lo.shape} and upper {hi.shape} must be equal 1-D shapes"
        )
    if n and not np.isfinite(t).all():
        bad = int(np.flatnonzero(~np.isfinite(t))[0])
        raise AllocationError(f"target at index {bad} is {float(t[bad])}")
    if n and (lo.dtype.kind not in "iu" or hi.dtype.kind not in "iu"):
        raise AllocationError("damping bounds must be whole cents (integer arrays)")
    lo = lo.astype(np.int64, copy=False)
    hi = hi.astype(np.int64, copy=False)
    if n and np.any(lo > hi):
        i = int(np.flatnonzero(lo > hi)[0])
        raise AllocationError(f"lower bound {lo[i]} is above upper bound {hi[i]} at index {i}")
    total = int(total_cents)
    sum_lower, sum_upper = exact_sum(lo), exact_sum(hi)
    if not sum_lower <= total <= sum_upper:
        raise DampingInfeasibleError(
            f"damping cannot hold the budget: the lower bounds add up to {sum_lower} cents and "
            f"the upper bounds to {sum_upper} cents, but the total is {total} cents",
            details=[
                {"sum_lower_cents": sum_lower, "sum_upper_cents": sum_upper, "total_cents": total}
            ],
        )
    if n == 0:
        return np.zeros(0), _LABELS[:0]

    lf = lo.astype(np.float64)
    uf = hi.astype(np.float64)
    shift = _solve_shift(t, lf, uf, float(total))
    moved = t + shift
    x = np.clip(moved, lf, uf)
    # Labels come from x, which is unique, not from λ, which is not when every area sits at
    # a bound (any λ in a flat stretch of f gives the same x).
    code = ((t < lf) & (x <= lf)).view(np.int8) + 2 * ((t > uf) & (x >= uf)).view(np.int8)
    return x, _LABELS.take(code)


def _solve_shift(t: Floats, lower: Floats, upper: Floats, total: float) -> float:
    """The common shift λ with ``Σ clip(t + λ, lower, upper) == total`` (total is feasible)."""
    n = t.size
    # Fast path: no bound would bind after the plain shift, so f is the line Σt + nλ there.
    shift = (total - float(t.sum())) / n
    moved = t + shift
    if (moved >= lower).all() and (moved <= upper).all():
        # Decided on the cheap sum; computed on the order-free one (see order_free_sum).
        return (total - order_free_sum(t)) / n

    starts = np.sort(lower - t)  # λ where an area leaves its lower bound
    stops = np.sort(upper - t)  # λ where it reaches its upper bound
    start_sums = np.concatenate(([0.0], np.cumsum(starts)))
    stop_sums = np.concatenate(([0.0], np.cumsum(stops)))
    base = float(lower.sum())

    def f(lam: float) -> tuple[float, int]:
        """Σx at λ, and the slope just right of λ (areas strictly between their bounds)."""
        a = int(np.searchsorted(starts, lam, side="right"))
        b = int(np.searchsorted(stops, lam, side="right"))
        return base + (a * lam - start_sums[a]) - (b * lam - stop_sums[b]), a - b

    def last_at_or_below(points: Floats) -> int:
        """Index of the last sorted breakpoint with f <= total, or -1."""
        lo_i, hi_i = -1, points.size - 1
        while lo_i < hi_i:
            mid = (lo_i + hi_i + 1) // 2
            if f(float(points[mid]))[0] <= total:
                lo_i = mid
            else:
                hi_i = mid - 1
        return lo_i

    i, j = last_at_or_below(starts), last_at_or_below(stops)
    candidates = [float(starts[i])] if i >= 0 else []
    if j >= 0:
        candidates.append(float(stops[j]))
    # f(min start) == Σlower <= total, so there is a candidate unless float error in the prefix
    # sums put f a hair above a total that equals Σlower; then every area sits at its lower bound.
    lam = max(candidates, default=float(starts[0]))
    value, slope = f(lam)
    if slope > 0:
        return lam + (total - value) / slope
    # Flat: every area is at a bound up to the next breakpoint, and any λ there gives the same x.
    return lam
