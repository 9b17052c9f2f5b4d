"""Why an area's amount changed: four parts that add up to the change, to the cent.

The change against the previous adopted allocation is walked through a chain of counterfactual
allocations, each the new budget (or the old one) split over the areas by a different rule::

    S0  the previous amounts                                   (total B0)
    S1  the previous amounts scaled to the new total B1         budget-total effect = S1 - S0
    S2  B1 split by previous · population / previous population population effect   = S2 - S1
    S3  B1 split by the undamped targets                        need-mix effect     = S3 - S2
        the allocated amounts                                   damping effect      = amount - S3

Every state is a whole-cent split by :func:`~populatie.core.money.split_cents`, so each part is
a whole number of cents and the parts telescope: previous + the four effects == amount, exactly,
for every area. The damping effect also carries the sub-cent rounding of the final amounts.

When there was no previous budget at all (B0 == 0) there is no shape to scale: we take
S1 = S2 = S3, so the whole new amount is budget-total effect split by the targets, and the
population and need-mix effects are 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from populatie.core.money import exact_sum, split_cents
from populatie.errors import AllocationError

__all__ = ["ChangeExplanation", "explain_change"]

Cents = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ChangeExplanation:
    """Per area: ``previous + budget + population + need_mix + damping == amount`` exactly.

    The arrays are read-only.
    """

    previous_cents: Cents
    amount_cents: Cents
    budget_effect_cents: Cents
    population_effect_cents: Cents
    need_mix_effect_cents: Cents
    damping_effect_cents: Cents

    def __post_init__(self) -> None:
        for value in vars(self).values():
            value.setflags(write=False)

    @property
    def change_cents(self) -> Cents:
        return self.amount_cents - self.previous_cents


def explain_change(
    previous_cents: npt.ArrayLike,
    previous_population: npt.ArrayLike,
    population: npt.ArrayLike,
    target_cents: npt.ArrayLike,
    amount_cents: npt.ArrayLike,
    *,
    area_keys: Sequence[str],
) -> ChangeExplanation:
    """Split each area's change into budget-total, population, need-mix and damping effects.

    ``previous_cents`` is 0 for an area without a previous amount; ``target_cents`` are the
    undamped formula targets of the new allocation and ``amount_cents`` its final amounts.
    An area with no previous population (or no previous amount) keeps growth factor 1: there is
    no earlier population to compare with.
    """
    n = len(area_keys)
    previous = _cents(previous_cents, n, "previous amounts")
    amount = _cents(amount_cents, n, "amounts")
    old_pop = _counts(previous_population, n, "previous population")
    new_pop = _counts(population, n, "population")
    target = _counts(target_cents, n, "targets")

    new_total = exact_sum(amount)
    s0 = previous
    s3 = split_cents(new_total, target, area_keys)
    if exact_sum(previous) == 0:
        s1 = s2 = s3
    else:
        s1 = split_cents(new_total, previous, area_keys)
        growth = np.ones(n)
        known = (old_pop > 0) & (previous > 0)
        with np.errstate(over="ignore"):
            growth[known] = new_pop[known] / old_pop[known]
            weights = previous * growth
        if not np.isfinite(weights).all():
            bad = int(np.flatnonzero(~np.isfinite(weights))[0])
            raise AllocationError(
                f"the population of area {area_keys[bad]!r} grew from {float(old_pop[bad])} "
                f"to {float(new_pop[bad])}: too large a factor to weigh"
            )
        s2 = split_cents(new_total, weights, area_keys)
    return ChangeExplanation(
        previous_cents=previous,
        amount_cents=amount,
        budget_effect_cents=s1 - s0,
        population_effect_cents=s2 - s1,
        need_mix_effect_cents=s3 - s2,
        damping_effect_cents=amount - s3,
    )


def _cents(values: npt.ArrayLike, n: int, what: str) -> Cents:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise AllocationError(f"{what} have shape {arr.shape}, expected ({n},) like the area keys")
    if n and arr.dtype.kind not in "iu":
        raise AllocationError(f"{what} must be whole cents, got {arr.dtype}")
    arr = arr.astype(np.int64)
    if n and arr.min() < 0:
        raise AllocationError(f"{what} at index {int(np.argmin(arr))} is negative")
    return arr


def _counts(values: npt.ArrayLike, n: int, what: str) -> Floats:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise AllocationError(f"{what} have shape {arr.shape}, expected ({n},) like the area keys")
    if n and not (arr.min() >= 0 and arr.max() < np.inf):
        bad = int(np.flatnonzero(~(np.isfinite(arr) & (arr >= 0)))[0])
        raise AllocationError(f"{what} at index {bad} is {float(arr[bad])}")
    return arr
