"""Damping bounds and the exact projection onto them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.core.damping import DampingBounds, bound_limits, damp
from populatie.core.money import split_cents
from populatie.errors import AllocationError, ConfigurationError, DampingInfeasibleError

# --- bounds ----------------------------------------------------------------------------------


def test_percentage_bounds_round_inward() -> None:
    lower, upper = bound_limits(np.array([10000, 7, 333]), DampingBounds(max_change_pct=5.0))
    # 5 % of 333 cents is 16.65: the band is 316.35..349.65, whole cents inside it 317..349
    assert lower.tolist() == [9500, 7, 317]
    assert upper.tolist() == [10500, 7, 349]
    assert lower.dtype == upper.dtype == np.int64


def test_percentage_is_read_as_the_decimal_the_config_wrote() -> None:
    # In binary floats 100 * (1 - 0.07) is 93.00000000000001, whose ceiling would be 94.
    lower, upper = bound_limits(np.array([100]), DampingBounds(max_change_pct=7.0))
    assert lower.tolist() == [93]
    assert upper.tolist() == [107]


def test_the_tighter_rule_applies_per_area() -> None:
    bounds = DampingBounds(max_change_pct=5.0, max_change_per_young_eur=1.0)
    # area 0: 5 % is 500 cents, 3 young at 1 euro is 300 cents: 300 applies
    # area 1: 5 % is 50 cents, 100 young is 10000 cents: 50 applies
    lower, upper = bound_limits(np.array([10000, 1000]), bounds, np.array([3, 100]))
    assert lower.tolist() == [9700, 950]
    assert upper.tolist() == [10300, 1050]


def test_per_young_rule_with_fractional_population() -> None:
    lower, upper = bound_limits(
        np.array([10000]), DampingBounds(max_change_per_young_eur=2.5), np.array([3.3])
    )
    # 3.3 · 250 cents = 825 cents
    assert lower.tolist() == [9175]
    assert upper.tolist() == [10825]


def test_lower_bound_never_below_zero() -> None:
    lower, upper = bound_limits(
        np.array([100]), DampingBounds(max_change_per_young_eur=10.0), np.array([5])
    )
    assert lower.tolist() == [0]
    assert upper.tolist() == [5100]


def test_an_area_without_previous_amount_is_free_under_a_percentage() -> None:
    lower, upper = bound_limits(np.array([0, 100]), DampingBounds(5.0), total_cents=1000)
    assert lower.tolist() == [0, 95]
    assert upper.tolist() == [1000, 105]
    # ...but the per-young rule still holds it
    lower, upper = bound_limits(
        np.array([0, 100]), DampingBounds(5.0, 1.0), np.array([2, 2]), total_cents=1000
    )
    assert lower.tolist() == [0, 95]
    assert upper.tolist() == [200, 105]


def test_bad_bounds_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="max_change_pct"):
        DampingBounds(max_change_pct=-1.0)
    with pytest.raises(ConfigurationError, match="max_change_per_young_eur"):
        DampingBounds(max_change_per_young_eur=float("nan"))
    assert not DampingBounds().active
    assert DampingBounds(max_change_per_young_eur=0.0).active


def test_bad_previous_and_young_inputs_are_refused() -> None:
    with pytest.raises(AllocationError, match="negative"):
        bound_limits(np.array([5, -1]), DampingBounds(5.0))
    with pytest.raises(AllocationError, match="whole cents"):
        bound_limits(np.array([5.5]), DampingBounds(5.0))
    with pytest.raises(AllocationError, match="young population at index 1 is nan"):
        bound_limits(np.array([5, 5]), DampingBounds(None, 1.0), np.array([1.0, np.nan]))


# --- projection: worked examples -------------------------------------------------------------


def test_free_areas_share_the_cost_of_a_bound_equally() -> None:
    x, labels = damp(
        np.array([100.0, 200.0, 300.0, 400.0]),
        np.array([150, 150, 150, 150]),
        np.array([250, 250, 350, 450]),
        1000,
    )
    # the first area is lifted to 150; the three others give 50 / 3 each
    assert np.allclose(x, [150, 200 - 50 / 3, 300 - 50 / 3, 400 - 50 / 3])
    assert labels.tolist() == ["lower", "", "", ""]


def test_a_shift_can_push_an_area_onto_its_bound() -> None:
    # Area 0 is lifted by 60 to its lower bound. The shift that pays for it (-55) would take
    # area 1 (target 105) below its lower bound of 100, so it stops there; area 2 pays the rest.
    x, labels = damp(
        np.array([40.0, 105.0, 155.0]), np.array([100, 100, 0]), np.array([300, 300, 300]), 300
    )
    assert np.allclose(x, [100, 100, 100])
    # area 1 is held at its bound although its own target lies inside its band: the bound is
    # what holds it, so it is labelled too
    assert labels.tolist() == ["lower", "lower", ""]


def test_without_binding_bounds_damping_returns_the_targets() -> None:
    t = np.array([1234.25, 99.5, 0.25, 7000.0])
    x, labels = damp(t, np.array([0, 0, 0, 6000]), np.array([2000, 100, 1, 8000]), 8334)
    assert np.array_equal(x, t)
    # areas 1 and 2 end within half a cent of a bound (99.5 of 100, 0.25 of 0): labelled
    assert labels.tolist() == ["", "upper", "lower", ""]
    t = np.array([1234.0, 98.5, 1.5, 7000.0])
    x, labels = damp(t, np.array([0, 0, 0, 6000]), np.array([2000, 100, 3, 8000]), 8334)
    assert np.array_equal(x, t)
    assert labels.tolist() == ["", "", "", ""]


def test_infeasible_bounds_name_the_sums() -> None:
    message = "lower bounds add up to 300 cents and the upper bounds to 330 cents, .* 400 cents"
    with pytest.raises(DampingInfeasibleError, match=message) as info:
        damp(np.array([200.0, 200.0]), np.array([100, 200]), np.array([110, 220]), 400)
    assert info.value.details == [
        {"sum_lower_cents": 300, "sum_upper_cents": 330, "total_cents": 400}
    ]
    with pytest.raises(DampingInfeasibleError, match="lower bounds add up to 300"):
        damp(np.array([1.0, 1.0]), np.array([100, 200]), np.array([110, 220]), 299)


def test_totals_at_the_edge_pin_every_area() -> None:
    x, labels = damp(np.array([50.0, 60.0]), np.array([100, 100]), np.array([200, 200]), 200)
    assert x.tolist() == [100.0, 100.0]
    assert labels.tolist() == ["lower", "lower"]
    x, labels = damp(np.array([500.0, 150.0]), np.array([0, 0]), np.array([100, 200]), 300)
    assert x.tolist() == [100.0, 200.0]
    assert labels.tolist() == ["upper", "upper"]


def test_tight_bounds_pin_every_area() -> None:
    x, labels = damp(np.array([10.0, 90.0]), np.array([40, 60]), np.array([40, 60]), 100)
    assert x.tolist() == [40.0, 60.0]
    assert labels.tolist() == ["lower", "upper"]


# --- projection: properties ------------------------------------------------------------------


@st.composite
def projection_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n = draw(st.integers(min_value=1, max_value=40))
    lower = np.array(draw(st.lists(st.integers(0, 10**8), min_size=n, max_size=n)))
    gaps = np.array(draw(st.lists(st.integers(0, 10**7), min_size=n, max_size=n)))
    upper = lower + gaps
    total = draw(st.integers(int(lower.sum()), int(upper.sum())))
    t = np.array(draw(st.lists(st.floats(-1e8, 3e8, allow_nan=False), min_size=n, max_size=n)))
    return t, lower, upper, total


def reference_projection(
    t: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: int
) -> np.ndarray:
    """Bisection on λ: slow and approximate, but obviously right."""
    lo, hi = float((lower - t).min()) - 1, float((upper - t).max()) + 1
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.clip(t + mid, lower, upper).sum() < total:
            lo = mid
        else:
            hi = mid
    return np.clip(t + (lo + hi) / 2, lower, upper)


@settings(max_examples=300)
@given(projection_cases())
def test_projection_keeps_the_bounds_and_the_total(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, int],
) -> None:
    t, lower, upper, total = case
    x, labels = damp(t, lower, upper, total)
    scale = 1e-9 * max(1.0, float(np.abs(t).max()), float(upper.max()))
    assert (x >= lower).all()
    assert (x <= upper).all()
    assert abs(float(x.sum()) - total) <= scale * len(t) + 1e-6
    assert np.allclose(x, reference_projection(t, lower, upper, total), rtol=0, atol=1e-3)
    # a label names the bound the area ends within half a cent of; no label, no bound that near
    assert (x[labels == "lower"] - lower[labels == "lower"] <= 0.5).all()
    assert (upper[labels == "upper"] - x[labels == "upper"] <= 0.5).all()
    free = labels == ""
    assert (x[free] - lower[free] > 0.5).all()
    assert (upper[free] - x[free] > 0.5).all()


@settings(max_examples=300)
@given(projection_cases())
def test_projection_is_one_common_shift_off_the_bounds(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, int],
) -> None:
    t, lower, upper, total = case
    x, labels = damp(t, lower, upper, total)
    tol = 1e-6 * max(1.0, float(np.abs(t).max()))
    inside = (x > lower) & (x < upper)
    if inside.any():
        shifts = x[inside] - t[inside]
        assert float(shifts.max() - shifts.min()) <= tol
        lam = float(np.median(shifts))
        # an area held at a bound would have crossed it with the same shift
        # (an area with an empty band is held whatever the shift, so it proves nothing)
        band = lower < upper
        at_lower, at_upper = band & (x == lower), band & (x == upper)
        assert (t[at_lower] + lam <= lower[at_lower] + tol).all()
        assert (t[at_upper] + lam >= upper[at_upper] - tol).all()
    near_lower, near_upper = x - lower <= 0.5, upper - x <= 0.5
    assert np.array_equal(labels != "", near_lower | near_upper)
    assert (near_lower[labels == "lower"]).all()
    assert (near_upper[labels == "upper"]).all()


@settings(max_examples=300)
@given(projection_cases(), st.data())
def test_rounding_the_projection_keeps_bounds_and_total(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, int], data: st.DataObject
) -> None:
    t, lower, upper, total = case
    x, _ = damp(t, lower, upper, total)
    keys = data.draw(st.permutations([f"GB{i:03d}" for i in range(len(t))]))
    cents = split_cents(total, x, keys, lower_cents=lower, upper_cents=upper)
    assert int(cents.sum()) == total
    assert (cents >= lower).all()
    assert (cents <= upper).all()
    assert (np.abs(cents - x) < 1 + 1e-6).all()


@given(projection_cases())
def test_infeasible_totals_always_raise(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, int],
) -> None:
    t, lower, upper, _ = case
    with pytest.raises(DampingInfeasibleError):
        damp(t, lower, upper, int(upper.sum()) + 1)
    if lower.sum() > 0:
        with pytest.raises(DampingInfeasibleError):
            damp(t, lower, upper, int(lower.sum()) - 1)


@pytest.mark.parametrize("n", [3, 7, 1000])
def test_a_total_equal_to_the_lower_bounds_holds_every_area_there(n: int) -> None:
    # Many equal breakpoints: the prefix sums must not push f above the total.
    t = np.full(n, 0.1) * np.arange(1, n + 1) / n
    lower = np.full(n, 7)
    x, labels = damp(t, lower, lower + 5, 7 * n)
    assert x.tolist() == [7.0] * n
    assert set(labels.tolist()) == {"lower"}
