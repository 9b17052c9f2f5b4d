"""The funnel plot's limits against a hand computation, and its placement of providers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.core.funnel import Z_95, Z_998, funnel, funnel_curve, limits


def test_limits_match_a_hand_computation() -> None:
    # p0 = 0.2, n = 100: sd = sqrt(0.2 · 0.8 / 100) = sqrt(0.0016) = 0.04.
    # 95 %:   0.2 ± 1.959964 · 0.04 = 0.2 ± 0.07839856 → 0.12160144 and 0.27839856
    # 99.8 %: 0.2 ± 3.090232 · 0.04 = 0.2 ± 0.12360928 → 0.07639072 and 0.32360928
    lim = limits(0.2, 100)
    assert lim.lower_95 == pytest.approx(0.12160144, abs=1e-12)
    assert lim.upper_95 == pytest.approx(0.27839856, abs=1e-12)
    assert lim.lower_998 == pytest.approx(0.07639072, abs=1e-12)
    assert lim.upper_998 == pytest.approx(0.32360928, abs=1e-12)


def test_the_z_values_are_the_normal_quantiles() -> None:
    # Φ(z) from the error function: 0.975 and 0.999 to the six decimals given.
    def phi(z: float) -> float:
        return 0.5 * (1 + math.erf(z / math.sqrt(2)))

    assert phi(Z_95) == pytest.approx(0.975, abs=1e-7)
    assert phi(Z_998) == pytest.approx(0.999, abs=1e-7)


def test_limits_are_clipped_to_zero_and_one() -> None:
    # p0 = 0.02, n = 10: sd = sqrt(0.0196 / 10) = 0.044271887…, 0.02 − 1.96·sd < 0
    lim = limits(0.02, 10)
    assert lim.lower_95 == 0.0
    assert lim.lower_998 == 0.0
    assert lim.upper_95 == pytest.approx(0.02 + 1.959964 * math.sqrt(0.0196 / 10))
    assert limits(0.99, 4).upper_998 == 1.0


def test_a_small_provider_is_not_flagged_by_noise_but_a_large_one_is() -> None:
    # The same proportion 0.30 against the pooled target: with 20 cases it is inside the
    # funnel, with 2,000 cases it is far outside.
    groups = [("klein", 6, 20), ("groot", 600, 2000), ("rest", 1000, 8000)]
    result = funnel(groups)
    assert result.target == pytest.approx(1606 / 10020)
    by = {p.label: p for p in result.points}
    assert by["klein"].proportion == by["groot"].proportion == pytest.approx(0.3)
    assert by["klein"].position == "inside"
    assert by["groot"].position == "above_998"
    assert by["rest"].position == "below_998"


def test_between_the_95_and_998_limits_is_a_warning() -> None:
    # p0 = 0.2 exactly (40 of 200 over all); the provider with 100 cases and 29 events has 0.29:
    # above 0.27839856 (95 %) and below 0.32360928 (99.8 %)
    result = funnel([("a", 29, 100), ("b", 11, 100)])
    assert result.target == pytest.approx(0.2)
    assert [p.position for p in result.points] == ["above_95", "below_95"]


def test_bad_groups_are_refused() -> None:
    with pytest.raises(ValueError, match="no proportion"):
        funnel([("a", 5, 0)])
    with pytest.raises(ValueError, match="no proportion"):
        funnel([("a", 11, 10)])
    with pytest.raises(ValueError, match="at least one"):
        funnel([])


def test_the_curve_runs_from_one_case_to_the_largest() -> None:
    curve = funnel_curve(0.2, 2000)
    assert curve[0][0] == 1
    assert curve[-1][0] == 2000
    widths = [lim.upper_998 - lim.lower_998 for _, lim in curve if lim.lower_998 > 0]
    assert widths == sorted(widths, reverse=True)  # the funnel narrows


@given(
    p0=st.floats(min_value=0, max_value=1, allow_nan=False),
    n=st.integers(min_value=1, max_value=10**7),
)
def test_the_998_limits_hold_the_95_limits_and_the_target(p0: float, n: int) -> None:
    lim = limits(p0, n)
    assert 0.0 <= lim.lower_998 <= lim.lower_95 <= p0 + 1e-15
    assert p0 - 1e-15 <= lim.upper_95 <= lim.upper_998 <= 1.0
