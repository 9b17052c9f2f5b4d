"""Damping tests that pin down what mutation testing found loose in :mod:`populatie.core.damping`:
each refusal in full, the exact integer bounds (also past int64 products), the read-only
results and the labels at their edges. See docs/mutation.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from populatie.core.damping import (
    DampingBounds,
    DampingRules,
    bound_limits,
    convergence_point,
    damp,
    damp_rules,
    rule_limits,
)
from populatie.core.money import MAX_CENTS
from populatie.errors import AllocationError, ConfigurationError, DampingInfeasibleError


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: DampingBounds(max_change_pct=-1),
            "damping max_change_pct must be a number >= 0, got -1",
        ),
        (
            lambda: DampingBounds(max_change_per_young_eur=float("inf")),
            "damping max_change_per_young_eur must be a number >= 0, got inf",
        ),
        (
            lambda: DampingRules(max_change_per_young_eur=float("nan")),
            "damping max_change_per_young_eur must be a number >= 0, got nan",
        ),
        (
            lambda: DampingRules(max_change_pct=-0.5),
            "damping max_change_pct must be a number >= 0, got -0.5",
        ),
        (
            lambda: DampingRules(min_growth_pct=-101),
            "damping min_growth_pct must be >= -100, got -101",
        ),
        (
            lambda: DampingRules(min_growth_pct=float("inf")),
            "damping min_growth_pct must be >= -100, got inf",
        ),
        (
            lambda: DampingRules(convergence_share=1.5),
            "damping convergence_share must be between 0 and 1, got 1.5",
        ),
        (
            lambda: DampingRules(convergence_share=-0.1),
            "damping convergence_share must be between 0 and 1, got -0.1",
        ),
    ],
)
def test_rules_out_of_range_are_refused(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        make()
    assert str(raised.value) == message


def test_rules_at_the_edges_of_their_range_are_accepted() -> None:
    DampingBounds(max_change_pct=0, max_change_per_young_eur=0)
    rules = DampingRules(0, 0, -100, 0)
    assert rules.active
    DampingRules(convergence_share=1)
    assert DampingRules(max_change_pct=1).active
    assert DampingRules(max_change_per_young_eur=1).active
    assert DampingRules(min_growth_pct=1).active
    assert DampingBounds(max_change_per_young_eur=1).active
    assert not DampingBounds().active
    assert DampingRules(max_change_per_young_eur=1).needs_young_population
    assert not DampingRules(max_change_pct=1).needs_young_population
    assert DampingRules.from_bounds(DampingBounds(3.0, 7.0)) == DampingRules(3.0, 7.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: bound_limits([1.5], DampingBounds(5)),
            "previous amounts must be a 1-D array of whole cents, got float64(1,)",
        ),
        (
            lambda: bound_limits([[1]], DampingBounds(5)),
            "previous amounts must be a 1-D array of whole cents, got int64(1, 1)",
        ),
        (
            lambda: bound_limits([1, -5], DampingBounds(5)),
            "previous amount at index 1 is negative: -5",
        ),
        (
            lambda: bound_limits([1], DampingBounds(max_change_per_young_eur=5)),
            "damping per young inhabitant needs the young population",
        ),
        (
            lambda: bound_limits([1], DampingBounds(max_change_per_young_eur=5), [1, 2]),
            "young population has shape (2,), expected (1,)",
        ),
        (
            lambda: bound_limits([1, 1], DampingBounds(max_change_per_young_eur=5), [1, np.nan]),
            "young population at index 1 is nan",
        ),
        (
            lambda: bound_limits([1, 1], DampingBounds(max_change_per_young_eur=5), [-1, 1]),
            "young population at index 0 is -1.0",
        ),
        (
            lambda: convergence_point([1.0, 2.0], [1], 0.5, 3),
            "previous amounts (1,) and targets (2,) differ",
        ),
        (
            lambda: damp_rules([1.0, 2.0], [1, 2, 3], DampingRules(max_change_pct=5), 3),
            "previous amounts (3,) and targets (2,) differ",
        ),
        (
            lambda: damp([1.0], [0, 0], [1], 1),
            "targets (1,), lower (2,) and upper (1,) must be equal 1-D shapes",
        ),
        (
            lambda: damp([[1.0]], [0], [1], 1),
            "targets (1, 1), lower (1,) and upper (1,) must be equal 1-D shapes",
        ),
        (lambda: damp([1.0, np.inf], [0, 0], [1, 1], 1), "target at index 1 is inf"),
        (
            lambda: damp([1.0], [0.0], [1], 1),
            "damping bounds must be whole cents (integer arrays)",
        ),
        (
            lambda: damp([1.0], [0], [1.0], 1),
            "damping bounds must be whole cents (integer arrays)",
        ),
        (
            lambda: damp([1.0, 1.0], [0, 5], [9, 4], 5),
            "lower bound 5 is above upper bound 4 at index 1",
        ),
    ],
)
def test_bad_damping_input_is_named(call: Callable[[], object], message: str) -> None:
    with pytest.raises(AllocationError) as raised:
        call()
    assert str(raised.value) == message


def test_a_total_outside_the_bounds_says_both_sums() -> None:
    with pytest.raises(DampingInfeasibleError) as raised:
        damp([1.0, 2.0], [1, 2], [3, 4], 8)
    assert str(raised.value) == (
        "damping cannot hold the budget: the lower bounds add up to 3 cents and the upper "
        "bounds to 7 cents, but the total is 8 cents"
    )
    assert raised.value.details == [{"sum_lower_cents": 3, "sum_upper_cents": 7, "total_cents": 8}]
    with pytest.raises(DampingInfeasibleError):
        damp([1.0, 2.0], [1, 2], [3, 4], 2)
    assert damp([1.0, 2.0], [1, 2], [3, 4], 3)[0].tolist() == [1.0, 2.0]
    assert damp([1.0, 2.0], [1, 2], [3, 4], 7)[0].tolist() == [3.0, 4.0]


def test_damp_rules_names_the_rules_in_its_refusal() -> None:
    with pytest.raises(DampingInfeasibleError) as raised:
        damp_rules([10.0, 20.0], [100, 100], DampingRules(max_change_pct=5), 400)
    assert str(raised.value) == (
        "damping cannot hold the budget: the lower bounds add up to 190 cents and the upper "
        "bounds to 210 cents, but the total is 400 cents (rules: pct_band)"
    )
    assert raised.value.details == [
        {"sum_lower_cents": 190, "sum_upper_cents": 210, "total_cents": 400}
    ]
    rules = DampingRules(max_change_pct=5, max_change_per_young_eur=1, min_growth_pct=0)
    with pytest.raises(
        DampingInfeasibleError, match=r"\(rules: pct_band, per_young_cap, min_growth\)$"
    ):
        damp_rules([10.0, 20.0], [100, 100], rules, 400, young_population=[1, 1])


def test_contradicting_rules_name_the_area_and_both_rules() -> None:
    rules = DampingRules(max_change_pct=5, min_growth_pct=10)
    with pytest.raises(DampingInfeasibleError) as raised:
        rule_limits([100, 200], rules, area_keys=["A", "B"])
    assert str(raised.value) == (
        "damping rules contradict each other for area 'A': it must get at least 110 cents "
        "(min_growth) and at most 105 cents (pct_band)"
    )
    assert raised.value.details == [
        {
            "area": "'A'",
            "lower_cents": 110,
            "upper_cents": 105,
            "lower_rules": ["min_growth"],
            "upper_rules": ["pct_band"],
        }
    ]
    with pytest.raises(DampingInfeasibleError) as raised:
        rule_limits([0, 100], DampingRules(min_growth_pct=10), total_cents=50)
    assert str(raised.value) == (
        "damping rules contradict each other for area #1: it must get at least 110 cents "
        "(min_growth) and at most 50 cents (the budget total)"
    )


def test_bounds_are_exact_integers() -> None:
    lower, upper = bound_limits([100, 0, 7], DampingBounds(max_change_pct=5))
    assert lower.tolist() == [95, 0, 7]
    assert upper.tolist() == [105, MAX_CENTS, 7]
    lower, upper = bound_limits([100, 0], DampingBounds(max_change_pct=5), total_cents=1000)
    assert (lower.tolist(), upper.tolist()) == ([95, 0], [105, 1000])
    young = DampingBounds(max_change_per_young_eur=0.07)
    lower, upper = bound_limits([1000, 1000, 3], young, [1.5, 10, 10])
    assert (lower.tolist(), upper.tolist()) == ([990, 930, 0], [1010, 1070, 73])
    both = DampingBounds(max_change_pct=10, max_change_per_young_eur=0.01)
    lower, upper = bound_limits([1000, 1000, 0], both, [5, 500, 5])
    assert (lower.tolist(), upper.tolist()) == ([995, 900, 0], [1005, 1100, 5])
    assert lower.dtype == upper.dtype == np.int64


def test_bounds_past_int64_products_stay_exact() -> None:
    big = 2**60
    lower, upper = bound_limits([big], DampingBounds(max_change_pct=12.5), total_cents=2**62)
    assert (lower.tolist(), upper.tolist()) == ([big - big // 8], [big + big // 8])
    lower, upper = bound_limits([big], DampingBounds(max_change_pct=12.5))
    assert (lower.tolist(), upper.tolist()) == ([big - MAX_CENTS], [big + MAX_CENTS])
    limits = rule_limits([big, 10], DampingRules(min_growth_pct=1.0), total_cents=2**62)
    assert limits.lower.tolist() == [big + big // 100 + 1, 11]  # ceil(2**60 * 1.01)
    young = bound_limits([big], DampingBounds(max_change_per_young_eur=1e6), [2**40])
    assert young[1].tolist() == [big + MAX_CENTS]


def test_fractional_young_populations_are_floored_in_cents() -> None:
    rules = DampingRules(max_change_per_young_eur=0.07)
    limits = rule_limits([1000, 1000], rules, [1.5, 2.25], total_cents=5000)
    assert limits.rule_lower["per_young_cap"].tolist() == [990, 985]
    assert limits.rule_upper["per_young_cap"].tolist() == [1010, 1015]


def test_rule_limits_keep_each_rule_and_are_read_only() -> None:
    rules = DampingRules(max_change_pct=10, max_change_per_young_eur=1, min_growth_pct=-2)
    limits = rule_limits([1000, 0], rules, [5, 5], total_cents=3000)
    assert set(limits.rule_lower) == {"pct_band", "per_young_cap", "min_growth"}
    assert set(limits.rule_upper) == {"pct_band", "per_young_cap"}
    assert limits.rule_lower["pct_band"].tolist() == [900, 0]
    assert limits.rule_upper["pct_band"].tolist() == [1100, 3000]
    assert limits.rule_lower["per_young_cap"].tolist() == [500, 0]
    assert limits.rule_upper["per_young_cap"].tolist() == [1500, 500]
    assert limits.rule_lower["min_growth"].tolist() == [980, 0]
    assert (limits.lower.tolist(), limits.upper.tolist()) == ([980, 0], [1100, 500])
    for arr in (limits.lower, limits.upper, *limits.rule_lower.values()):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1
    free = rule_limits([1000, 0], DampingRules(min_growth_pct=0), total_cents=3000)
    assert (free.lower.tolist(), free.upper.tolist()) == ([1000, 0], [3000, 3000])
    assert rule_limits([], DampingRules(max_change_pct=1)).lower.tolist() == []


def test_convergence_starts_from_the_previous_amounts_scaled_to_the_total() -> None:
    point = convergence_point([300.0, 100.0], [100, 100], 0.25, 400)
    assert point.tolist() == [225.0, 175.0]  # from 200 : 200, a quarter of the way
    assert convergence_point([3.0, 1.0], [0, 0], 0.5, 4).tolist() == [3.0, 1.0]


def test_labels_name_each_binding_rule_and_only_those() -> None:
    rules = DampingRules(max_change_pct=10, max_change_per_young_eur=1, convergence_share=0.5)
    damped = damp_rules(
        [2000.0, 600.0, 400.0], [1000, 1000, 1000], rules, 3000, young_population=[1, 10, 10],
        area_keys=["A", "B", "C"],
    )  # fmt: skip
    # A's point is 1500: the per-young cap (+100) holds it below the band (+100): both bind
    assert damped.labels.tolist()[0] == "convergence+pct_band:upper+per_young_cap:upper"
    assert damped.exact_cents.tolist()[0] == 1100.0
    assert damped.point_cents.tolist() == [1500.0, 800.0, 700.0]
    assert damped.lower_cents.tolist() == [900, 900, 900]
    assert damped.upper_cents.tolist() == [1100, 1100, 1100]
    for value in vars(damped).values():
        assert not value.flags.writeable
    growth = damp_rules([0.0, 2000.0], [1000, 1000], DampingRules(min_growth_pct=0), 2000)
    # B's target lies above the floor, but the total leaves it on the floor: the floor holds it
    assert growth.labels.tolist() == ["min_growth", "min_growth"]
    empty = damp_rules([], [], DampingRules(max_change_pct=1), 0)
    assert empty.labels.tolist() == []


def test_convergence_is_named_from_half_a_cent_off_the_target() -> None:
    rules = DampingRules(convergence_share=0.5)
    near = damp_rules([1001.0, 999.0], [1000, 1000], rules, 2000)
    assert near.labels.tolist() == ["convergence", "convergence"]  # 0.5 off: named
    tolerant = damp_rules([1001.0, 999.0], [1000, 1000], rules, 2000, tolerance_cents=0.6)
    assert tolerant.labels.tolist() == ["", ""]


def test_damp_labels_every_area_that_ends_on_its_bound() -> None:
    x, labels = damp([0.0, 50.0, 100.0], [10, 10, 10], [60, 60, 60], 120)
    assert x.tolist() == [10.0, 50.0, 60.0]
    assert labels.tolist() == ["lower", "", "upper"]
    # B's target is inside its band; the shift that pays for A pushes it onto its bound, and
    # the bound is what holds it there
    x, labels = damp([0.0, 40.0], [10, 0], [100, 40], 50)
    assert x.tolist() == [10.0, 40.0]
    assert labels.tolist() == ["lower", "upper"]


# --- exact integer helpers, pinned down for mutation testing (docs/mutation.md) ----------------


def test_young_delta_is_exact_for_whole_populations() -> None:
    from populatie.core.damping import _young_delta

    # 90 · 0.007 € = 63 cents exactly; the float product 90 · 0.7 floors to 62
    delta = _young_delta([90], 1, 0.007, MAX_CENTS)
    assert delta.tolist() == [63]
    assert delta.dtype == np.int64
    # an estimated (fractional) population takes the float product, still as whole cents
    estimated = _young_delta([90.5], 1, 0.007, MAX_CENTS)
    assert estimated.tolist() == [63]
    assert estimated.dtype == np.int64


@pytest.mark.parametrize(
    ("young", "bad"),
    [([0.0, -1.0], "index 1 is -1.0"), ([0.0, np.inf], "index 1 is inf"), ([np.nan], "index 0")],
)
def test_young_delta_names_the_first_bad_population(young: list[float], bad: str) -> None:
    from populatie.core.damping import _young_delta

    with pytest.raises(AllocationError, match=bad):
        _young_delta(young, len(young), 1.0, MAX_CENTS)


def test_mul_div_is_exact_on_one_value_and_beyond_int64_products() -> None:
    from fractions import Fraction

    from populatie.core.damping import _mul_div_ceil, _mul_div_floor

    assert _mul_div_ceil(np.array([5], dtype=np.int64), 3, 2).tolist() == [8]
    assert _mul_div_floor(np.array([5], dtype=np.int64), 3, 2, MAX_CENTS).tolist() == [7]
    big = np.array([2**61 + 1, 3], dtype=np.int64)  # 3 · (2**61 + 1) overflows the int64 path
    exact = [Fraction(3 * v, 2) for v in big.tolist()]
    floor = _mul_div_floor(big, 3, 2, 2**63 - 1)
    ceil = _mul_div_ceil(big, 3, 2)
    assert floor.tolist() == [int(e // 1) for e in exact]
    assert ceil.tolist() == [-int(-e // 1) for e in exact]
    assert floor.dtype == ceil.dtype == np.int64


def test_contradicting_rules_name_the_first_area_where_the_floor_exceeds_the_cap() -> None:
    rules = DampingRules(max_change_pct=10, max_change_per_young_eur=1, min_growth_pct=10)
    # A: floor 1100 = cap 1100, which holds; B: floor 1100 over its cap of 50 cents' growth
    with pytest.raises(DampingInfeasibleError) as caught:
        rule_limits([1000, 1000], rules, [100, 0.5], area_keys=["A", "B"])
    assert caught.value.details[0]["area"] == "'B'"
    both = DampingRules(max_change_pct=10, max_change_per_young_eur=1, min_growth_pct=20)
    with pytest.raises(DampingInfeasibleError) as caught:
        rule_limits([1000], both, [1], area_keys=["A"])
    assert str(caught.value) == (
        "damping rules contradict each other for area 'A': it must get at least 1200 cents "
        "(min_growth) and at most 1100 cents (pct_band, per_young_cap)"
    )


def test_a_band_of_a_hundred_percent_reaches_down_to_nothing() -> None:
    limits = rule_limits([1000], DampingRules(max_change_pct=100), total_cents=5000)
    assert limits.rule_lower["pct_band"].tolist() == [0]
    assert limits.lower.tolist() == [0]


def test_damp_labels_from_exactly_half_a_cent_and_a_closed_band_as_upper() -> None:
    x, labels = damp([10.5, 89.5], [10, 0], [100, 100], 100)
    assert x.tolist() == [10.5, 89.5]
    assert labels.tolist() == ["lower", ""]  # 0.5 above the lower bound: named
    # a band of zero width with the target on it: neither side is crossed, "upper" is said
    x, labels = damp([50.0, 50.0], [50, 0], [50, 100], 100)
    assert labels.tolist() == ["upper", ""]


def test_damp_of_no_areas_and_the_first_crossed_band() -> None:
    x, labels = damp([], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0)
    assert (x.size, labels.size) == (0, 0)
    with pytest.raises(AllocationError, match=r"^lower bound 7 is above upper bound 6 at index 1$"):
        damp([1.0, 1.0], [5, 7], [5, 6], 10)


def test_an_area_past_the_given_keys_is_named_by_its_index() -> None:
    rules = DampingRules(max_change_pct=10, max_change_per_young_eur=1, min_growth_pct=10)
    with pytest.raises(DampingInfeasibleError) as caught:
        rule_limits([1000, 1000], rules, [100, 0.5], area_keys=["A"])
    assert caught.value.details[0]["area"] == "#1"


def test_damp_rules_passes_its_tolerance_and_keys_on() -> None:
    band = DampingRules(max_change_pct=1)  # 990..1010 cents
    near = damp_rules([1009.7, 990.3], [1000, 1000], band, 2000)
    assert near.labels.tolist() == ["pct_band:upper", "pct_band:lower"]  # 0.3 from the bounds
    strict = damp_rules([1009.7, 990.3], [1000, 1000], band, 2000, tolerance_cents=0.1)
    assert strict.labels.tolist() == ["", ""]
    contradicting = DampingRules(max_change_pct=10, max_change_per_young_eur=1, min_growth_pct=20)
    with pytest.raises(DampingInfeasibleError, match="for area 'A':"):
        damp_rules([1000.0], [1000], contradicting, 1000, young_population=[1], area_keys=["A"])
    assert damp_rules([], [], band, 0).labels.dtype.kind == "U"


def test_a_budget_without_areas_says_no_rules_were_given() -> None:
    with pytest.raises(DampingInfeasibleError, match=r"the total is 5 cents \(rules: none\)$"):
        damp_rules([], [], DampingRules(convergence_share=0.5), 5)
