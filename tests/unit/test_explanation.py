"""The change explanation: four effects that add up to the change, to the cent."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.core.allocation import allocate_domain
from populatie.core.damping import DampingBounds
from populatie.core.explanation import ChangeExplanation, explain_change
from populatie.core.money import split_cents
from populatie.errors import AllocationError


def parts_sum(e: ChangeExplanation) -> np.ndarray:
    return (
        e.previous_cents
        + e.budget_effect_cents
        + e.population_effect_cents
        + e.need_mix_effect_cents
        + e.damping_effect_cents
    )


def test_worked_example() -> None:
    # Previous 60 and 40 euro (B0 = 100), new budget 120 euro.
    #   S1 scales to 120: 72 and 48                       budget effect  +12, +8
    #   population 100 -> 110 and 100 -> 90: weights 6600 : 3600 of 12000 cents
    #   = 7764.7 and 4235.3, largest remainder 7765 and 4235 population effect +5.65, -5.65
    #   targets 60 : 60                                  need-mix effect -17.65, +17.65
    #   damped amounts 70 and 50                         damping effect  +10, -10
    e = explain_change(
        previous_cents=np.array([6000, 4000]),
        previous_population=np.array([100, 100]),
        population=np.array([110, 90]),
        target_cents=np.array([6000.0, 6000.0]),
        amount_cents=np.array([7000, 5000]),
        area_keys=["GB01", "GB02"],
    )
    assert e.budget_effect_cents.tolist() == [1200, 800]
    assert e.population_effect_cents.tolist() == [565, -565]
    assert e.need_mix_effect_cents.tolist() == [-1765, 1765]
    assert e.damping_effect_cents.tolist() == [1000, -1000]
    assert e.change_cents.tolist() == [1000, 1000]


def test_a_new_area_starts_from_zero() -> None:
    # The second area had nothing. Its population factor stays 1 (weight 0 anyway), so the
    # budget and population effects give it nothing and the need mix brings it in.
    e = explain_change(
        previous_cents=np.array([10000, 0]),
        previous_population=np.array([50, 0]),
        population=np.array([50, 40]),
        target_cents=np.array([5000.0, 5000.0]),
        amount_cents=np.array([5000, 5000]),
        area_keys=["a", "b"],
    )
    assert e.budget_effect_cents.tolist() == [0, 0]
    assert e.population_effect_cents.tolist() == [0, 0]
    assert e.need_mix_effect_cents.tolist() == [-5000, 5000]
    assert e.damping_effect_cents.tolist() == [0, 0]


def test_no_previous_budget_makes_everything_budget_effect() -> None:
    e = explain_change(
        previous_cents=np.array([0, 0, 0]),
        previous_population=np.array([1, 1, 1]),
        population=np.array([2, 2, 2]),
        target_cents=np.array([100.0, 200.0, 700.0]),
        amount_cents=np.array([150, 200, 650]),
        area_keys=["a", "b", "c"],
    )
    assert e.budget_effect_cents.tolist() == [100, 200, 700]
    assert e.population_effect_cents.tolist() == [0, 0, 0]
    assert e.need_mix_effect_cents.tolist() == [0, 0, 0]
    assert e.damping_effect_cents.tolist() == [50, 0, -50]


def test_shapes_must_match_the_keys() -> None:
    with pytest.raises(AllocationError, match=r"expected \(2,\)"):
        explain_change(
            np.array([1, 2, 3]),
            np.ones(2),
            np.ones(2),
            np.ones(2),
            np.array([1, 2]),
            area_keys=["a", "b"],
        )
    with pytest.raises(AllocationError, match="whole cents"):
        explain_change(
            np.array([1.5, 2]), np.ones(2), np.ones(2), np.ones(2), np.array([1, 2]), area_keys="ab"
        )


def test_an_absurd_population_factor_is_refused() -> None:
    with pytest.raises(AllocationError, match=r"population of area 'b' grew from 5e-324 to 1\.0"):
        explain_change(
            np.array([5, 5]),
            np.array([1.0, 5e-324]),
            np.array([1.0, 1.0]),
            np.ones(2),
            np.array([5, 5]),
            area_keys="ab",
        )


@st.composite
def changes(draw: st.DrawFn) -> dict[str, np.ndarray | list[str]]:
    n = draw(st.integers(min_value=1, max_value=40))

    def ints(hi: int) -> np.ndarray:
        return np.array(draw(st.lists(st.integers(0, hi), min_size=n, max_size=n)), dtype=np.int64)

    def floats(hi: float, smallest: float = 0.0) -> np.ndarray:
        values = st.one_of(st.just(0.0), st.floats(smallest, hi))
        return np.array(draw(st.lists(values, min_size=n, max_size=n)))

    return {
        "previous_cents": ints(10**10),
        # populations are counts (or estimates of them): nothing between 0 and a hundredth
        "previous_population": floats(1e5, 0.01),
        "population": floats(1e5, 0.01),
        "target_cents": floats(1e10),
        "amount_cents": ints(10**10),
        "area_keys": [f"GB{i:03d}" for i in range(n)],
    }


@settings(max_examples=300)
@given(changes())
def test_parts_add_up_to_the_change_for_every_area(case: dict[str, np.ndarray]) -> None:
    e = explain_change(**case)  # type: ignore[arg-type]
    assert np.array_equal(parts_sum(e), case["amount_cents"])
    for part in (
        e.budget_effect_cents,
        e.population_effect_cents,
        e.need_mix_effect_cents,
        e.damping_effect_cents,
    ):
        assert part.dtype == np.int64
    # the budget effect redistributes nothing: it sums to the change in the total
    total_change = int(case["amount_cents"].sum()) - int(case["previous_cents"].sum())
    assert int(e.budget_effect_cents.sum()) == total_change
    # the other three move money between areas only
    for part in (e.population_effect_cents, e.need_mix_effect_cents, e.damping_effect_cents):
        assert int(part.sum()) == 0


@given(changes())
def test_undamped_amounts_have_no_damping_effect(case: dict[str, np.ndarray]) -> None:
    keys = case["area_keys"]
    total = int(case["amount_cents"].sum())
    case["amount_cents"] = split_cents(total, case["target_cents"], keys)  # type: ignore[arg-type]
    e = explain_change(**case)  # type: ignore[arg-type]
    assert not e.damping_effect_cents.any()


@given(changes())
def test_unchanged_population_has_no_population_effect(case: dict[str, np.ndarray]) -> None:
    case["population"] = case["previous_population"]
    e = explain_change(**case)  # type: ignore[arg-type]
    assert not e.population_effect_cents.any()


@given(st.lists(st.integers(1, 10**8), min_size=1, max_size=30), st.integers(1, 5))
def test_a_doubled_budget_with_the_same_need_is_all_budget_effect(
    previous: list[int], factor: int
) -> None:
    prev = np.array(previous, dtype=np.int64)
    keys = [f"GB{i:03d}" for i in range(prev.size)]
    pop = np.full(prev.size, 1000.0)
    e = explain_change(prev, pop, pop, prev * float(factor), prev * factor, area_keys=keys)
    assert e.budget_effect_cents.tolist() == (prev * (factor - 1)).tolist()
    assert not e.population_effect_cents.any()
    assert not e.need_mix_effect_cents.any()
    assert not e.damping_effect_cents.any()


def test_explains_a_real_damped_allocation() -> None:
    # 100 euro each before, 310 euro now, need 2 : 1 : 1 (targets 155 / 77.50 / 77.50 euro),
    # 5 % band 95..105 euro: the first area stops at 105, the others get 102.50 each.
    keys = ["GB01", "GB02", "GB03"]
    previous = np.array([10000, 10000, 10000])
    result = allocate_domain(
        np.array([2.0, 1.0, 1.0]),
        np.zeros(3, dtype=np.int64),
        31000,
        area_keys=keys,
        previous_cents=previous,
        bounds=DampingBounds(max_change_pct=5.0),
    )
    assert result.amount_cents.tolist() == [10500, 10250, 10250]
    e = explain_change(
        previous, np.ones(3), np.ones(3), result.target_cents, result.amount_cents, area_keys=keys
    )
    # 310 / 3 = 103.33 1/3 euro: the first key gets the extra cent
    assert e.budget_effect_cents.tolist() == [334, 333, 333]
    assert e.population_effect_cents.tolist() == [0, 0, 0]
    assert e.need_mix_effect_cents.tolist() == [5166, -2583, -2583]
    assert e.damping_effect_cents.tolist() == [-5000, 2500, 2500]
