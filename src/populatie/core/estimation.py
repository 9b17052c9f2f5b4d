"""Estimating the rates from spending: non-negative least squares, and how sure we can be.

A planner who asks "what does the spending of last year say the rates should be?" gets the rates
``w >= 0`` that minimise ``Σ_u (spend_u - Σ_k w_k · x_uk)²`` over the units (districts), by
``scipy.optimize.nnls``, together with what is needed to judge them:

- **fit**: R² (``1 - SSR / SST``, SST around the mean spend; the model has no intercept, so a fit
  worse than the mean gives a negative R²), residuals per unit and summed per area;
- **shares**: each indicator's part of the fitted total, ``w_k · Σ_u x_uk / Σ_u fitted_u``;
- **uncertainty**: bootstrap percentile intervals for every rate (units resampled with
  replacement, ``draws`` times, from the generator the caller passes in, so the same seed gives
  the same intervals to the last bit);
- **collinearity**: the variance inflation factor of every indicator (``1 / (1 - R²_k)`` of the
  indicator regressed on the others, with an intercept), flagged above a threshold: indicators
  that move together (young people and households with children) cannot be told apart by the
  data, and their rates trade off freely.

The bootstrap does not call ``nnls`` on each resampled 15,000-row array. A resample is fully
described by how often each unit was drawn (``c_u``), and the least-squares objective of the
resample is ``Σ_u c_u (y_u - x_u·w)²``, which depends on the data only through the weighted cross
products ``Σ_u c_u z_u z_uᵀ`` (``z = [x, y]``, columns scaled to unit norm for conditioning).
Those come for a whole block of draws from one matrix product, and each draw is then a ``nnls``
on its ``K × K`` Cholesky factor: the same minimiser, at a fraction of the cost. A draw whose
cross products are too ill-conditioned for that (a resample where an indicator is all zero, or
nearly collinear) is solved on its resampled rows instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.linalg
from scipy.optimize import nnls

from populatie.errors import DataError

__all__ = [
    "Estimate",
    "bootstrap_rates",
    "estimate_rates",
    "resample_indices",
    "variance_inflation",
]

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

#: A draw whose Cholesky factor has a diagonal ratio below this is solved on its rows.
_CONDITION_FLOOR = 1e-7
#: Draws per block of the cross-product matrix product (memory: block × units floats).
_BLOCK = 64


@dataclass(frozen=True, eq=False)
class Estimate:
    """Fitted rates and everything needed to judge them. The arrays are read-only.

    Per indicator (``indicator_keys`` order): ``rates``, ``shares``, ``vif``, ``collinear``,
    ``ci_low``/``ci_high`` (None without bootstrap). Per unit: ``fitted``, ``residuals``
    (``spend - fitted``). Per area (None without an area index): ``area_spend``,
    ``area_fitted``, ``area_residuals``. ``bootstrap`` holds every draw's rates (draws × K).
    """

    indicator_keys: tuple[str, ...]
    rates: Floats
    fitted: Floats
    residuals: Floats
    r_squared: float
    shares: Floats
    vif: Floats
    collinear: Bools
    vif_threshold: float
    level: float
    bootstrap: Floats | None
    ci_low: Floats | None
    ci_high: Floats | None
    area_spend: Floats | None
    area_fitted: Floats | None
    area_residuals: Floats | None

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @property
    def draws(self) -> int:
        return 0 if self.bootstrap is None else int(self.bootstrap.shape[0])


def estimate_rates(
    counts: npt.ArrayLike,
    spend: npt.ArrayLike,
    *,
    indicator_keys: Sequence[str],
    unit_area: npt.ArrayLike | None = None,
    n_areas: int | None = None,
    draws: int = 0,
    rng: np.random.Generator | None = None,
    level: float = 0.95,
    vif_threshold: float = 10.0,
) -> Estimate:
    """Non-negative rates per indicator from spend per unit, with fit, shares, VIF, intervals.

    ``counts`` is (units, indicators), ``spend`` (units,) in the unit the rates should have
    (euro gives euro per unit). ``draws > 0`` needs ``rng``: randomness is passed in, never
    created here, so a result can always be reproduced. ``unit_area`` (area index per unit,
    0..n_areas-1) adds the residuals summed per area.
    """
    x, y = _validated(counts, spend, indicator_keys)
    if not 0 < level < 1:
        raise DataError(f"confidence level must lie between 0 and 1, got {level}")
    if draws < 0:
        raise DataError(f"the number of bootstrap draws cannot be negative, got {draws}")
    if draws and rng is None:
        raise DataError("a bootstrap needs a random generator (pass a seeded one)")

    rates = _nnls(x, y)
    fitted: Floats = x @ rates
    residuals: Floats = y - fitted
    sst = float(np.sum((y - y.mean()) ** 2))
    ssr = float(residuals @ residuals)
    r_squared = 1.0 - ssr / sst if sst > 0 else float("nan")
    per_indicator = rates * x.sum(axis=0)
    fitted_total = float(per_indicator.sum())
    shares = per_indicator / fitted_total if fitted_total > 0 else np.zeros_like(rates)
    vif = variance_inflation(x)

    boot = ci_low = ci_high = None
    if draws:
        assert rng is not None
        boot = bootstrap_rates(x, y, draws, rng)
        tail = (1.0 - level) / 2.0
        ci_low, ci_high = np.quantile(boot, [tail, 1.0 - tail], axis=0)

    area_spend = area_fitted = area_residuals = None
    if unit_area is not None:
        index = np.asarray(unit_area)
        if index.shape != y.shape or (index.size and index.dtype.kind not in "iu"):
            raise DataError(f"unit areas {index.shape} must be integer indices, one per unit")
        size = int(n_areas if n_areas is not None else (index.max() + 1 if index.size else 0))
        if index.size and (index.min() < 0 or index.max() >= size):
            raise DataError(f"an area index lies outside 0..{size - 1}")
        area_spend = np.bincount(index, weights=y, minlength=size).astype(np.float64)
        area_fitted = np.bincount(index, weights=fitted, minlength=size).astype(np.float64)
        area_residuals = area_spend - area_fitted

    with np.errstate(invalid="ignore"):
        collinear = np.nan_to_num(vif, nan=0.0) > vif_threshold
    return Estimate(
        indicator_keys=tuple(indicator_keys),
        rates=rates,
        fitted=fitted,
        residuals=residuals,
        r_squared=r_squared,
        shares=shares,
        vif=vif,
        collinear=collinear,
        vif_threshold=float(vif_threshold),
        level=float(level),
        bootstrap=boot,
        ci_low=ci_low,
        ci_high=ci_high,
        area_spend=area_spend,
        area_fitted=area_fitted,
        area_residuals=area_residuals,
    )


def resample_indices(rng: np.random.Generator, units: int) -> npt.NDArray[np.int64]:
    """One bootstrap resample: ``units`` unit indices drawn with replacement.

    The bootstrap draws its resamples with exactly this call, one after the other, so anyone
    holding a generator in the same state can rebuild the same resampled arrays (the benchmark
    does, to time the bare ``nnls`` on them).
    """
    return rng.integers(0, units, size=units)


def bootstrap_rates(
    counts: npt.ArrayLike, spend: npt.ArrayLike, draws: int, rng: np.random.Generator
) -> Floats:
    """The NNLS rates of ``draws`` resamples of the units (draws × indicators).

    Each draw is the exact minimiser for its resample (see the module docstring for how it is
    computed without the resampled arrays); draws are taken from ``rng`` in order with
    :func:`resample_indices`.
    """
    x = np.asarray(counts, dtype=np.float64)
    y = np.asarray(spend, dtype=np.float64)
    n, k = x.shape
    result = np.zeros((draws, k))
    if draws == 0 or n == 0:
        return result
    # Indicators that are zero everywhere are zero in every resample: their rate is 0 and they
    # would only make every cross-product matrix singular.
    live = np.flatnonzero(np.abs(x).sum(axis=0) > 0)
    z = np.column_stack((x[:, live], y))
    scale = np.linalg.norm(z, axis=0)
    scale[scale == 0] = 1.0
    z = z / scale
    m = live.size
    rows, cols = np.triu_indices(m + 1)
    # Every cross product of every unit, laid out (products × units) so that one block of draws
    # is a single well-shaped matrix product.
    products = np.ascontiguousarray((z[:, rows] * z[:, cols]).T)
    gram = np.empty((m + 1, m + 1))
    weights = np.empty((_BLOCK, n))
    for start in range(0, draws, _BLOCK):
        stop = min(start + _BLOCK, draws)
        for j in range(stop - start):
            weights[j] = np.bincount(resample_indices(rng, n), minlength=n)
        blocks = products @ weights[: stop - start].T
        for j in range(stop - start):
            gram[rows, cols] = blocks[:, j]
            gram[cols, rows] = blocks[:, j]
            solution = _solve_normal(gram, m)
            if solution is None:
                solution = _solve_rows(z, weights[j], m)
            result[start + j, live] = solution * (scale[m] / scale[:m])
    return result


def _solve_normal(gram: Floats, m: int) -> Floats | None:
    """NNLS from the cross products: ``min ||Lᵀw - L⁻¹b||`` has the least-squares minimiser of
    the resample (``L Lᵀ = XᵀWX``, ``b = XᵀWy``); None when ``XᵀWX`` is too ill-conditioned."""
    try:
        lower = np.asarray(np.linalg.cholesky(gram[:m, :m]), dtype=np.float64)
    except np.linalg.LinAlgError:
        return None
    diagonal = np.abs(np.diag(lower))
    if m and diagonal.min() <= _CONDITION_FLOOR * diagonal.max():
        return None
    rhs = scipy.linalg.solve_triangular(lower, gram[:m, m], lower=True, check_finite=False)
    return _nnls(np.ascontiguousarray(lower.T), np.asarray(rhs, dtype=np.float64))


def _solve_rows(z: Floats, weights: Floats, m: int) -> Floats:
    drawn = np.flatnonzero(weights)
    root = np.sqrt(weights[drawn])[:, None]
    rows = z[drawn] * root
    return _nnls(rows[:, :m], rows[:, m])


def _nnls(a: Floats, b: Floats) -> Floats:
    if a.shape[1] == 0:
        return np.zeros(0)
    # The default iteration limit (3 × columns) is ample for well-posed problems; collinear
    # indicators can need more, and an estimate must not fail where a slower one succeeds.
    solution, _ = nnls(a, b, maxiter=50 * a.shape[1])
    return np.asarray(solution, dtype=np.float64)


def variance_inflation(counts: npt.ArrayLike) -> Floats:
    """Per indicator ``1 / (1 - R²_k)``, R²_k of the indicator regressed on all the others and
    an intercept. 1 means unrelated to the others; above 10 is the usual sign of an indicator
    the data cannot tell apart from the others. ``inf`` where it is an exact combination of
    them, NaN where it does not vary at all (then it is not collinear, only constant).

    Read off the inverse of the correlation matrix (its diagonal is exactly the VIF); where that
    matrix is too ill-conditioned to invert reliably, each indicator is regressed on the others.
    """
    x = np.asarray(counts, dtype=np.float64)
    k = x.shape[1]
    result = np.ones(k)
    if k < 2:
        return result
    centred = x - x.mean(axis=0)
    spread = np.sqrt(np.einsum("ij,ij->j", centred, centred))
    varies = spread > 0
    result[~varies] = np.nan
    if varies.sum() < 2:
        return result
    standard = centred[:, varies] / spread[varies]
    correlation = standard.T @ standard
    if np.linalg.cond(correlation) < 1e10:
        result[varies] = np.diag(np.linalg.inv(correlation))
        return result
    columns = np.flatnonzero(varies)
    for j, i in enumerate(columns.tolist()):
        target = standard[:, j]
        others = np.delete(standard, j, axis=1)
        coef, *_ = np.linalg.lstsq(others, target, rcond=None)
        residual = target - others @ coef
        unexplained = float(residual @ residual)  # the target has unit norm
        result[i] = np.inf if unexplained <= 1e-12 else 1.0 / unexplained
    return result


def _validated(
    counts: npt.ArrayLike, spend: npt.ArrayLike, indicator_keys: Sequence[str]
) -> tuple[Floats, Floats]:
    x = np.asarray(counts, dtype=np.float64)
    y = np.asarray(spend, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise DataError(
            f"counts {x.shape} and spend {y.shape} must be (units, indicators), (units,)"
        )
    if len(indicator_keys) != x.shape[1]:
        raise DataError(f"{len(indicator_keys)} indicator keys for {x.shape[1]} indicators")
    if x.shape[0] == 0:
        raise DataError("no units to estimate from")
    if x.shape[1] == 0:
        raise DataError("no indicators to estimate rates for")
    if not (np.isfinite(x).all() and x.min() >= 0):
        u, k = (int(v) for v in np.argwhere(~(np.isfinite(x) & (x >= 0)))[0])
        raise DataError(
            f"count of indicator {indicator_keys[k]!r} in unit #{u} is {float(x[u, k])}; "
            "counts must be finite and >= 0"
        )
    if not np.isfinite(y).all():
        bad = int(np.flatnonzero(~np.isfinite(y))[0])
        raise DataError(f"spend of unit #{bad} is {float(y[bad])}")
    return x, y
