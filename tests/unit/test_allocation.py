"""Need, targets and the whole domain allocation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.core.allocation import allocate_domain, area_need, need, targets
from populatie.core.damping import DampingBounds
from populatie.core.money import split_cents
from populatie.errors import AllocationError, MissingFigureError

# --- need ------------------------------------------------------------------------------------


def test_need_is_counts_times_rates() -> None:
    counts = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert need(counts, np.array([10.0, 1.0])).tolist() == [12.0, 34.0]
    per_domain = need(counts, np.array([[10.0, 0.0], [1.0, 5.0]]))
    assert per_domain.tolist() == [[12.0, 10.0], [34.0, 20.0]]


def test_integer_counts_are_accepted() -> None:
    assert need(np.array([[2, 3]]), np.array([1.5, 2.0])).tolist() == [9.0]


def test_missing_figure_names_unit_and_indicator() -> None:
    counts = np.array([[1.0, 2.0], [3.0, np.nan]])
    with pytest.raises(MissingFigureError, match="'jeugdzorg' in unit 'WK051802'") as info:
        need(
            counts,
            np.array([1.0, 1.0]),
            unit_keys=["WK051801", "WK051802"],
            indicator_keys=["jongeren", "jeugdzorg"],
        )
    assert info.value.details == [{"unit": "'WK051802'", "indicator": "'jeugdzorg'"}]


def test_missing_figure_is_found_even_with_a_zero_rate() -> None:
    with pytest.raises(MissingFigureError, match="#1 in unit #0"):
        need(np.array([[1.0, np.nan]]), np.array([1.0, 0.0]))


def test_negative_count_and_rate_are_allocation_errors() -> None:
    with pytest.raises(AllocationError, match=r"unit 'b' is -1\.0") as info:
        need(np.array([[1.0], [-1.0]]), np.array([1.0]), unit_keys=["a", "b"])
    assert not isinstance(info.value, MissingFigureError)
    with pytest.raises(AllocationError, match=r"indicator 'y' is -2\.0"):
        need(np.ones((1, 2)), np.array([1.0, -2.0]), indicator_keys=["x", "y"])
    with pytest.raises(AllocationError, match="indicator #1 is nan"):
        need(np.ones((1, 2)), np.array([[1.0, 1.0], [1.0, np.nan]]))
    with pytest.raises(AllocationError, match="is inf"):
        need(np.array([[np.inf]]), np.array([1.0]))


def test_need_shapes_must_fit() -> None:
    with pytest.raises(AllocationError, match="do not fit 2 indicators"):
        need(np.ones((3, 2)), np.ones(3))


# --- area need and targets -------------------------------------------------------------------


def test_area_need_sums_units_into_areas() -> None:
    unit = np.array([1.0, 2.0, 4.0, 8.0])
    assert area_need(unit, np.array([0, 2, 0, 2]), 3).tolist() == [5.0, 0.0, 10.0]
    two = np.stack([unit, unit * 10], axis=1)
    assert area_need(two, np.array([1, 1, 0, 0]), 2).tolist() == [[12.0, 120.0], [3.0, 30.0]]


def test_area_need_refuses_an_unknown_area() -> None:
    with pytest.raises(AllocationError, match="unit #1 is assigned to area index 3"):
        area_need(np.ones(2), np.array([0, 3]), 3)


def test_targets_add_the_need_share_of_the_rest_to_the_base() -> None:
    # rest = 1100 - 100 = 1000, shared 1 : 3
    assert targets(np.array([1.0, 3.0]), np.array([100, 0]), 1100).tolist() == [350.0, 750.0]


def test_targets_without_need_refuse_an_equal_split() -> None:
    with pytest.raises(AllocationError, match=r"need is 0.*not split equally"):
        targets(np.zeros(3), np.array([0, 30, 0]), 120)
    # a waterfall's counterfactual state asks for the equal split explicitly
    assert targets(np.zeros(3), np.array([0, 30, 0]), 120, equal_without_need=True).tolist() == [
        30.0,
        60.0,
        30.0,
    ]
    # nothing left to share is no refusal
    assert targets(np.zeros(2), np.array([10, 20]), 30).tolist() == [10.0, 20.0]


def test_targets_refuse_bases_above_the_budget() -> None:
    with pytest.raises(AllocationError, match="add up to 200 cents, more than the budget of 150"):
        targets(np.ones(2), np.array([100, 100]), 150)


# --- the whole domain ------------------------------------------------------------------------


@st.composite
def domains(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
    n = draw(st.integers(min_value=1, max_value=50))
    area_needs = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(0, 1e9, allow_nan=False)), min_size=n, max_size=n
        )
    )
    base = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n))
    budget = draw(st.integers(sum(base), sum(base) + 10**12))
    keys = [f"GB{i:04d}" for i in range(n)]
    if not any(area_needs):
        area_needs[0] = 1.0  # no need anywhere is refused (see test_targets_without_need_...)
    return np.array(area_needs), np.array(base, dtype=np.int64), budget, keys


@settings(max_examples=200)
@given(domains())
def test_amounts_add_up_and_respect_the_base(
    case: tuple[np.ndarray, np.ndarray, int, list[str]],
) -> None:
    area_needs, base, budget, keys = case
    result = allocate_domain(area_needs, base, budget, area_keys=keys)
    assert result.amount_cents.dtype == np.int64
    assert int(result.amount_cents.sum()) == budget
    assert (result.amount_cents >= base).all()
    assert (np.abs(result.amount_cents - result.target_cents) < 1 + 1e-6).all()
    assert not result.damped.any()
    assert result.lower_cents is None
    assert result.upper_cents is None


@given(
    st.integers(min_value=1, max_value=300),
    st.floats(min_value=1e-3, max_value=1e9, allow_nan=False),
    st.integers(min_value=0, max_value=10**13),
)
def test_equal_need_differs_by_at_most_one_cent(n: int, each: float, budget: int) -> None:
    result = allocate_domain(
        np.full(n, each), np.zeros(n, dtype=np.int64), budget, area_keys=[str(i) for i in range(n)]
    )
    amounts = result.amount_cents
    assert int(amounts.max()) - int(amounts.min()) <= 1
    assert int(amounts.sum()) == budget


@settings(max_examples=200)
@given(domains(), st.data())
def test_damped_amounts_keep_their_bounds_and_the_total(
    case: tuple[np.ndarray, np.ndarray, int, list[str]], data: st.DataObject
) -> None:
    area_needs, base, budget, keys = case
    n = len(keys)
    # A previous allocation of the same total, so a 0 % band is the tightest feasible case.
    raw = data.draw(st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n))
    previous = allocate_domain(np.array(raw), np.zeros(n, dtype=np.int64), budget, area_keys=keys)
    pct = data.draw(st.sampled_from([0.0, 0.5, 5.0, 20.0]))
    result = allocate_domain(
        area_needs,
        base,
        budget,
        area_keys=keys,
        previous_cents=previous.amount_cents,
        bounds=DampingBounds(max_change_pct=pct),
    )
    assert result.lower_cents is not None
    assert result.upper_cents is not None
    assert int(result.amount_cents.sum()) == budget
    assert (result.amount_cents >= result.lower_cents).all()
    assert (result.amount_cents <= result.upper_cents).all()
    assert set(result.bound.tolist()) <= {"", "lower", "upper"}
    # damped says whether damping moved the amount, not whether it sits on a bound (an area
    # whose target lies on its bound is labelled but not moved)
    assert result.damping_cents is not None
    assert np.array_equal(result.damped, result.damping_cents != 0)


def test_worked_example_with_damping() -> None:
    # Three areas had 100 euro each. The new need is 2 : 1 : 1, so the targets are
    # 150, 75 and 75 euro. A 5 % band allows 95..105 euro. The first area stops at 105;
    # the two others pay for that and rise together from 75 to 97.50 euro each.
    result = allocate_domain(
        np.array([2.0, 1.0, 1.0]),
        np.zeros(3, dtype=np.int64),
        30000,
        area_keys=["GB01", "GB02", "GB03"],
        previous_cents=np.array([10000, 10000, 10000]),
        bounds=DampingBounds(max_change_pct=5.0),
    )
    assert result.target_cents.tolist() == [15000.0, 7500.0, 7500.0]
    assert result.lower_cents is not None
    assert result.upper_cents is not None
    assert result.lower_cents.tolist() == [9500, 9500, 9500]
    assert result.upper_cents.tolist() == [10500, 10500, 10500]
    assert result.amount_cents.tolist() == [10500, 9750, 9750]
    assert result.bound.tolist() == ["upper", "", ""]
    assert result.damped.tolist() == [True, True, True]


def test_half_cent_ties_go_to_the_smaller_area_key() -> None:
    # As above with one cent more: 97.505 euro for each of the last two areas.
    def run(keys: list[str]) -> list[int]:
        result = allocate_domain(
            np.array([2.0, 1.0, 1.0]),
            np.zeros(3, dtype=np.int64),
            30001,
            area_keys=keys,
            previous_cents=np.array([10000, 10000, 10000]),
            bounds=DampingBounds(max_change_pct=5.0),
        )
        return [int(v) for v in result.amount_cents]

    assert run(["a", "b", "c"]) == [10500, 9751, 9750]
    assert run(["a", "c", "b"]) == [10500, 9750, 9751]


def test_a_new_area_is_not_held_by_the_percentage() -> None:
    # The third area had nothing last year; 5 % of nothing must not keep it at nothing.
    result = allocate_domain(
        np.array([1.0, 1.0, 1.0]),
        np.zeros(3, dtype=np.int64),
        30000,
        area_keys=["a", "b", "c"],
        previous_cents=np.array([15000, 15000, 0]),
        bounds=DampingBounds(max_change_pct=10.0),
    )
    # the old areas may drop to 135 euro each; the new one gets the rest
    assert result.amount_cents.tolist() == [13500, 13500, 3000]
    assert result.bound.tolist() == ["lower", "lower", ""]


def test_without_bounds_the_previous_amounts_change_nothing() -> None:
    plain = allocate_domain(np.array([1.0, 3.0]), np.zeros(2, dtype=np.int64), 100, area_keys="ab")
    with_previous = allocate_domain(
        np.array([1.0, 3.0]),
        np.zeros(2, dtype=np.int64),
        100,
        area_keys="ab",
        previous_cents=np.array([50, 50]),
        bounds=DampingBounds(),
    )
    assert plain.amount_cents.tolist() == with_previous.amount_cents.tolist() == [25, 75]


def test_per_young_damping_needs_the_young_population() -> None:
    with pytest.raises(AllocationError, match="young population"):
        allocate_domain(
            np.ones(2),
            np.zeros(2, dtype=np.int64),
            100,
            area_keys="ab",
            previous_cents=np.array([50, 50]),
            bounds=DampingBounds(max_change_per_young_eur=1.0),
        )


def test_area_keys_must_match_the_areas() -> None:
    with pytest.raises(AllocationError, match="1 area keys for 2 areas"):
        allocate_domain(np.ones(2), np.zeros(2, dtype=np.int64), 100, area_keys=["a"])


def test_results_are_read_only() -> None:
    result = allocate_domain(np.ones(2), np.zeros(2, dtype=np.int64), 100, area_keys="ab")
    with pytest.raises(ValueError, match="read-only"):
        result.amount_cents[0] = 1


@settings(max_examples=200)
@given(domains(), st.data())
def test_the_order_of_the_areas_does_not_matter(
    case: tuple[np.ndarray, np.ndarray, int, list[str]], data: st.DataObject
) -> None:
    area_needs, base, budget, keys = case
    n = len(keys)
    # small whole numbers make equal remainders (true ties) likely
    area_needs = np.array(data.draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), float)
    area_needs[0] = max(area_needs[0], 1.0)  # no need anywhere is refused
    previous = np.array(data.draw(st.lists(st.integers(0, 10**9), min_size=n, max_size=n)))
    previous = split_cents(budget, previous, keys) if previous.sum() else None
    bounds = DampingBounds(max_change_pct=data.draw(st.sampled_from([1.0, 10.0, 50.0])))
    order = np.array(data.draw(st.permutations(range(n))))

    def run(idx: np.ndarray) -> dict[str, int]:
        result = allocate_domain(
            area_needs[idx],
            base[idx],
            budget,
            area_keys=[keys[i] for i in idx],
            previous_cents=None if previous is None else previous[idx],
            bounds=bounds,
        )
        return dict(zip((keys[i] for i in idx), result.amount_cents.tolist(), strict=True))

    assert run(np.arange(n)) == run(order)
