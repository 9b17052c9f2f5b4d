"""Every area that ends on a damping bound is labelled with the rule that holds it, and
``damped`` is true exactly where the damping part (amount minus the plain split) is not 0."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.core import DampingBounds, DampingRules, allocate_domain, damp, split_cents
from populatie.core.damping import rule_limits


def test_an_area_pushed_onto_its_bound_by_the_shift_is_labelled() -> None:
    # A wants 40 above its upper bound; the money it cannot take goes to B and C, and B
    # reaches its upper bound although its own target lies inside its band.
    targets = np.array([140.0, 95.0, 65.0])
    lower = np.array([90, 90, 0], dtype=np.int64)
    upper = np.array([100, 110, 200], dtype=np.int64)
    x, labels = damp(targets, lower, upper, 300)
    assert x.tolist() == [100.0, 110.0, 90.0]
    assert labels.tolist() == ["upper", "upper", ""]


def test_an_area_whose_target_lies_exactly_on_its_bound_is_labelled() -> None:
    x, labels = damp(np.array([105.0, 95.0]), np.array([95, 95]), np.array([105, 105]), 200)
    assert x.tolist() == [105.0, 95.0]
    assert labels.tolist() == ["upper", "lower"]


def test_an_area_ending_on_its_pct_band_is_named_with_the_rule() -> None:
    previous = np.array([1000, 1000, 1000], dtype=np.int64)
    need = np.array([1.3, 1.0, 0.7])  # targets 1300, 1000, 700; the band is ±10 %
    result = allocate_domain(
        need,
        np.zeros(3, dtype=np.int64),
        3000,
        area_keys=["A", "B", "C"],
        previous_cents=previous,
        bounds=DampingRules(max_change_pct=10.0, max_change_per_young_eur=1.0),
        young_population=np.array([1.0, 1000.0, 2.0]),
    )
    # A's cap per young inhabitant (±100 cents) equals its band: both rules are named. C's
    # (±200 cents) is wider than its band (±100): the band alone holds it.
    assert result.amount_cents.tolist() == [1100, 1000, 900]
    assert result.bound.tolist() == ["pct_band:upper+per_young_cap:upper", "", "pct_band:lower"]
    assert result.damped.tolist() == [True, False, True]
    assert result.damping_cents is not None
    assert result.damping_cents.tolist() == [-200, 0, 200]


@st.composite
def cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, DampingRules, np.ndarray]:
    n = draw(st.integers(2, 10))
    previous = np.array(draw(st.lists(st.integers(1, 10**8), min_size=n, max_size=n)))
    need = np.array(draw(st.lists(st.floats(0, 1e6), min_size=n, max_size=n)))
    need[0] = max(need[0], 1.0)
    growth = draw(st.floats(-0.05, 0.05))
    budget = int(int(previous.sum()) * (1 + growth))
    rules = DampingRules(
        max_change_pct=draw(st.sampled_from([2.0, 5.0, 12.5])),
        max_change_per_young_eur=draw(st.none() | st.sampled_from([15.0, 50.0])),
        convergence_share=draw(st.none() | st.sampled_from([0.25, 1.0])),
    )
    young = np.array(draw(st.lists(st.integers(0, 50_000), min_size=n, max_size=n)), float)
    return need, previous, budget, rules, young


@settings(max_examples=200)
@given(cases())
def test_labels_and_damped_say_exactly_what_held_each_area(
    case: tuple[np.ndarray, np.ndarray, int, DampingRules, np.ndarray],
) -> None:
    need, previous, budget, rules, young = case
    keys = [f"GB{i:02d}" for i in range(need.size)]
    limits = rule_limits(previous, rules, young, total_cents=budget)
    if not int(limits.lower.sum()) <= budget <= int(limits.upper.sum()):
        return  # infeasible: refused elsewhere
    result = allocate_domain(
        need,
        np.zeros(need.size, dtype=np.int64),
        budget,
        area_keys=keys,
        previous_cents=previous,
        bounds=rules,
        young_population=young,
    )
    assert result.exact_cents is not None
    exact = result.exact_cents
    near_bound = (np.abs(exact - limits.lower) <= 0.5) | (np.abs(exact - limits.upper) <= 0.5)
    has_rule = np.array(
        [any(":" in p or p == "min_growth" for p in b.split("+")) for b in result.bound]
    )
    assert np.array_equal(has_rule, near_bound)
    plain = split_cents(budget, result.target_cents, keys)
    assert result.damping_cents is not None
    assert np.array_equal(result.damping_cents, result.amount_cents - plain)
    assert np.array_equal(result.damped, result.amount_cents != plain)


def test_the_original_bounds_label_an_area_pushed_to_its_bound() -> None:
    result = allocate_domain(
        np.array([140.0, 95.0, 65.0]),
        np.zeros(3, dtype=np.int64),
        300,
        area_keys=["A", "B", "C"],
        previous_cents=np.array([100, 100, 100], dtype=np.int64),
        bounds=DampingBounds(max_change_pct=10.0),
    )
    # B is moved by the shift that pays for A and C without reaching a bound: not labelled,
    # but damped (its damping part is 5 cents).
    assert result.amount_cents.tolist() == [110, 100, 90]
    assert result.bound.tolist() == ["upper", "", "lower"]
    assert result.damped.tolist() == [True, True, True]
