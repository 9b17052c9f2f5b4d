"""The waterfall between two allocations: parts that add up to every area's change, exactly."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.core.damping import DampingBounds, DampingRules
from populatie.core.inputs import AllocationInputs
from populatie.core.waterfall import Waterfall, combine, waterfall
from populatie.errors import AllocationError, DampingInfeasibleError

DOMAINS = ("prevention", "access", "specialist")


def inputs_from(
    *,
    counts: npt.ArrayLike,
    unit_area: npt.ArrayLike,
    indicators: list[str],
    rates: npt.ArrayLike,
    budget: list[int],
    base: int = 0,
    areas: int = 3,
    previous: npt.ArrayLike | None = None,
    rules: DampingRules | DampingBounds | None = None,
    population: npt.ArrayLike | None = None,
    young: npt.ArrayLike | None = None,
) -> AllocationInputs:
    return AllocationInputs.build(
        area_keys=[f"GB{i:02d}" for i in range(areas)],
        indicator_keys=indicators,
        domains=DOMAINS,
        counts=counts,
        unit_area=unit_area,
        rates=rates,
        base_cents=np.full((3, areas), base),
        budget_cents=budget,
        previous_cents=previous,
        rules=rules,
        population=population,
        young_population=young,
    )


def amounts(inputs: AllocationInputs) -> np.ndarray:
    result = inputs.allocate()
    return np.stack([result[d].amount_cents for d in DOMAINS])


def assert_exact(
    waterfalls: dict[str, Waterfall], a: AllocationInputs, b: AllocationInputs
) -> None:
    for j, domain in enumerate(DOMAINS):
        w = waterfalls[domain]
        assert w.start_cents.tolist() == a.allocate()[domain].amount_cents.tolist()
        assert w.end_cents.tolist() == b.allocate()[domain].amount_cents.tolist()
        assert (w.start_cents + w.parts.sum(axis=0) == w.end_cents).all()
        sums = dict(zip(w.steps, w.parts.sum(axis=1).tolist(), strict=True))
        assert sums.pop("budget") == int(b.budget_cents[j]) - int(a.budget_cents[j])
        assert set(sums.values()) <= {0}


def test_a_budget_change_alone_is_all_budget() -> None:
    rng = np.random.default_rng(1)
    common: dict[str, Any] = {
        "counts": rng.poisson(100, (9, 2)),
        "unit_area": np.arange(9) % 3,
        "indicators": ["inhabitants", "youth_care_users"],
        "rates": [[30.0, 75.0, 195.0], [0.0, 0.0, 6000.0]],
    }
    a = inputs_from(budget=[1_000_000, 2_000_000, 6_000_000], **common)
    b = inputs_from(budget=[1_100_000, 2_000_000, 6_600_000], **common)
    result = waterfall(a, b)
    assert_exact(result, a, b)
    for domain in DOMAINS:
        w = result[domain]
        assert (w.part("budget") == w.change_cents).all()
    assert not result["access"].parts.any()


def test_same_inputs_give_no_parts() -> None:
    rng = np.random.default_rng(2)
    a = inputs_from(
        counts=rng.poisson(50, (6, 1)),
        unit_area=np.arange(6) % 3,
        indicators=["inhabitants"],
        rates=[[1.0, 2.0, 3.0]],
        budget=[999_999, 1, 0],
    )
    result = waterfall(a, a)
    assert all(not w.parts.any() for w in result.values())


def test_worked_example_population_counts_rates_and_damping() -> None:
    # Two areas, one unit each. A: 100 and 100 inhabitants, rate 1 in every domain, budget
    # 200 euro. B: the first area grew to 150 inhabitants (population), youth-care users (new in
    # B's model) make the rest of the difference, and B is damped against A.
    a = inputs_from(
        counts=[[100.0], [100.0]],
        unit_area=[0, 1],
        indicators=["inhabitants"],
        rates=[[1.0, 1.0, 1.0]],
        budget=[20000, 20000, 20000],
        areas=2,
        population=np.array([100.0, 100.0]),
    )
    before = amounts(a)
    b = inputs_from(
        counts=[[150.0, 10.0], [100.0, 30.0]],
        unit_area=[0, 1],
        indicators=["inhabitants", "youth_care_users"],
        rates=[[1.0, 1.0, 1.0], [0.0, 0.0, 10.0]],
        budget=[20000, 20000, 20000],
        areas=2,
        population=np.array([150.0, 100.0]),
        previous=before,
        rules=DampingRules(max_change_pct=10.0),
    )
    result = waterfall(a, b)
    assert_exact(result, a, b)
    prevention = result["prevention"]
    # 150 : 100 inhabitants is 120 : 80 euro: all of it population, then a 10 % band pulls
    # both back to 110 : 90
    assert prevention.part("population").tolist() == [2000, -2000]
    assert prevention.part("damping").tolist() == [-1000, 1000]
    assert prevention.end_cents.tolist() == [11000, 9000]
    specialist = result["specialist"]
    # need 150 + 100 = 250 against 100 + 300 = 400: the rate for youth-care users turns
    # 120 : 80 into 76.92 : 123.08, and the band allows 90 : 110
    assert specialist.part("population").tolist() == [2000, -2000]
    assert specialist.part("rate:youth_care_users").tolist() == [-4308, 4308]
    assert specialist.part("count:youth_care_users").tolist() == [0, 0]
    assert specialist.end_cents.tolist() == [9000, 11000]
    total = combine(result)
    assert (total.start_cents + total.parts.sum(axis=0) == total.end_cents).all()


def test_different_areas_cannot_be_compared() -> None:
    a = inputs_from(
        counts=[[1.0]], unit_area=[0], indicators=["x"], rates=[[1, 1, 1]], budget=[1, 1, 1],
        areas=1,
    )  # fmt: skip
    b = inputs_from(
        counts=[[1.0], [2.0]], unit_area=[0, 1], indicators=["x"], rates=[[1, 1, 1]],
        budget=[1, 1, 1], areas=2,
    )  # fmt: skip
    with pytest.raises(AllocationError, match="different areas"):
        waterfall(a, b)


def test_stored_amounts_that_differ_show_as_rounding() -> None:
    a = inputs_from(
        counts=[[1.0], [1.0]], unit_area=[0, 1], indicators=["x"], rates=[[1, 1, 1]],
        budget=[101, 101, 101], areas=2,
    )  # fmt: skip
    stored = {d: np.array([50, 51]) for d in DOMAINS}  # the recomputation gives 51 : 50
    result = waterfall(a, a, amount_a=stored)
    assert result["access"].part("rounding").tolist() == [1, -1]
    assert result["access"].start_cents.tolist() == [50, 51]


@st.composite
def pairs(draw: st.DrawFn) -> tuple[AllocationInputs, AllocationInputs]:
    areas = draw(st.integers(1, 6))
    names = ["inhabitants", "young", "low_income", "youth_care"]

    def side(previous: np.ndarray | None) -> AllocationInputs:
        units = draw(st.integers(areas, areas + 8))
        indicators = sorted(draw(st.sets(st.sampled_from(names), min_size=1, max_size=4)))
        k = len(indicators)
        counts = np.array(
            draw(
                st.lists(
                    st.lists(st.floats(0, 5000), min_size=k, max_size=k),
                    min_size=units,
                    max_size=units,
                )
            )
        )
        rates = np.array(
            draw(
                st.lists(
                    st.lists(st.floats(0, 1e4), min_size=3, max_size=3), min_size=k, max_size=k
                )
            )
        )
        # Some need in every domain: a domain without any is refused, not split equally.
        counts[0, 0] = max(counts[0, 0], 1.0)
        rates[0] = np.maximum(rates[0], 1.0)
        unit_area = np.array(
            list(range(areas))
            + draw(
                st.lists(st.integers(0, areas - 1), min_size=units - areas, max_size=units - areas)
            )
        )
        if previous is None:
            budget = draw(st.lists(st.integers(0, 10**12), min_size=3, max_size=3))
        else:
            # Near the previous total, so that the damping rules can usually hold it.
            growth = draw(st.floats(0.97, 1.03))
            budget = [int(int(p.sum()) * growth) for p in previous]
        base = draw(st.integers(0, 10**6))
        base = min(base, min(budget) // areas)
        population = draw(
            st.none()
            | st.lists(st.just(0.0) | st.floats(1, 1e5), min_size=areas, max_size=areas).map(
                np.array
            )
        )
        young = np.array(draw(st.lists(st.integers(0, 10**5), min_size=areas, max_size=areas)))
        rules: DampingRules | DampingBounds | None = None
        if previous is not None:
            choices: list[DampingRules | DampingBounds] = [
                DampingBounds(max_change_pct=5.0),
                DampingRules(max_change_pct=25.0, convergence_share=0.5),
                DampingRules(max_change_per_young_eur=15.0, min_growth_pct=-50.0),
                DampingRules(convergence_share=0.25),
            ]
            rules = draw(st.sampled_from(choices))
        return inputs_from(
            counts=counts,
            unit_area=unit_area,
            indicators=indicators,
            rates=rates,
            budget=budget,
            base=base,
            areas=areas,
            previous=previous,
            rules=rules,
            population=population,
            young=young,
        )

    a = side(None)
    b = side(amounts(a) if draw(st.sampled_from([True, True, True, False])) else None)
    if b.previous_cents is not None and draw(st.booleans()):
        # One more year, damped against B, so that both ends of the chain are damped.
        with contextlib.suppress(DampingInfeasibleError):
            a, b = b, side(amounts(b))
    return a, b


@settings(max_examples=300, deadline=None)
@given(pairs())
def test_the_parts_add_up_to_every_areas_change_exactly(
    pair: tuple[AllocationInputs, AllocationInputs],
) -> None:
    a, b = pair
    try:
        result = waterfall(a, b)
    except DampingInfeasibleError:
        return  # B's rules cannot hold B's budget: there is no allocation B to explain
    assert_exact(result, a, b)
    total = combine(result)
    assert (total.start_cents + total.parts.sum(axis=0) == total.end_cents).all()
    assert total.part("budget").sum() == int(b.budget_cents.sum() - a.budget_cents.sum())
