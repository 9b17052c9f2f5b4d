"""Combined damping rules: each holds, the total stays exact, and every binding rule is named."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from populatie.configuration import DampingConfig
from populatie.core.allocation import DomainAllocation, allocate_domain
from populatie.core.damping import (
    DampingBounds,
    DampingRules,
    bound_limits,
    convergence_point,
    damp_rules,
    rule_limits,
)
from populatie.errors import ConfigurationError, DampingInfeasibleError

KEYS3 = ["GB01", "GB02", "GB03"]


def allocate(
    need: list[float],
    previous: list[int],
    budget: int,
    rules: DampingRules,
    young: list[int] | None = None,
) -> DomainAllocation:
    n = len(need)
    return allocate_domain(
        np.array(need),
        np.zeros(n, dtype=np.int64),
        budget,
        area_keys=[f"GB{i:02d}" for i in range(1, n + 1)],
        previous_cents=np.array(previous),
        bounds=rules,
        young_population=None if young is None else np.array(young, dtype=float),
    )


# --- worked examples -------------------------------------------------------------------------


def test_percentage_band_is_named_with_its_side() -> None:
    # Targets 150, 75, 75 euro against 100 each; a 5 % band: the first stops at 105 euro.
    result = allocate([2.0, 1.0, 1.0], [10000] * 3, 30000, DampingRules(max_change_pct=5.0))
    assert result.amount_cents.tolist() == [10500, 9750, 9750]
    assert result.bound.tolist() == ["pct_band:upper", "", ""]


def test_the_per_young_cap_and_a_tie_name_both_rules() -> None:
    # Area 1: 5 % of 10000 is 500 cents, 5 young at 1 euro is 500 cents: both rules hold it.
    rules = DampingRules(max_change_pct=5.0, max_change_per_young_eur=1.0)
    result = allocate([3.0, 0.5, 0.5], [10000, 10000, 10000], 30000, rules, young=[5, 100, 100])
    assert result.amount_cents.tolist() == [10500, 9750, 9750]
    assert result.bound.tolist() == ["pct_band:upper+per_young_cap:upper", "", ""]
    # Area 2 may lose at most 300 cents (3 young), area 3 gain at most 500 (the band).
    result = allocate([0.1, 1.0, 1.9], [10000, 10000, 10000], 30000, rules, young=[500, 3, 100])
    assert result.amount_cents.tolist() == [9500, 10000, 10500]
    assert result.bound.tolist() == ["pct_band:lower", "", "pct_band:upper"]
    result = allocate([1.0, 0.1, 1.9], [10000, 10000, 10000], 30000, rules, young=[500, 3, 100])
    assert result.amount_cents.tolist() == [9800, 9700, 10500]
    assert result.bound.tolist() == ["", "per_young_cap:lower", "pct_band:upper"]


def test_min_growth_is_a_floor() -> None:
    # Targets 50 and 150 euro against 100 and 100, same total: no area may shrink, so both
    # stay; both are named: the second is held on its floor by the shift that pays for the first.
    result = allocate([1.0, 3.0], [10000, 10000], 20000, DampingRules(min_growth_pct=0.0))
    assert result.amount_cents.tolist() == [10000, 10000]
    assert result.bound.tolist() == ["min_growth", "min_growth"]


def test_negative_min_growth_limits_the_fall() -> None:
    result = allocate([1.0, 3.0], [10000, 10000], 20000, DampingRules(min_growth_pct=-2.5))
    assert result.amount_cents.tolist() == [9750, 10250]
    assert result.bound.tolist() == ["min_growth", ""]


def test_convergence_closes_a_share_of_the_gap() -> None:
    # Previous 100/100 euro scaled to the new 300-euro total: 150/150. Targets 100/200.
    # Half-way: 125/175.
    point = convergence_point(np.array([10000.0, 20000.0]), np.array([10000, 10000]), 0.5, 30000)
    assert point.tolist() == [12500.0, 17500.0]
    result = allocate([1.0, 2.0], [10000, 10000], 30000, DampingRules(convergence_share=0.5))
    assert result.amount_cents.tolist() == [12500, 17500]
    assert result.bound.tolist() == ["convergence", "convergence"]
    # a share of 1 is the target itself, and nothing is named
    result = allocate([1.0, 2.0], [10000, 10000], 30000, DampingRules(convergence_share=1.0))
    assert result.amount_cents.tolist() == [10000, 20000]
    assert result.bound.tolist() == ["", ""]


def test_convergence_within_a_band() -> None:
    # Convergence asks 125 and 175 euro (as above). A 20 % band on the previous 100 euro allows
    # at most 120 each: 240 euro cannot hold the 300, and the error names the rule.
    rules = DampingRules(max_change_pct=20.0, convergence_share=0.5)
    with pytest.raises(DampingInfeasibleError, match=r"rules: pct_band\)"):
        allocate([1.0, 2.0], [10000, 10000], 30000, rules)
    # A 60 % band (40..160 euro) cuts 175 to 160; the first area takes the other 15.
    rules = DampingRules(max_change_pct=60.0, convergence_share=0.5)
    result = allocate([1.0, 2.0], [10000, 10000], 30000, rules)
    assert result.amount_cents.tolist() == [14000, 16000]
    assert result.bound.tolist() == ["convergence", "convergence+pct_band:upper"]


def test_contradicting_rules_name_the_area_and_both_rules() -> None:
    rules = DampingRules(max_change_pct=2.0, min_growth_pct=5.0)
    message = r"'GB02': it must get at least 10500 cents \(min_growth\) and at most 10200 cents"
    with pytest.raises(DampingInfeasibleError, match=message) as info:
        rule_limits(np.array([0, 10000]), rules, total_cents=10**6, area_keys=["GB01", "GB02"])
    assert info.value.details[0]["lower_rules"] == ["min_growth"]
    assert info.value.details[0]["upper_rules"] == ["pct_band"]


def test_rule_bounds_are_exact_decimal_arithmetic() -> None:
    # 7 % of 100 cents is 7 cents (not 7.000000000000001); growth of -7 % of 333 cents is
    # 309.69, rounded up to 310 so that every whole-cent amount above it keeps the rule.
    limits = rule_limits(
        np.array([100, 333]), DampingRules(max_change_pct=7.0, min_growth_pct=-7.0)
    )
    assert limits.rule_lower["pct_band"].tolist() == [93, 310]
    assert limits.rule_upper["pct_band"].tolist() == [107, 356]
    assert limits.rule_lower["min_growth"].tolist() == [93, 310]
    assert limits.lower.tolist() == [93, 310]


def test_two_band_rules_give_the_bounds_of_damping_bounds() -> None:
    previous = np.array([0, 100, 5000, 10**9])
    young = np.array([3.0, 0.0, 2.5, 1000.0])
    old = bound_limits(previous, DampingBounds(5.0, 1.5), young, total_cents=10**8)
    new = bound_limits(previous, DampingRules(5.0, 1.5), young, total_cents=10**8)
    assert [a.tolist() for a in old] == [b.tolist() for b in new]
    assert DampingRules.from_bounds(DampingBounds(5.0, 1.5)) == DampingRules(5.0, 1.5)


def test_bad_rules_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="convergence_share"):
        DampingRules(convergence_share=1.5)
    with pytest.raises(ConfigurationError, match="min_growth_pct"):
        DampingRules(min_growth_pct=-101.0)
    with pytest.raises(ConfigurationError, match="max_change_pct"):
        DampingRules(max_change_pct=float("inf"))
    assert not DampingRules().active
    assert DampingRules(convergence_share=0.0).active


def test_config_reads_the_rules_and_drops_the_young_cap_without_young() -> None:
    config = DampingConfig(
        max_change_pct=5, max_change_per_young_eur=15, min_growth_pct=0, convergence_share=0.25
    )
    assert config.rules() == DampingRules(5.0, 15.0, 0.0, 0.25)
    assert config.rules(young_population=False) == DampingRules(5.0, None, 0.0, 0.25)
    with pytest.raises(ValueError, match="less than or equal to 1"):
        DampingConfig(convergence_share=2)


# --- properties ------------------------------------------------------------------------------


@st.composite
def rule_cases(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, DampingRules]:
    n = draw(st.integers(1, 12))
    previous = np.array(draw(st.lists(st.integers(0, 10**9), min_size=n, max_size=n)))
    young = np.array(draw(st.lists(st.integers(0, 50_000), min_size=n, max_size=n)), dtype=float)
    need = np.array(draw(st.lists(st.floats(0, 1e6), min_size=n, max_size=n)))
    need[0] = max(need[0], 1.0)  # no need anywhere is refused, not split equally
    growth = draw(st.floats(-0.3, 0.3))
    budget = max(0, int(int(previous.sum()) * (1 + growth)))
    rules = DampingRules(
        max_change_pct=draw(st.none() | st.sampled_from([0.5, 2.0, 5.0, 12.5, 40.0])),
        max_change_per_young_eur=draw(st.none() | st.sampled_from([1.0, 15.0, 50.0])),
        min_growth_pct=draw(st.none() | st.sampled_from([-10.0, -2.0, 0.0, 1.0])),
        convergence_share=draw(st.none() | st.sampled_from([0.0, 0.25, 1 / 3, 1.0])),
    )
    return need, previous, young, budget, rules


@settings(max_examples=400, deadline=None)
@given(rule_cases())
def test_every_rule_holds_and_the_total_is_exact(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, int, DampingRules],
) -> None:
    need, previous, young, budget, rules = case
    try:
        result = allocate_domain(
            need,
            np.zeros(len(need), dtype=np.int64),
            budget,
            area_keys=[f"GB{i:02d}" for i in range(len(need))],
            previous_cents=previous,
            bounds=rules,
            young_population=young,
        )
    except DampingInfeasibleError:
        # Infeasible only when the rules contradict each other for an area, or their bounds
        # truly cannot hold the total.
        try:
            limits = rule_limits(previous, rules, young, total_cents=budget)
        except DampingInfeasibleError:
            return
        assert limits.lower.sum() > budget or limits.upper.sum() < budget
        return
    x = result.amount_cents
    assert int(x.sum()) == budget
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
    assert (result.amount_cents >= 0).all()


@settings(max_examples=300, deadline=None)
@given(rule_cases())
def test_labels_name_exactly_the_rules_that_hold_an_area(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, int, DampingRules],
) -> None:
    need, previous, young, budget, rules = case
    target = (
        need / need.sum() * budget if need.sum() > 0 else np.full(len(need), budget / len(need))
    )
    try:
        damped = damp_rules(target, previous, rules, budget, young_population=young)
    except DampingInfeasibleError:
        return
    limits = rule_limits(previous, rules, young, total_cents=budget)
    point = damped.point_cents
    for i, label in enumerate(damped.labels.tolist()):
        names = set(label.split("+")) if label else set()
        x = damped.exact_cents[i]
        at_lower = x - limits.lower[i] <= 0.5
        at_upper = limits.upper[i] - x <= 0.5
        if at_lower and at_upper:  # a band of zero width: the side the point lies beyond
            at_lower = point[i] < x
            at_upper = not at_lower
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
@given(rule_cases())
def test_convergence_alone_is_budget_neutral_and_lands_on_its_point(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, int, DampingRules],
) -> None:
    need, previous, _, budget, _ = case
    rules = DampingRules(convergence_share=0.4)
    result = allocate_domain(
        need,
        np.zeros(len(need), dtype=np.int64),
        budget,
        area_keys=[f"GB{i:02d}" for i in range(len(need))],
        previous_cents=previous,
        bounds=rules,
    )
    assert int(result.amount_cents.sum()) == budget
    assert result.exact_cents is not None
    point = convergence_point(result.target_cents, previous, 0.4, budget)
    assert np.allclose(result.exact_cents, point, rtol=1e-9, atol=1e-3)
    assert (np.abs(result.amount_cents - point) < 1 + 1e-6 * max(1.0, budget)).all()


@settings(max_examples=200, deadline=None)
@given(rule_cases())
def test_the_two_band_rules_allocate_as_damping_bounds_did(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, int, DampingRules],
) -> None:
    need, previous, young, budget, rules = case
    bounds = DampingBounds(rules.max_change_pct, rules.max_change_per_young_eur)
    if not bounds.active:
        return
    common: dict[str, Any] = {
        "area_keys": [f"GB{i:02d}" for i in range(len(need))],
        "previous_cents": previous,
        "young_population": young,
    }
    base = np.zeros(len(need), dtype=np.int64)
    try:
        old = allocate_domain(need, base, budget, bounds=bounds, **common)
    except DampingInfeasibleError:
        with pytest.raises(DampingInfeasibleError):
            allocate_domain(need, base, budget, bounds=DampingRules.from_bounds(bounds), **common)
        return
    new = allocate_domain(need, base, budget, bounds=DampingRules.from_bounds(bounds), **common)
    assert new.amount_cents.tolist() == old.amount_cents.tolist()
    assert [b != "" for b in new.bound.tolist()] == [b != "" for b in old.bound.tolist()]
