"""Estimated rates: recovered from data made with them, reproducible, honest about collinearity."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import nnls

from populatie.core.estimation import (
    bootstrap_rates,
    estimate_rates,
    resample_indices,
    variance_inflation,
)
from populatie.errors import DataError

KEYS = ["young", "low_income", "youth_care", "assistance"]
TRUE_RATES = np.array([120.0, 400.0, 6000.0, 0.0])


def generated(
    units: int = 2000, noise: float = 0.0, seed: int = 7
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Districts with independent-ish counts and spend made with TRUE_RATES (plus noise)."""
    rng = np.random.default_rng(seed)
    size = rng.uniform(0.3, 3.0, units)
    counts = np.column_stack(
        [
            rng.poisson(800 * size),
            rng.poisson(300 * size * rng.uniform(0.2, 1.8, units)),
            rng.poisson(40 * size * rng.uniform(0.1, 2.0, units)),
            rng.poisson(150 * size * rng.uniform(0.2, 1.8, units)),
        ]
    ).astype(float)
    exact = counts @ TRUE_RATES
    spend = exact * (1 + noise * rng.standard_normal(units))
    area = rng.integers(0, 5, units)
    return counts, spend, area


def test_exact_data_gives_back_the_rates_it_was_made_with() -> None:
    counts, spend, _ = generated()
    fit = estimate_rates(counts, spend, indicator_keys=KEYS)
    assert np.allclose(fit.rates, TRUE_RATES, rtol=1e-9, atol=1e-7)
    assert fit.r_squared == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(fit.residuals, 0.0, atol=1e-5 * spend.max())
    assert fit.rates.min() >= 0


def test_noisy_data_gives_the_rates_within_the_stated_tolerance() -> None:
    # 5 % noise per district over 2,000 districts: every rate within 3 % of the truth (the zero
    # rate within 3 % of the largest), and every true rate inside its 95 % interval.
    counts, spend, _ = generated(noise=0.05)
    fit = estimate_rates(
        counts, spend, indicator_keys=KEYS, draws=400, rng=np.random.default_rng(11)
    )
    assert np.allclose(fit.rates, TRUE_RATES, rtol=0.03, atol=0.03 * TRUE_RATES.max() / 100)
    assert fit.ci_low is not None
    assert fit.ci_high is not None
    assert (fit.ci_low <= TRUE_RATES).all()
    assert (fit.ci_high >= TRUE_RATES).all()
    assert (fit.ci_low <= fit.rates).all()
    assert (fit.rates <= fit.ci_high).all()
    assert 0.9 < fit.r_squared < 1.0


def test_rates_are_never_negative() -> None:
    # Spend that falls with an indicator: least squares would give it a negative rate.
    rng = np.random.default_rng(3)
    counts = rng.uniform(1, 100, (500, 2))
    spend = 50 * counts[:, 0] - 10 * counts[:, 1]
    fit = estimate_rates(counts, spend, indicator_keys=["a", "b"])
    assert fit.rates[1] == 0.0
    assert fit.rates[0] > 0
    unconstrained = np.linalg.lstsq(counts, spend, rcond=None)[0]
    assert unconstrained[1] < 0


def test_the_same_seed_gives_identical_results() -> None:
    counts, spend, _ = generated(noise=0.1, units=600)

    def run(seed: int) -> np.ndarray:
        fit = estimate_rates(
            counts, spend, indicator_keys=KEYS, draws=150, rng=np.random.default_rng(seed)
        )
        assert fit.bootstrap is not None
        return fit.bootstrap

    first, again, other = run(5), run(5), run(6)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_every_draw_is_the_nnls_of_its_resampled_arrays() -> None:
    # The bootstrap solves each resample from its cross products; the answer must be the one
    # nnls gives on the resampled rows themselves.
    counts, spend, _ = generated(noise=0.2, units=300)
    draws = bootstrap_rates(counts, spend, 40, np.random.default_rng(2))
    replay = np.random.default_rng(2)
    for row in draws:
        idx = resample_indices(replay, len(spend))
        expected, _ = nnls(counts[idx], spend[idx])
        assert np.allclose(row, expected, rtol=1e-7, atol=1e-7)


