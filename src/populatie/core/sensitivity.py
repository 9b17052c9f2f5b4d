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
  intervals (the bootstrap intervals of an estimate): exact where a rate vector reaches it, else
  a proven bound next to the most extreme amount reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from populatie.core.allocation import targets
from populatie.core.damping import (
    DampingRules,
    bound_limits,
    convergence_point,
    damp,
    damp_rules,
)
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

#: Points tried along each rate's interval when searching for an area's extreme amount.
_GRID = 9


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

    ``min_cents``/``max_cents`` contain every amount the allocation gives for rates inside the
    intervals. Where ``min_exact``/``max_exact`` is true the extreme is exact: the rate vector
    in ``low_rates``/``high_rates`` (areas × indicators) reaches it. Where it is false the
    figure is a proven *bound*, and ``reached_min_cents``/``reached_max_cents`` are the most
    extreme amounts a search found, reached at ``low_rates``/``high_rates``: the true extreme
    lies between the two. The arrays are read-only.
    """

    domain: str
    amount_cents: Cents
    min_cents: Cents
    max_cents: Cents
    low_rates: Floats
    high_rates: Floats
    reached_min_cents: Cents
    reached_max_cents: Cents
    min_exact: npt.NDArray[np.bool_]
    max_exact: npt.NDArray[np.bool_]

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
    *,
    samples: int = 256,
    seed: int = 0,
) -> RateRange:
    """Each area's amount in ``domain`` at ``rates``, and its range while every rate k of that
    domain ranges over ``[low[k], high[k]]`` (the other domains keep their rates).

    **Targets.** An area's target is ``base + rest · (c·w) / (d·w)`` (its counts ``c``, the
    municipality's ``d``): a ratio of two linear functions of the rates, whose extremes over a
    box lie at one of only K + 1 corners (the indicators in which the area has more than some
    share of the municipality's count at one end, the others at the other end). So each area's
    highest and lowest target is found exactly.

    **Bound.** Damping is a projection ``x = clip(p + λ, lower, upper)`` with ``Σx`` fixed, and
    its point ``p`` moves with each area's own target only. Such a projection is monotone: an
    area's amount never falls when its own target rises and never rises when another's does.
    So the amount of area a is at most the projection of the targets with a's at its highest
    and every other at its lowest (at least: the reverse), whether or not one rate vector gives
    them all at once; whole cents add at most one cent (a largest-remainder split is the floor
    or the ceiling), and the damping bounds themselves cap it. Because the targets always add
    up to the budget, the others cannot all sit at their lowest while a's is highest: a convex
    relaxation of how they share the rest tightens the bound (:func:`_sum_bound`). That is a
    proven range.

    **Search.** The amount is only piecewise a ratio of linear functions (the pieces are where
    damping holds which areas), so the extremes need not sit at the corners. Every corner
    found above, ``samples`` random points of the box (seeded) and, per area and side, a walk
    over the corners that flips one rate at a time while it helps, are allocated in full
    (targets, damping, cents). Where the most extreme amount found equals the bound, the
    range is exact there and its rate vector reaches it; elsewhere the bound is reported as a
    bound, next to what was reached, then a walk along each rate's interval tries to close the
    gap. Without damping the extremes are the targets' and are reached up to the rounding
    cent.
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
    if not (totals @ lo) > 0:
        raise AllocationError(
            f"the rate intervals of domain {domain!r} reach rates that give no need anywhere "
            "(every counted indicator's low end is 0): no allocation exists there, so the "
            "range is not defined"
        )
    n = len(inputs.area_keys)
    base = inputs.base_cents[j]
    budget = int(inputs.budget_cents[j])

    def target_of(vector: Floats) -> Floats:
        return targets(area_counts @ vector, base, budget)

    target_low = np.empty(n)
    target_high = np.empty(n)
    corners: dict[bytes, Floats] = {}
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
        target_high[a], target_low[a] = best_high[0], best_low[0]
        corners[best_high[1].tobytes()] = best_high[1]
        corners[best_low[1].tobytes()] = best_low[1]

    bound_low, bound_high = _proven_range(inputs, j, target_low, target_high, budget)

    def amounts_at(vector: Floats) -> Cents:
        matrix = inputs.rates.copy()
        matrix[:, j] = vector
        return inputs.allocate(rates=matrix, domains=[domain])[domain].amount_cents

    at_rates = amounts_at(w)
    reached_low, reached_high = at_rates.copy(), at_rates.copy()
    low_rates = np.tile(w, (n, 1))
    high_rates = np.tile(w, (n, 1))

    def record(vector: Floats) -> Cents:
        amounts = amounts_at(vector)
        lower, higher = amounts < reached_low, amounts > reached_high
        reached_low[lower], reached_high[higher] = amounts[lower], amounts[higher]
        low_rates[lower], high_rates[higher] = vector, vector
        return amounts

    for vector in corners.values():
        record(vector)
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        record(lo + rng.random(k_count) * (hi - lo))
    for a in range(n):
        for sign, best, reached, bound in (
            (1, high_rates, reached_high, bound_high),
            (-1, low_rates, reached_low, bound_low),
        ):
            vector = np.where(best[a] - lo <= hi - best[a], lo, hi)
            value = sign * int(record(vector)[a])
            improved = True
            while improved and reached[a] != bound[a]:
                improved = False
                for k in np.flatnonzero(hi > lo):
                    flipped = vector.copy()
                    flipped[k] = hi[k] if vector[k] == lo[k] else lo[k]
                    moved = sign * int(record(flipped)[a])
                    if moved > value:
                        vector, value, improved = flipped, moved, True
            # Then along each rate through the inside of its interval, where damping changes
            # which areas it holds (the pieces' corners need not be the box's).
            vector = best[a].copy()
            value = sign * int(reached[a])
            for _ in range(2):
                for k in np.flatnonzero(hi > lo):
                    if reached[a] == bound[a]:
                        break
                    for point in np.linspace(lo[k], hi[k], _GRID):
                        tried = vector.copy()
                        tried[k] = point
                        moved = sign * int(record(tried)[a])
                        if moved > value:
                            vector, value = tried, moved
    return RateRange(
        domain=domain,
        amount_cents=at_rates,
        min_cents=np.minimum(bound_low, reached_low),
        max_cents=np.maximum(bound_high, reached_high),
        low_rates=low_rates,
        high_rates=high_rates,
        reached_min_cents=reached_low,
        reached_max_cents=reached_high,
        min_exact=reached_low <= bound_low,
        max_exact=reached_high >= bound_high,
    )


def _proven_range(
    inputs: AllocationInputs, j: int, target_low: Floats, target_high: Floats, budget: int
) -> tuple[Cents, Cents]:
    """Per area, whole cents below and above every amount any rates in the box can give.

    The projection of damping is monotone (see :func:`rate_range`), so area a's amount is at
    most the projection of the targets with a's highest and the others' lowest. Float error of
    the projection is far below ``margin``; the floor/ceiling covers the whole-cent split.
    """
    n = target_low.size
    margin = 1e-9 + 1e-12 * float(budget)
    floor_all = np.floor(target_low - margin).astype(np.int64)
    ceil_all = np.ceil(target_high + margin).astype(np.int64)
    rules = inputs.rules
    previous = None if inputs.previous_cents is None else inputs.previous_cents[j]
    if previous is None or rules is None or not rules.active:
        base = inputs.base_cents[j]
        return np.maximum(floor_all, base), np.minimum(ceil_all, budget)
    low = np.empty(n, dtype=np.int64)
    high = np.empty(n, dtype=np.int64)
    lower_limit: Cents | None = None
    upper_limit: Cents | None = None
    for a in range(n):
        up = target_low.copy()
        up[a] = target_high[a]
        down = target_high.copy()
        down[a] = target_low[a]
        (x_up, lower_limit, upper_limit), (x_down, _, _) = (
            _damped_exact(inputs, j, up, previous, budget),
            _damped_exact(inputs, j, down, previous, budget),
        )
        high[a] = int(np.ceil(x_up[a] + margin))
        low[a] = int(np.floor(x_down[a] - margin))
    assert lower_limit is not None
    assert upper_limit is not None
    # Tighter where the targets' sum matters: every target vector adds up to the budget.
    share = rules.convergence_share if isinstance(rules, DampingRules) else None
    if share is None:
        point_low, point_high = target_low, target_high
    else:
        point_low = convergence_point(target_low, previous, share, budget)
        point_high = convergence_point(target_high, previous, share, budget)
    lim_lo = lower_limit.astype(np.float64)
    lim_hi = upper_limit.astype(np.float64)
    for a in range(n):
        top = _sum_bound(a, point_low, point_high, lim_lo, lim_hi, float(budget), margin)
        bottom = -_sum_bound(a, -point_high, -point_low, -lim_hi, -lim_lo, -float(budget), margin)
        high[a] = min(high[a], int(np.ceil(top + margin)))
        low[a] = max(low[a], int(np.floor(bottom - margin)))
    return np.maximum(low, lower_limit), np.minimum(high, upper_limit)


def _sum_bound(
    a: int,
    low: Floats,
    high: Floats,
    lower: Floats,
    upper: Floats,
    total: float,
    margin: float,
) -> float:
    """An upper bound on ``clip(p_a + λ, lower_a, upper_a)`` over every point ``p`` in the box
    ``[low, high]`` with ``Σp = total`` (what the damping projects; λ makes the clipped sum
    the total).

    Area a's own point at its highest helps it, and the others then share what is left. For a
    trial λ, the others' clipped sum is at least a convex relaxation (each area's clipped value
    as a function of what it gets is replaced by its convex minorant, and the least sum is then
    a greedy fill by slope); when even that exceeds the total, no point reaches λ. A bisection
    gives the λ past which none does. The lower bound is this one on the negated problem.
    """
    others = np.arange(low.size) != a
    own = min(float(high[a]), total - float(low[others].sum()))
    lo_o, hi_o = low[others], high[others]
    l_o, u_o = lower[others], upper[others]
    extra = max(0.0, total - own - float(lo_o.sum()))
    room = hi_o - lo_o

    def least_others(lam: float) -> float:
        base = np.clip(lo_o + lam, l_o, u_o)
        free = np.clip(l_o - lam - lo_o, 0.0, room)  # what an area takes before it moves
        rise = np.clip(hi_o + lam, l_o, u_o) - base  # what it moves by when it takes it all
        width = room - free
        left = extra - float(free.sum())
        cost = 0.0
        if left > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = np.where(width > 0, rise / width, np.inf)
            for i in np.argsort(slope, kind="stable"):
                take = min(left, float(width[i]))
                cost += take * float(slope[i]) if take > 0 else 0.0
                left -= take
                if left <= 0:
                    break
        return float(base.sum()) + cost

    def reaches(lam: float) -> bool:
        own_x = min(max(own + lam, float(lower[a])), float(upper[a]))
        return least_others(lam) + own_x <= total + margin

    lam_lo = float((lower - high).min()) - 1.0
    lam_hi = float((upper - low).max()) + 1.0
    if reaches(lam_hi):
        return float(upper[a])
    if not reaches(lam_lo):
        return float(lower[a])
    for _ in range(200):
        mid = (lam_lo + lam_hi) / 2
        if mid in (lam_lo, lam_hi):
            break
        if reaches(mid):
            lam_lo = mid
        else:
            lam_hi = mid
    return min(max(own + lam_hi, float(lower[a])), float(upper[a]))


def _damped_exact(
    inputs: AllocationInputs, j: int, target: Floats, previous: Cents, budget: int
) -> tuple[Floats, Cents, Cents]:
    """The exact damped amounts for any target vector, by the same rules a run applies."""
    rules = inputs.rules
    if isinstance(rules, DampingRules):
        result = damp_rules(
            target,
            previous,
            rules,
            budget,
            young_population=inputs.young_population,
            area_keys=inputs.area_keys,
        )
        return result.exact_cents, result.lower_cents, result.upper_cents
    assert rules is not None
    lower, upper = bound_limits(previous, rules, inputs.young_population, total_cents=budget)
    exact, _ = damp(target, lower, upper, budget)
    return exact, lower, upper


def indicator_positions(inputs: AllocationInputs, keys: Sequence[str]) -> list[int]:
    """Positions of ``keys`` among the inputs' indicators; an unknown key is an error."""
    missing = [k for k in keys if k not in inputs.indicator_keys]
    if missing:
        raise AllocationError(
            f"indicator(s) {', '.join(missing)} are not among {', '.join(inputs.indicator_keys)}"
        )
    return [inputs.indicator_keys.index(k) for k in keys]
