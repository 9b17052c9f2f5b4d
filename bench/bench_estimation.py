"""How long an estimate with a 1,000-draw bootstrap takes, against the bare ``scipy`` NNLS calls.

Run from the repository root::

    python -m bench.bench_estimation [--units 15000] [--draws 1000] [--seed 2024]
        [--reference-draws N]

The case: 15,000 units (about the number of Dutch neighbourhoods) of different sizes and mixes
and 12 indicators, spend made with known rates plus 10 % noise per unit. "Estimate" is
:func:`populatie.core.estimate_rates` with ``draws`` bootstrap draws: the NNLS fit, R²,
residuals, shares, variance inflation, every draw's rates and the percentile intervals, with all
the validation. "Bare" is what a plain bootstrap costs: ``scipy.optimize.nnls`` on each
resampled array, on the same resamples (the same seed and the same
:func:`~populatie.core.estimation.resample_indices` calls), timing the ``nnls`` calls only, not
the resampling. The ratio estimate/bare says what solving each draw from its cross products
saves (below 1) or costs (above 1). Both must give the same rates; the largest difference is
printed.

"Reduced" times the ``nnls`` calls the estimate itself makes (one per draw, on a 12 × 12
Cholesky factor), for what is left once the cross products are in hand.

The bare loop takes about a minute at 15,000 units; ``--reference-draws`` times fewer of the
same draws and scales up (the figure is then marked as scaled).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.linalg
from scipy.optimize import nnls

from populatie.core.estimation import estimate_rates, resample_indices

N_INDICATORS = 12
TARGET_RATIO = 1.0


def make_case(units: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # Units of different sizes with a different mix: counts vary as districts' do.
    scale = rng.uniform(10, 2_000, size=N_INDICATORS)
    size = rng.uniform(0.2, 3.0, size=(units, 1))
    mix = rng.uniform(0.3, 1.7, size=(units, N_INDICATORS))
    counts = rng.poisson(scale * size * mix).astype(np.float64)
    rates = rng.uniform(0, 500, size=N_INDICATORS)
    rates[rng.choice(N_INDICATORS, 2, replace=False)] = 0.0  # two indicators that do not count
    spend = counts @ rates * (1 + 0.1 * rng.standard_normal(units))
    return counts, spend


def time_estimate(counts: np.ndarray, spend: np.ndarray, draws: int, seed: int) -> float:
    keys = [f"indicator_{k}" for k in range(N_INDICATORS)]
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        estimate_rates(
            counts, spend, indicator_keys=keys, draws=draws, rng=np.random.default_rng(seed)
        )
        best = min(best, time.perf_counter() - start)
    return best


def time_bare(
    counts: np.ndarray, spend: np.ndarray, draws: int, seed: int
) -> tuple[float, np.ndarray]:
    """Seconds spent in ``nnls`` on the first ``draws`` resampled arrays, and their rates."""
    rng = np.random.default_rng(seed)
    spent = 0.0
    rates = np.empty((draws, counts.shape[1]))
    for b in range(draws):
        idx = resample_indices(rng, spend.size)
        x, y = counts[idx], spend[idx]
        start = time.perf_counter()
        rates[b], _ = nnls(x, y, maxiter=50 * counts.shape[1])
        spent += time.perf_counter() - start
    return spent, rates


def time_reduced(counts: np.ndarray, spend: np.ndarray, draws: int, seed: int) -> float:
    """Seconds in the ``nnls`` calls on the K × K factors the estimate solves per draw."""
    rng = np.random.default_rng(seed)
    z = np.column_stack((counts, spend))
    z = z / np.linalg.norm(z, axis=0)
    k = counts.shape[1]
    spent = 0.0
    for _ in range(draws):
        weights = np.bincount(resample_indices(rng, spend.size), minlength=spend.size)
        gram = (z.T * weights) @ z
        lower = np.linalg.cholesky(gram[:k, :k])
        rhs = scipy.linalg.solve_triangular(lower, gram[:k, k], lower=True)
        factor = np.ascontiguousarray(lower.T)
        start = time.perf_counter()
        nnls(factor, rhs, maxiter=50 * k)
        spent += time.perf_counter() - start
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--units", type=int, default=15_000)
    parser.add_argument("--draws", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--reference-draws",
        type=int,
        default=None,
        help="time the bare nnls on this many of the draws and scale up (default: all)",
    )
    args = parser.parse_args(argv)
    reference = min(args.reference_draws or args.draws, args.draws)

    counts, spend = make_case(args.units, args.seed)
    keys = [f"indicator_{k}" for k in range(N_INDICATORS)]
    fit = estimate_rates(
        counts, spend, indicator_keys=keys, draws=args.draws, rng=np.random.default_rng(args.seed)
    )
    assert fit.bootstrap is not None
    ours = time_estimate(counts, spend, args.draws, args.seed)
    bare_part, bare_rates = time_bare(counts, spend, reference, args.seed)
    bare = bare_part * args.draws / reference
    reduced = time_reduced(counts, spend, args.draws, args.seed)
    scale = np.maximum(np.abs(bare_rates), 1e-9 * np.abs(bare_rates).max())
    agreement = float(np.max(np.abs(fit.bootstrap[:reference] - bare_rates) / scale))
    ratio = ours / bare

    scaled = "" if reference == args.draws else f", {reference} timed and scaled up"
    print(
        f"units {args.units}, indicators {N_INDICATORS}, bootstrap draws {args.draws}, "
        f"seed {args.seed}; R² {fit.r_squared:.3f}, collinear {int(fit.collinear.sum())}"
    )
    print(f"estimate with bootstrap:           {ours:8.2f} s (best of 2)")
    print(f"bare nnls on the resampled arrays: {bare:8.2f} s ({args.draws} calls{scaled})")
    print(f"nnls on the reduced 12x12 factors: {reduced:8.2f} s ({args.draws} calls)")
    print(f"ratio estimate/bare:               {ratio:8.3f} x (target < {TARGET_RATIO} x)")
    print(f"largest relative difference of the draws' rates: {agreement:.1e}")
    ok = ratio < TARGET_RATIO and agreement < 1e-6
    print("within target" if ok else "OUTSIDE TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