def test_degenerate_resamples_are_solved_on_their_rows() -> None:
    # An indicator that is non-zero in only two districts is absent from most resamples: their
    # cross products are singular, and the draw must still be exact.
    counts, spend, _ = generated(noise=0.2, units=200)
    rare = np.zeros(200)
    rare[[3, 150]] = [5.0, 9.0]
    counts = np.column_stack([counts, rare])
    spend = spend + 1000 * rare
    draws = bootstrap_rates(counts, spend, 30, np.random.default_rng(4))
    replay = np.random.default_rng(4)
    for row in draws:
        idx = resample_indices(replay, len(spend))
        expected, _ = nnls(counts[idx], spend[idx])
        assert np.allclose(row, expected, rtol=1e-7, atol=1e-6)


def test_a_bootstrap_needs_a_generator() -> None:
    counts, spend, _ = generated(units=50)
    with pytest.raises(DataError, match="random generator"):
        estimate_rates(counts, spend, indicator_keys=KEYS, draws=10)


def test_fit_shares_and_area_residuals_add_up() -> None:
    counts, spend, area = generated(noise=0.1, units=800)
    fit = estimate_rates(counts, spend, indicator_keys=KEYS, unit_area=area, n_areas=6)
    residuals = spend - counts @ fit.rates
    assert np.allclose(fit.residuals, residuals)
    sst = ((spend - spend.mean()) ** 2).sum()
    assert fit.r_squared == pytest.approx(1 - (residuals**2).sum() / sst)
    assert fit.shares.sum() == pytest.approx(1.0)
    assert fit.shares[2] == pytest.approx(fit.rates[2] * counts[:, 2].sum() / fit.fitted.sum())
    assert fit.area_residuals is not None
    assert fit.area_spend is not None
    assert fit.area_residuals.shape == (6,)
    for a in range(5):
        assert fit.area_residuals[a] == pytest.approx(residuals[area == a].sum())
    assert fit.area_residuals[5] == 0.0
    assert fit.area_spend.sum() == pytest.approx(spend.sum())


def test_variance_inflation_matches_its_definition_and_flags_collinearity() -> None:
    rng = np.random.default_rng(9)
    a = rng.normal(100, 10, 1000)
    b = rng.normal(50, 5, 1000)
    c = a + 0.05 * rng.normal(0, 10, 1000)  # nearly a
    x = np.column_stack([a, b, c])
    vif = variance_inflation(x)
    for k in range(3):
        others = np.column_stack([np.ones(1000), np.delete(x, k, axis=1)])
        coef = np.linalg.lstsq(others, x[:, k], rcond=None)[0]
        resid = x[:, k] - others @ coef
        r2 = 1 - (resid @ resid) / ((x[:, k] - x[:, k].mean()) ** 2).sum()
        assert vif[k] == pytest.approx(1 / (1 - r2), rel=1e-6)
    assert vif[1] < 1.1
    assert vif[0] > 10
    assert vif[2] > 10
    fit = estimate_rates(np.abs(x), np.abs(x) @ [1.0, 2.0, 3.0], indicator_keys=["a", "b", "c"])
    assert fit.collinear.tolist() == [True, False, True]


def test_exact_combinations_are_infinite_and_constants_are_not_collinear() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0, 10, 100), rng.uniform(0, 10, 100)
    vif = variance_inflation(np.column_stack([a, b, a + 2 * b, np.full(100, 4.0)]))
    assert np.isinf(vif[:3]).all()
    assert np.isnan(vif[3])
    assert variance_inflation(np.column_stack([a])).tolist() == [1.0]
    fit = estimate_rates(np.column_stack([a, np.full(100, 4.0)]), a, indicator_keys=["a", "c"])
    assert fit.collinear.tolist() == [False, False]


def test_bad_inputs_are_named() -> None:
    counts, spend, _ = generated(units=20)
    bad = counts.copy()
    bad[4, 2] = np.nan
    with pytest.raises(DataError, match="'youth_care' in unit #4 is nan"):
        estimate_rates(bad, spend, indicator_keys=KEYS)
    bad[4, 2] = -1
    with pytest.raises(DataError, match=r"is -1\.0"):
        estimate_rates(bad, spend, indicator_keys=KEYS)
    with pytest.raises(DataError, match="spend of unit #0 is inf"):
        estimate_rates(counts, np.r_[np.inf, spend[1:]], indicator_keys=KEYS)
    with pytest.raises(DataError, match="3 indicator keys for 4"):
        estimate_rates(counts, spend, indicator_keys=KEYS[:3])
    with pytest.raises(DataError, match="level"):
        estimate_rates(counts, spend, indicator_keys=KEYS, level=1.0)
