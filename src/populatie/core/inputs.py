"""Everything one municipality's allocation is computed from, in one value that can recompute it.

Sensitivity ("what if this rate were 10 % higher?") and the waterfall between two runs both ask
the allocation the same question many times with one input changed. :class:`AllocationInputs`
holds the inputs exactly as a run used them (counts per unit, rates, base amounts, budgets, the
previous amounts and the damping rules) and :meth:`AllocationInputs.allocate` runs the same steps
in the same order as a run does, so with nothing changed it gives back the run's cents exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from populatie.core.allocation import DomainAllocation, allocate_domain, area_need, need
from populatie.core.damping import DampingBounds, DampingRules
from populatie.errors import AllocationError

__all__ = ["AllocationInputs"]

Cents = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Index = npt.NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class AllocationInputs:
    """One municipality's allocation inputs, for every domain.

    Shapes: ``counts`` (units × indicators), ``unit_area`` (units: area index), ``rates``
    (indicators × domains), ``base_cents`` (domains × areas), ``budget_cents`` (domains),
    ``previous_cents`` (domains × areas, or None without a previous adopted allocation),
    ``young_population`` and ``population`` (areas, or None where not known). The arrays are
    read-only; :meth:`with_` gives a changed copy.
    """

    area_keys: tuple[str, ...]
    indicator_keys: tuple[str, ...]
    domains: tuple[str, ...]
    counts: Floats
    unit_area: Index
    rates: Floats
    base_cents: Cents
    budget_cents: Cents
    previous_cents: Cents | None = None
    young_population: Floats | None = None
    population: Floats | None = None
    rules: DampingBounds | DampingRules | None = None
    unit_keys: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        n_units, n_indicators = self.counts.shape
        areas, domains = len(self.area_keys), len(self.domains)
        expected: dict[str, tuple[npt.NDArray[np.generic] | None, tuple[int, ...]]] = {
            "unit_area": (self.unit_area, (n_units,)),
            "rates": (self.rates, (n_indicators, domains)),
            "base_cents": (self.base_cents, (domains, areas)),
            "budget_cents": (self.budget_cents, (domains,)),
            "previous_cents": (self.previous_cents, (domains, areas)),
            "young_population": (self.young_population, (areas,)),
            "population": (self.population, (areas,)),
        }
        if len(self.indicator_keys) != n_indicators:
            raise AllocationError(
                f"{len(self.indicator_keys)} indicator keys for {n_indicators} indicators"
            )
        for name, (value, shape) in expected.items():
            if value is not None and np.shape(value) != shape:
                raise AllocationError(f"{name} has shape {np.shape(value)}, expected {shape}")
        if self.unit_keys is not None and len(self.unit_keys) != n_units:
            raise AllocationError(f"{len(self.unit_keys)} unit keys for {n_units} units")
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @classmethod
    def build(
        cls,
        *,
        area_keys: Sequence[str],
        indicator_keys: Sequence[str],
        domains: Sequence[str],
        counts: npt.ArrayLike,
        unit_area: npt.ArrayLike,
        rates: npt.ArrayLike,
        base_cents: npt.ArrayLike,
        budget_cents: npt.ArrayLike,
        previous_cents: npt.ArrayLike | None = None,
        young_population: npt.ArrayLike | None = None,
        population: npt.ArrayLike | None = None,
        rules: DampingBounds | DampingRules | None = None,
        unit_keys: Sequence[str] | None = None,
    ) -> AllocationInputs:
        """From anything array-like, with the dtypes fixed (cents stay integers)."""
        return cls(
            area_keys=tuple(area_keys),
            indicator_keys=tuple(indicator_keys),
            domains=tuple(domains),
            counts=np.array(counts, dtype=np.float64),
            unit_area=np.array(unit_area, dtype=np.intp),
            rates=np.array(rates, dtype=np.float64),
            base_cents=_cents(base_cents, "base amounts"),
            budget_cents=_cents(budget_cents, "budgets"),
            previous_cents=None if previous_cents is None else _cents(previous_cents, "previous"),
            young_population=_floats(young_population),
            population=_floats(population),
            rules=rules,
            unit_keys=None if unit_keys is None else tuple(unit_keys),
        )

    def with_(self, **changes: object) -> AllocationInputs:
        """A copy with some inputs replaced (arrays are copied, so the copy is independent)."""
        copied = {k: np.array(v) if isinstance(v, np.ndarray) else v for k, v in changes.items()}
        return dataclasses.replace(self, **copied)  # type: ignore[arg-type]

    def domain_index(self, domain: str) -> int:
        try:
            return self.domains.index(domain)
        except ValueError:
            raise AllocationError(
                f"unknown domain {domain!r}; domains are {self.domains}"
            ) from None

    def area_counts(self) -> Floats:
        """Counts summed per area (areas × indicators)."""
        n = len(self.area_keys)
        if self.counts.shape[1] == 0:
            return np.zeros((n, 0))
        return np.stack(
            [
                np.bincount(self.unit_area, weights=self.counts[:, k], minlength=n)
                for k in range(self.counts.shape[1])
            ],
            axis=1,
        ).astype(np.float64)

    def allocate(
        self,
        *,
        rates: npt.ArrayLike | None = None,
        counts: npt.ArrayLike | None = None,
        domains: Sequence[str] | None = None,
    ) -> dict[str, DomainAllocation]:
        """The allocation per domain, as a run computes it; ``rates``/``counts`` replace the
        stored ones for this call only; ``domains`` limits the domains computed."""
        x = self.counts if counts is None else np.asarray(counts, dtype=np.float64)
        w = self.rates if rates is None else np.asarray(rates, dtype=np.float64)
        unit_need = need(
            x, w, unit_keys=self.unit_keys, indicator_keys=list(self.indicator_keys)
        ).reshape(x.shape[0], len(self.domains))
        per_area = area_need(unit_need, self.unit_area, len(self.area_keys))
        result: dict[str, DomainAllocation] = {}
        for domain in self.domains if domains is None else domains:
            j = self.domain_index(domain)
            if not w[:, j].any() and int(self.budget_cents[j]) > int(self.base_cents[j].sum()):
                raise AllocationError(
                    f"every rate of domain {domain!r} is 0: the formula cannot share its "
                    "budget (it is not split equally); give the domain at least one rate"
                )
            result[domain] = allocate_domain(
                per_area[:, j],
                self.base_cents[j],
                int(self.budget_cents[j]),
                area_keys=self.area_keys,
                previous_cents=None if self.previous_cents is None else self.previous_cents[j],
                bounds=self.rules,
                young_population=self.young_population,
            )
        return result


def _cents(values: npt.ArrayLike, what: str) -> Cents:
    arr = np.array(values)
    if arr.size and arr.dtype.kind not in "iu":
        raise AllocationError(f"{what} must be whole cents, got {arr.dtype}")
    return arr.astype(np.int64)


def _floats(values: npt.ArrayLike | None) -> Floats | None:
    return None if values is None else np.array(values, dtype=np.float64)
