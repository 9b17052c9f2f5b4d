"""Hypothesis strategies for damping cases that are feasible by construction.

Drawing a budget and rules independently leaves a third of the cases infeasible, and a property
test that returns early on those checks nothing in them. Here the rules are drawn so they cannot
contradict each other for an area (a growth floor is at most 0 % whenever a band rule is given,
so the floor stays at or below the previous amount, which every band contains), and the total
is drawn between the sums of the bounds those rules give.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

from populatie.core.damping import DampingBounds, DampingRules, bound_limits

PCT_BANDS = (0.5, 2.0, 5.0, 12.5, 40.0)
YOUNG_CAPS = (1.0, 15.0, 50.0)
SHARES = (0.0, 0.25, 1 / 3, 1.0)


@st.composite
def damping_rules(draw: st.DrawFn, *, band: bool = False) -> DampingRules:
    """Rules that never contradict each other; ``band``: at least one band rule is given."""
    pct = draw(st.none() | st.sampled_from(PCT_BANDS))
    young = draw(st.none() | st.sampled_from(YOUNG_CAPS))
    if band and pct is None and young is None:
        pct = draw(st.sampled_from(PCT_BANDS))
    floors = [-10.0, -2.0, 0.0] + ([] if pct is not None or young is not None else [1.0])
    return DampingRules(
        max_change_pct=pct,
        max_change_per_young_eur=young,
        min_growth_pct=draw(st.none() | st.sampled_from(floors)),
        convergence_share=draw(st.none() | st.sampled_from(SHARES)),
    )


def feasible_total(
    draw: st.DrawFn,
    previous: npt.NDArray[np.int64],
    rules: DampingRules | DampingBounds,
    young: npt.ArrayLike | None,
) -> int:
    """A total the rules can hold: the sum of the lower bounds, of the upper bounds, the
    previous total, or anything between (kept within about twice the previous total).

    Bands are cut to the total (no area can move by more than the whole budget), which can lift
    a lower bound when the total is small; the total is then raised to the new sum of the lower
    bounds, which only narrows the bands further and so converges in a step or two.
    """
    low, high = (int(v.sum()) for v in bound_limits(previous, rules, young))
    before = int(previous.sum())
    high = max(low, min(high, 2 * before + 10**6))
    total = draw(st.sampled_from([low, high, min(max(before, low), high)]) | st.integers(low, high))
    for _ in range(8):
        lower, upper = bound_limits(previous, rules, young, total_cents=total)
        if int(lower.sum()) <= total <= int(upper.sum()):
            return total
        total = max(int(lower.sum()), min(total, int(upper.sum())))
    raise AssertionError(f"no feasible total found for {previous.tolist()} under {rules}")


RuleCase = tuple[
    npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.float64], int, DampingRules
]


@st.composite
def feasible_rule_cases(draw: st.DrawFn, *, band: bool = False) -> RuleCase:
    """(need, previous, young, total, rules) such that the rules can hold the total."""
    n = draw(st.integers(1, 12))
    previous = np.array(draw(st.lists(st.integers(0, 10**9), min_size=n, max_size=n)))
    young = np.array(draw(st.lists(st.integers(0, 50_000), min_size=n, max_size=n)), dtype=float)
    need = np.array(draw(st.lists(st.floats(0, 1e6), min_size=n, max_size=n)))
    rules = draw(damping_rules(band=band))
    total = feasible_total(draw, previous, rules, young)
    return need, previous, young, total, rules
