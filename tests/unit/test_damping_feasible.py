"""The damping properties on cases that are feasible by construction, so every example checks.

The properties in test_damping_rules.py draw a budget and rules independently and return early
when the rules cannot hold the budget (about a third of the examples); those tests stay, for
the infeasible side. Here nothing is skipped: every drawn case must allocate, and each example
records whether an area was actually held by a bound (``--hypothesis-show-statistics``), so a
strategy that stops exercising the bounds shows up.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings

from populatie.core.allocation import allocate_domain
from populatie.core.damping import DampingBounds, DampingRules, damp_rules, rule_limits
from populatie.errors import AllocationError
from tests.unit.feasible import feasible_rule_cases

Case = tuple[np.ndarray, np.ndarray, np.ndarray, int, DampingRules]


def _keys(n: int) -> list[str]:
    return [f"GB{i:02d}" for i in range(n)]


def _held(labels: list[str]) -> str:
    return "an area is held by a rule" if any(labels) else "no area is held"


@settings(max_examples=400, deadline=None)
@given(feasible_rule_cases())
def test_every_rule_holds_and_the_total_is_exact(case: Case) -> None:
    need, previous, young, budget, rules = case
    if budget and not need.any():
        # No need anywhere: the domain is refused rather than split equally (test_allocation).
        with pytest.raises(AllocationError, match="every area's need is 0"):
            allocate_domain(
                need, np.zeros(len(need), dtype=np.int64), budget, area_keys=_keys(len(need))
            )
        return
    result = allocate_domain(
        need,
        np.zeros(len(need), dtype=np.int64),
        budget,
        area_keys=_keys(len(need)),
        previous_cents=previous,
        bounds=rules,
        young_population=young,
    )
    event(_held(result.bound.tolist()))
    x = result.amount_cents
    assert int(x.sum()) == budget
    assert (x >= 0).all()
    p = [Fraction(int(v)) for v in previous]
    for i, amount in enumerate(x.tolist()):
        move = abs(Fraction(amount) - p[i])
        if rules.max_change_pct is not None and p[i] > 0:
            assert move <= p[i] * Fraction(str(rules.max_change_pct)) / 100
        if rules.max_change_per_young_eur is not None:
            cap = Fraction(int(young[i])) * Fraction(str(rules.max_change_per_young_eur)) * 100
            assert move <= cap
        if rules.min_growth_pct is not None:
            assert amount >= p[i] * (1 + Fraction(str(rules.min_growth_pct)) / 100)


@settings(max_examples=300, deadline=None)
@given(feasible_rule_cases())
def test_labels_name_exactly_the_rules_that_hold_an_area(case: Case) -> None:
    need, previous, young, budget, rules = case
    target = (
        need / need.sum() * budget if need.sum() > 0 else np.full(len(need), budget / len(need))
    )
    damped = damp_rules(target, previous, rules, budget, young_population=young)
    event(_held(damped.labels.tolist()))
    limits = rule_limits(previous, rules, young, total_cents=budget)
    assert damped.lower_cents.tolist() == limits.lower.tolist()
    assert damped.upper_cents.tolist() == limits.upper.tolist()
    point = damped.point_cents
    for i, label in enumerate(damped.labels.tolist()):
        names = set(label.split("+")) if label else set()
        x = damped.exact_cents[i]
        assert limits.lower[i] <= x <= limits.upper[i]
        # within half a cent of a bound; of two such bounds, the one the point lies beyond
        near_lower = x - limits.lower[i] <= 0.5
        near_upper = limits.upper[i] - x <= 0.5
        at_lower = near_lower and (not near_upper or point[i] < x)
        at_upper = near_upper and not at_lower
        expected = set()
        if rules.convergence_share is not None and abs(point[i] - target[i]) >= 0.5:
            expected.add("convergence")
        if at_lower:
            for rule, values in limits.rule_lower.items():
                if values[i] == limits.lower[i]:
                    expected.add(rule if rule == "min_growth" else f"{rule}:lower")
        if at_upper:
            for rule, values in limits.rule_upper.items():
                if values[i] == limits.upper[i]:
                    expected.add(f"{rule}:upper")
        assert names == expected


@settings(max_examples=200, deadline=None)
@given(feasible_rule_cases(band=True))
def test_the_two_band_rules_allocate_as_damping_bounds_did(case: Case) -> None:
    need, previous, young, budget, rules = case
    bounds = DampingBounds(rules.max_change_pct, rules.max_change_per_young_eur)
    band_only = DampingRules.from_bounds(bounds)
    common: dict[str, Any] = {
        "area_keys": _keys(len(need)),
        "previous_cents": previous,
        "young_population": young,
    }
    base = np.zeros(len(need), dtype=np.int64)
    if budget and not need.any():
        for given in (bounds, band_only):  # no need anywhere: refused either way
            with pytest.raises(AllocationError, match="every area's need is 0"):
                allocate_domain(need, base, budget, bounds=given, **common)
        return
    old = allocate_domain(need, base, budget, bounds=bounds, **common)
    new = allocate_domain(need, base, budget, bounds=band_only, **common)
    event(_held(old.bound.tolist()))
    assert new.amount_cents.tolist() == old.amount_cents.tolist()
    assert [b != "" for b in new.bound.tolist()] == [b != "" for b in old.bound.tolist()]
