"""The range of an area's amount over rate intervals contains every allocation inside the box,
also when damping binds, and each extreme it calls exact is reached by the rate vector shown."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.core.damping import DampingBounds, DampingRules
from populatie.core.inputs import AllocationInputs
from populatie.core.sensitivity import RateRange, rate_range
from populatie.errors import AllocationError
from tests.unit.test_sensitivity import make_inputs


def _amounts(inputs: AllocationInputs, points: np.ndarray) -> np.ndarray:
    matrix = inputs.rates.copy()
    found = []
    for point in points:
        matrix[:, 1] = point
        found.append(
            inputs.allocate(rates=matrix, domains=["specialist"])["specialist"].amount_cents
        )
    return np.array(found)


def _check_witnesses(inputs: AllocationInputs, found: RateRange) -> None:
    at_low = _amounts(inputs, found.low_rates)
    at_high = _amounts(inputs, found.high_rates)
    n = len(inputs.area_keys)
    for a in range(n):
        assert at_low[a, a] == found.reached_min_cents[a]
        assert at_high[a, a] == found.reached_max_cents[a]
    assert (found.min_cents <= found.reached_min_cents).all()
    assert (found.reached_max_cents <= found.max_cents).all()
    assert np.array_equal(found.min_exact, found.min_cents == found.reached_min_cents)
    assert np.array_equal(found.max_exact, found.max_cents == found.reached_max_cents)


def _damped_case() -> tuple[AllocationInputs, np.ndarray, np.ndarray, np.ndarray]:
    # A 10 % band that binds: the corners that drive targets to their extremes are not where
    # the damped amounts are extreme (before, area A0's highest amount was reported € 189.65
    # too low).
    inputs = make_inputs(1, areas=5, units=15, damped=True).with_(
        rules=DampingRules(max_change_pct=10.0)
    )
    w = inputs.rates[:, 1].copy()
    w[0] = 100.0
    return inputs, w, w * 0.3, w * 2.5


def test_no_allocation_inside_the_box_lies_outside_the_range_when_damping_binds() -> None:
    inputs, w, low, high = _damped_case()
    found = rate_range(inputs, "specialist", w, low, high)
    rng = np.random.default_rng(11)
    points = low + rng.random((10_000, 3)) * (high - low)
    amounts = _amounts(inputs, points)
    assert (amounts >= found.min_cents).all()
    assert (amounts <= found.max_cents).all()
    _check_witnesses(inputs, found)
    # the search reaches at least what 10,000 random points do, and the bound is close to it
    assert (found.reached_max_cents >= amounts.max(axis=0)).all()
    assert (found.reached_min_cents <= amounts.min(axis=0)).all()


@st.composite
def boxes(draw: st.DrawFn) -> tuple[AllocationInputs, np.ndarray, np.ndarray, np.ndarray]:
    seed = draw(st.integers(0, 10_000))
    rules = draw(
        st.sampled_from(
            [
                None,
                DampingBounds(max_change_pct=5.0),
                DampingRules(max_change_pct=10.0),
                DampingRules(max_change_pct=20.0, convergence_share=0.5),
                DampingRules(max_change_per_young_eur=40.0, min_growth_pct=-8.0),
            ]
        )
    )
    inputs = make_inputs(seed, areas=draw(st.integers(2, 5)), units=12, damped=True)
    inputs = inputs.with_(rules=rules)
    w = inputs.rates[:, 1].copy()
    w[0] = draw(st.sampled_from([0.0, 50.0, 200.0]))
    spread = np.array(draw(st.lists(st.floats(0.0, 0.9), min_size=3, max_size=3)))
    up = np.array(draw(st.lists(st.floats(0.0, 2.0), min_size=3, max_size=3)))
    return inputs, w, w * (1 - spread), w * (1 + up)


@settings(max_examples=20, deadline=None)
@given(boxes())
def test_the_range_holds_every_sampled_allocation_and_its_witnesses_reach_it(
    case: tuple[AllocationInputs, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    inputs, w, low, high = case
    try:
        inputs.allocate()
    except Exception:  # damping rules that cannot hold this budget: nothing to range
        return
    found = rate_range(inputs, "specialist", w, low, high, samples=64)
    points = low + np.random.default_rng(3).random((300, 3)) * (high - low)
    amounts = _amounts(inputs, np.vstack([points, low, high]))
    assert (amounts >= found.min_cents).all()
    assert (amounts <= found.max_cents).all()
    _check_witnesses(inputs, found)


def test_without_damping_the_range_is_the_targets_to_the_rounding_cent() -> None:
    inputs = make_inputs(4)
    w = inputs.rates[:, 1]
    found = rate_range(inputs, "specialist", w, w * 0.5, w * 1.5)
    assert (found.max_cents - found.reached_max_cents <= 1).all()
    assert (found.reached_min_cents - found.min_cents <= 1).all()


def test_intervals_that_reach_all_zero_rates_have_no_range() -> None:
    inputs = make_inputs(2)
    w = inputs.rates[:, 1]
    with pytest.raises(AllocationError, match="give no need anywhere"):
        rate_range(inputs, "specialist", w, np.zeros(3), w * 2)
