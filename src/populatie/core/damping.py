"""Damping: how fast an area's budget may move from last year's amount toward its target.

A new formula or new figures can move an area's target a lot in one year; a partnership cannot
halve its teams in January. Damping bounds each area's change (a percentage of last year's amount
and/or a number of euro per young inhabitant) while the budget total stays exactly the same.

Among all allocations inside the bounds that add up to the total, we take the one closest to the
targets (the Euclidean projection). It has a simple shape, which is why it is easy to explain:
every area gets ``target + λ`` for one common shift ``λ``, except areas that hit a bound, which
stay at that bound. ``λ`` is found exactly from the sorted breakpoints, not by trial and error, so
the result is reproducible to the last bit.

Two ways to state the rules. :class:`DampingBounds` is the original pair (a percentage band and a
cap per young inhabitant, the tighter binding) whose areas are labelled plain ``"lower"`` or
``"upper"``. :class:`DampingRules` adds a growth floor and convergence toward the target by a
share of the distance per year; any combination holds at once, still budget-neutral and exact,
and every rule that binds an area is named in its label (``"pct_band:upper"``,
``"per_young_cap:lower"``, ``"min_growth"``, ``"convergence"``), so a planner can say *which*
rule held an area back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from populatie.core.money import MAX_CENTS, exact_sum, order_free_sum
from populatie.errors import AllocationError, ConfigurationError, DampingInfeasibleError

__all__ = [
    "RULES",
    "DampedAmounts",
    "DampingBounds",
    "DampingRules",
    "RuleLimits",
    "bound_limits",
    "convergence_point",
    "damp",
    "damp_rules",
    "rule_limits",
]

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


#: The rules of :class:`DampingRules` in the order their names appear in a label.
RULES: tuple[str, ...] = ("convergence", "pct_band", "per_young_cap", "min_growth")


@dataclass(frozen=True)
class DampingRules:
    """Combinable pace-of-change rules, each named where it binds an area.

    ``max_change_pct`` (``pct_band``): an area moves at most this % of its previous amount, up or
    down; an area whose previous amount is 0 is not held by it (as in :class:`DampingBounds`).
    ``max_change_per_young_eur`` (``per_young_cap``): at most this many euro per young
    inhabitant, up or down (the national model's phase-in of ±€15 per inhabitant).
    ``min_growth_pct`` (``min_growth``): a floor: no area gets less than its previous amount
    grown by this % (0: no area shrinks; -2: none shrinks by more than 2 %).
    ``convergence_share`` (``convergence``): each area moves this share of the way from where it
    stood (its previous amount, scaled to the new total) to its target: 1/3 closes a third of the
    gap a year. It replaces the point the other rules hold, so it is budget-neutral by itself.

    All given rules hold at once: the point (the targets, or the convergence point) is projected
    onto the intersection of the bounds with the total fixed, exactly as :func:`damp` does.
    """

    max_change_pct: float | None = None
    max_change_per_young_eur: float | None = None
    min_growth_pct: float | None = None
    convergence_share: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_change_pct", "max_change_per_young_eur"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise ConfigurationError(f"damping {name} must be a number >= 0, got {value!r}")
        growth = self.min_growth_pct
        if growth is not None and not (np.isfinite(growth) and growth >= -100):
            raise ConfigurationError(f"damping min_growth_pct must be >= -100, got {growth!r}")
        share = self.convergence_share
        if share is not None and not (np.isfinite(share) and 0 <= share <= 1):
            raise ConfigurationError(
                f"damping convergence_share must be between 0 and 1, got {share!r}"
            )

    @property
    def active(self) -> bool:
        return any(
            v is not None
            for v in (
                self.max_change_pct,
                self.max_change_per_young_eur,
                self.min_growth_pct,
                self.convergence_share,
            )
        )

    @property
    def needs_young_population(self) -> bool:
        return self.max_change_per_young_eur is not None

    @classmethod
    def from_bounds(cls, bounds: DampingBounds) -> DampingRules:
        return cls(
            max_change_pct=bounds.max_change_pct,
            max_change_per_young_eur=bounds.max_change_per_young_eur,
        )


@dataclass(frozen=True, eq=False)
class RuleLimits:
    """Every rule's own bounds per area, and their intersection (``lower``, ``upper``).

    ``rule_lower``/``rule_upper`` hold only the rules that are given; a rule without an upper
    bound (``min_growth``) has no entry in ``rule_upper``. The arrays are read-only.
    """

    lower: Cents
    upper: Cents
    rule_lower: dict[str, Cents]
    rule_upper: dict[str, Cents]

    def __post_init__(self) -> None:
        for arr in (self.lower, self.upper, *self.rule_lower.values(), *self.rule_upper.values()):
            arr.setflags(write=False)


def rule_limits(
    previous_cents: npt.ArrayLike,
    rules: DampingRules,
    young_population: npt.ArrayLike | None = None,
    *,
    total_cents: int | None = None,
    area_keys: Sequence[str] | None = None,
) -> RuleLimits:
    """Each rule's bounds in whole cents (rounded inward, exact), and their intersection.

    Rules that contradict each other for an area (a growth floor above a percentage band) are a
    :class:`DampingInfeasibleError` naming the area and both rules: no amount satisfies both.
    """
    prev = _previous(previous_cents)
    cap = MAX_CENTS if total_cents is None else int(total_cents)
    n = prev.size
    rule_lower: dict[str, Cents] = {}
    rule_upper: dict[str, Cents] = {}
    if rules.max_change_pct is not None:
        held = prev > 0
        delta = _pct_delta(prev, rules.max_change_pct, cap)
        rule_lower["pct_band"] = np.where(held, np.maximum(prev - delta, 0), 0).astype(np.int64)
        rule_upper["pct_band"] = np.where(held, prev + delta, cap).astype(np.int64)
    if rules.max_change_per_young_eur is not None:
        delta = _young_delta(young_population, n, rules.max_change_per_young_eur, cap)
        rule_lower["per_young_cap"] = np.maximum(prev - delta, 0).astype(np.int64)
        rule_upper["per_young_cap"] = (prev + delta).astype(np.int64)
    if rules.min_growth_pct is not None:
        num, den = _as_fraction(rules.min_growth_pct)
        # ceil(prev · (100 + g) / 100) = -floor(-prev · (100·den + num) / (100·den))
        rule_lower["min_growth"] = _mul_div_ceil(prev, 100 * den + num, 100 * den)
    lower = np.zeros(n, dtype=np.int64)
    for values in rule_lower.values():
        lower = np.maximum(lower, values)
    # The tightest upper rule, not also capped at the total: exactly the bounds that
    # bound_limits gives for the same two band rules, so a run reproduces to the cent.
    uppers = list(rule_upper.values())
    upper = np.full(n, cap, dtype=np.int64) if not uppers else np.minimum.reduce(uppers)
    if n and np.any(lower > upper):
        i = int(np.flatnonzero(lower > upper)[0])
        name = _name(area_keys, i)
        lows = [r for r, v in rule_lower.items() if v[i] == lower[i]]
        highs = [r for r, v in rule_upper.items() if v[i] == upper[i]] or ["the budget total"]
        raise DampingInfeasibleError(
            f"damping rules contradict each other for area {name}: it must get at least "
            f"{int(lower[i])} cents ({', '.join(lows)}) and at most {int(upper[i])} cents "
            f"({', '.join(highs)})",
            details=[
                {
                    "area": name,
                    "lower_cents": int(lower[i]),
                    "upper_cents": int(upper[i]),
                    "lower_rules": lows,
                    "upper_rules": highs,
                }
            ],
        )
    return RuleLimits(lower=lower, upper=upper, rule_lower=rule_lower, rule_upper=rule_upper)


def _name(keys: Sequence[str] | None, i: int) -> str:
    return repr(keys[i]) if keys is not None and i < len(keys) else f"#{i}"


def convergence_point(
    targets: npt.ArrayLike, previous_cents: npt.ArrayLike, share: float, total_cents: int
) -> Floats:
    """``q + share · (target - q)``, with ``q`` the previous amounts scaled to the new total.

    Both ``q`` and the targets add up to the total, so the point does too: convergence moves
    money between areas, never in or out. Without any previous amount there is nothing to
    converge from, and the point is the target.
    """
    t = np.asarray(targets, dtype=np.float64)
    prev = _previous(previous_cents)
    if prev.shape != t.shape:
        raise AllocationError(f"previous amounts {prev.shape} and targets {t.shape} differ")
    before = exact_sum(prev)
    if before == 0:
        return t.copy()
    scaled = prev.astype(np.float64) * (float(total_cents) / float(before))
    point: Floats = scaled + float(share) * (t - scaled)
    return point


@dataclass(frozen=True, eq=False)
class DampedAmounts:
    """What :func:`damp_rules` returns: the exact (float) amounts, the bounds, the point that
    was projected, and per area the ``+``-joined names of the rules that bind it."""

    exact_cents: Floats
    point_cents: Floats
    lower_cents: Cents
    upper_cents: Cents
    labels: Labels

    def __post_init__(self) -> None:
        for value in vars(self).values():
            value.setflags(write=False)


def damp_rules(
    targets: npt.ArrayLike,
    previous_cents: npt.ArrayLike,
    rules: DampingRules,
    total_cents: int,
    *,
    young_population: npt.ArrayLike | None = None,
    area_keys: Sequence[str] | None = None,
    tolerance_cents: float = 0.5,
) -> DampedAmounts:
    """Apply every given rule at once, budget-neutrally, and name the rules that bind.

    The point is the targets, or with ``convergence_share`` the convergence point; it is
    projected onto the intersection of the rules' bounds with the total fixed (:func:`damp`).
    An area's label names ``convergence`` where the convergence point lies
    ``tolerance_cents`` or more from its target, and ``<rule>:lower``/``<rule>:upper``
    (``min_growth`` for the floor) for every rule whose bound the area ends within
    ``tolerance_cents`` of (see :func:`damp`); two rules giving the same bound are both named.
    Labels join names with ``+`` in the order of :data:`RULES`, e.g.
    ``"convergence+pct_band:upper"``.
    """
    t = np.asarray(targets, dtype=np.float64)
    total = int(total_cents)
    limits = rule_limits(
        previous_cents, rules, young_population, total_cents=total, area_keys=area_keys
    )
    if limits.lower.shape != t.shape:
        raise AllocationError(f"previous amounts {limits.lower.shape} and targets {t.shape} differ")
    if rules.convergence_share is None:
        point = t
    else:
        point = convergence_point(t, previous_cents, rules.convergence_share, total)
    try:
        exact, side = damp(
            point, limits.lower, limits.upper, total, tolerance_cents=tolerance_cents
        )
    except DampingInfeasibleError as exc:
        given = ", ".join(dict.fromkeys((*limits.rule_lower, *limits.rule_upper))) or "none"
        raise DampingInfeasibleError(
            f"{exc.message} (rules: {given})",
            details=exc.details,
        ) from None
    names: list[list[str]] = [[] for _ in range(t.size)]
    if rules.convergence_share is not None:
        for i in np.flatnonzero(np.abs(point - t) >= tolerance_cents).tolist():
            names[i].append("convergence")
    for i in np.flatnonzero(side == "lower").tolist():
        held = [r for r, v in limits.rule_lower.items() if v[i] == limits.lower[i]]
        names[i].extend(r if r == "min_growth" else f"{r}:lower" for r in held)
    for i in np.flatnonzero(side == "upper").tolist():
        names[i].extend(
            f"{r}:upper" for r, v in limits.rule_upper.items() if v[i] == limits.upper[i]
        )
    labels = np.array(["+".join(sorted(parts, key=_rule_order)) for parts in names], dtype=np.str_)
    if not t.size:
        labels = np.zeros(0, dtype="<U1")
    return DampedAmounts(
        exact_cents=exact,
        point_cents=np.array(point, dtype=np.float64),
        lower_cents=limits.lower.copy(),
        upper_cents=limits.upper.copy(),
        labels=labels,
    )


def _rule_order(label: str) -> int:
    return RULES.index(label.split(":")[0])


def bound_limits(
    previous_cents: npt.ArrayLike,
    bounds: DampingBounds | DampingRules,
    young_population: npt.ArrayLike | None = None,
    *,
    total_cents: int | None = None,
) -> tuple[Cents, Cents]:
    """Each area's lowest and highest allowed amount, in whole cents.

    The lower bound is rounded up and the upper bound down, so any whole-cent amount between them
    respects the rule as written; the arithmetic is exact integer arithmetic on the decimal
    values from config (5 % of 100 cents is 5 cents, not 5.000000000000001). Lower bounds never
    go below 0. An area no rule holds gets ``[0, total_cents]`` (or ``[0, MAX_CENTS]`` without a
    total): no area can exceed the total anyway. With :class:`DampingRules`, the result is the
    intersection of every rule's bounds (see :func:`rule_limits`).
    """
    if isinstance(bounds, DampingRules):
        limits = rule_limits(previous_cents, bounds, young_population, total_cents=total_cents)
        return limits.lower, limits.upper
    prev = _previous(previous_cents)
    cap = MAX_CENTS if total_cents is None else int(total_cents)
    n = prev.size
    delta = np.full(n, cap, dtype=np.int64)
    free = np.ones(n, dtype=bool)

    if bounds.max_change_pct is not None:
        held = prev > 0
        delta = np.where(
            held, np.minimum(delta, _pct_delta(prev, bounds.max_change_pct, cap)), delta
        )
        free &= ~held

    if bounds.max_change_per_young_eur is not None:
        delta = np.minimum(
            delta, _young_delta(young_population, n, bounds.max_change_per_young_eur, cap)
        )
        free[:] = False

    lower = np.where(free, 0, np.maximum(prev - delta, 0))
    upper = np.where(free, cap, prev + delta)
    return lower.astype(np.int64), upper.astype(np.int64)


def _previous(previous_cents: npt.ArrayLike) -> Cents:
    prev = np.asarray(previous_cents)
    if prev.ndim != 1 or (prev.size and prev.dtype.kind not in "iu"):
        raise AllocationError(
            f"previous amounts must be a 1-D array of whole cents, got {prev.dtype}{prev.shape}"
        )
    prev = prev.astype(np.int64, copy=False)
    if prev.size and prev.min() < 0:
        bad = int(np.argmin(prev))
        raise AllocationError(f"previous amount at index {bad} is negative: {int(prev[bad])}")
    return prev


def _pct_delta(prev: Cents, pct: float, cap: int) -> Cents:
    """``floor(prev · pct / 100)``, exactly, capped."""
    num, den = _as_fraction(pct)
    return _mul_div_floor(prev, num, den * 100, cap)


def _young_delta(young_population: npt.ArrayLike | None, n: int, eur: float, cap: int) -> Cents:
    """``floor(young · eur · 100)`` cents, exactly for whole populations, capped."""
    if young_population is None:
        raise AllocationError("damping per young inhabitant needs the young population")
    young = np.asarray(young_population, dtype=np.float64)
    if young.shape != (n,):
        raise AllocationError(f"young population has shape {young.shape}, expected ({n},)")
    if n and not (young.min() >= 0 and young.max() < np.inf):
        bad = int(np.flatnonzero(~(np.isfinite(young) & (young >= 0)))[0])
        raise AllocationError(f"young population at index {bad} is {float(young[bad])}")
    num, den = _as_fraction(eur)
    whole = np.floor(young)
    if np.array_equal(whole, young) and (not n or young.max() < MAX_CENTS):
        return _mul_div_floor(whole.astype(np.int64), num * 100, den, cap)
    # Estimated (fractional) populations: float product, floored.
    return np.minimum(np.floor(young * (num * 100 / den)), cap).astype(np.int64)


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


def _mul_div_ceil(values: Cents, num: int, den: int) -> Cents:
    """``ceil(values · num / den)`` exactly (``num`` >= 0), in int64 where it cannot overflow."""
    if values.size == 0:
        return values.copy()
    if int(values.max()) * num < 2**62:
        return -((-values * num) // den)
    return np.array([-(-v * num // den) for v in values.tolist()], dtype=np.int64)


def damp(
    targets: npt.ArrayLike,
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
    total_cents: int,
    *,
    tolerance_cents: float = 0.5,
) -> tuple[Floats, Labels]:
    """Project the targets onto ``{lower <= x <= upper, Σx = total}``; label the bound each hit.

    Returns the projection in float cents (round it with ``split_cents`` and the same bounds) and
    per area ``"lower"``/``"upper"`` where the area ends within ``tolerance_cents`` of that
    bound, else ``""``. That includes an area pushed onto a bound by the shift that pays for the
    others (its target inside its band) and one whose target lies exactly on it: the bound is
    what holds it there, and a planner asking why an area cannot move must see the rule. Where
    both bounds are that close (a band of zero width) the side is the one the target lies
    beyond: below the amount is ``"lower"``, otherwise ``"upper"``.

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
    at_lower = x - lf <= tolerance_cents
    at_upper = uf - x <= tolerance_cents
    at_lower &= ~at_upper | (t < x)
    at_upper &= ~at_lower
    code = at_lower.view(np.int8) + 2 * at_upper.view(np.int8)
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
