"""Sensitivity: every figure equals a recomputation of the allocation with one input changed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.core.allocation import allocate_domain, area_need
from populatie.core.damping import DampingRules
from populatie.core.inputs import AllocationInputs
from populatie.core.sensitivity import count_effects, elasticity, rate_effects, rate_range
from populatie.errors import AllocationError

DOMAINS = ("prevention", "specialist")


def make_inputs(
    seed: int, *, areas: int = 4, units: int = 12, damped: bool = False
) -> AllocationInputs:
    rng = np.random.default_rng(seed)
    keys = [f"A{i}" for i in range(areas)]
    unit_area = np.concatenate([np.arange(areas), rng.integers(0, areas, units - areas)])
    budget = np.array([5_000_000, 20_000_000], dtype=np.int64)
    previous = None
    if damped:
        shares = rng.uniform(0.5, 1.5, (2, areas))
        previous = np.floor(shares / shares.sum(axis=1, keepdims=True) * budget[:, None])
    return AllocationInputs.build(
        area_keys=keys,
        indicator_keys=["households", "low_income", "youth_care"],
        domains=DOMAINS,
        counts=rng.poisson([400, 120, 25], (units, 3)),
        unit_area=unit_area,
        rates=[[80.0, 0.0], [150.0, 400.0], [0.0, 6000.0]],
        base_cents=np.full((2, areas), 10_000),
        budget_cents=budget,
        previous_cents=None if previous is None else previous.astype(np.int64),
        young_population=rng.uniform(500, 3000, areas),
        rules=DampingRules(max_change_pct=20.0, convergence_share=0.5) if damped else None,
    )


def recompute(inputs: AllocationInputs, counts: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """The allocation written out step by step, independently of AllocationInputs.allocate."""
    unit_need = counts @ rates
    per_area = area_need(unit_need, inputs.unit_area, len(inputs.area_keys))
    return np.stack(
        [
            allocate_domain(
                per_area[:, j],
                inputs.base_cents[j],
                int(inputs.budget_cents[j]),
                area_keys=inputs.area_keys,
                previous_cents=None if inputs.previous_cents is None else inputs.previous_cents[j],
                bounds=inputs.rules,
                young_population=inputs.young_population,
            ).amount_cents
            for j in range(len(inputs.domains))
        ]
    )


@pytest.mark.parametrize("damped", [False, True])
def test_rate_effects_are_recomputations(damped: bool) -> None:
    inputs = make_inputs(1, damped=damped)
    base = recompute(inputs, inputs.counts, inputs.rates)
    effect = rate_effects(inputs, 0.10)
    for k, j in itertools.product(range(3), range(2)):
        rates = inputs.rates.copy()
        rates[k, j] *= 1.1
        expected = recompute(inputs, inputs.counts, rates) - base
        assert effect[k, j].tolist() == expected[j].tolist()
        if inputs.rates[k, j] == 0:
            assert not effect[k, j].any()
    # the budget is fixed: what one area gains, the others lose
    assert (effect.sum(axis=2) == 0).all()
    assert effect.any()


@pytest.mark.parametrize("damped", [False, True])
def test_count_effects_are_recomputations(damped: bool) -> None:
    inputs = make_inputs(2, damped=damped)
    base = recompute(inputs, inputs.counts, inputs.rates)
    effect = count_effects(inputs, 0.10)
    for k, b in itertools.product(range(3), range(4)):
        counts = inputs.counts.copy()
        counts[inputs.unit_area == b, k] *= 1.1
        expected = recompute(inputs, counts, inputs.rates) - base
        assert effect[k, b].tolist() == expected.tolist()
    assert (effect.sum(axis=3) == 0).all()
    # more youth-care users in an area never lowers its own specialist budget (undamped)
    if not damped:
        assert (np.array([effect[2, b, 1, b] for b in range(4)]) > 0).all()


def test_scaling_a_count_everywhere_is_scaling_its_rate() -> None:
    inputs = make_inputs(3)
    counts = inputs.counts.copy()
    counts[:, 2] *= 1.1
    rates = inputs.rates.copy()
    rates[2] *= 1.1
    by_counts = inputs.allocate(counts=counts)
    by_rates = inputs.allocate(rates=rates)
    for domain in DOMAINS:
        assert np.abs(by_counts[domain].amount_cents - by_rates[domain].amount_cents).max() <= 1


def test_elasticity() -> None:
    assert elasticity(150, 1000, 0.1).tolist() == pytest.approx(1.5)
    assert np.isnan(elasticity(0, 0, 0.1))
    assert elasticity([-50, 100], [1000, 1000], 0.1).tolist() == pytest.approx([-0.5, 1.0])


def test_the_range_over_intervals_is_the_range_over_every_corner() -> None:
    inputs = make_inputs(4, areas=5, units=20)
    rates = inputs.rates[:, 1]
    low, high = rates * 0.6, rates * 1.5
    found = rate_range(inputs, "specialist", rates, low, high)
    corners = []
    for pick in itertools.product([0, 1], repeat=3):
        matrix = inputs.rates.copy()
        matrix[:, 1] = np.where(np.array(pick) == 1, high, low)
        corners.append(inputs.allocate(rates=matrix)["specialist"].amount_cents)
    corners_arr = np.array(corners)
    assert found.amount_cents.tolist() == inputs.allocate()["specialist"].amount_cents.tolist()
    assert np.abs(found.min_cents - corners_arr.min(axis=0)).max() <= 1
    assert np.abs(found.max_cents - corners_arr.max(axis=0)).max() <= 1
    assert (found.min_cents <= found.amount_cents).all()
    assert (found.amount_cents <= found.max_cents).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.data())
def test_no_rates_inside_the_intervals_leave_the_range(seed: int, data: st.DataObject) -> None:
    inputs = make_inputs(seed, areas=4, units=10)
    rates = inputs.rates[:, 1]
    low, high = rates * 0.5, rates * 2.0
    found = rate_range(inputs, "specialist", rates, low, high)
    inside = np.array([data.draw(st.floats(0.0, 1.0)) for _ in range(3)])
    matrix = inputs.rates.copy()
    matrix[:, 1] = low + inside * (high - low)
    amounts = inputs.allocate(rates=matrix)["specialist"].amount_cents
    assert (amounts >= found.min_cents - 1).all()
    assert (amounts <= found.max_cents + 1).all()


def test_rate_intervals_must_hold_the_rate() -> None:
    inputs = make_inputs(5)
    rates = inputs.rates[:, 1]
    with pytest.raises(AllocationError, match="low <= rate <= high"):
        rate_range(inputs, "specialist", rates, rates * 1.1, rates * 1.2)
    with pytest.raises(AllocationError, match="unknown domain"):
        rate_range(inputs, "access", rates, rates, rates)
