"""Why an area's amount differs between two runs: a waterfall of parts that add up to the cent.

Any two allocations of the same areas (another year, another scenario, new figures) are
connected by a chain of counterfactual allocations, each changing one input of run A into run
B's, in this order::

    amount A                         the stored amounts of run A
      rounding (A)                   ... to a plain whole-cent split of A's exact damped amounts
      damping (A, undone)            ... to a whole-cent split of A's undamped targets
      budget                         B's budget total instead of A's
      base                           B's base amounts (applied before the budget when A's base
                                     amounts would not fit in B's budget)
      population                     every area's counts scaled by its population growth
      count:<indicator>              one indicator at a time, B's counts (what population
                                     growth does not explain: a changing mix)
      rate:<indicator>               one indicator at a time, B's rates
      damping (B)                    ... B's targets to a split of B's exact damped amounts
      rounding (B)                   ... to B's stored amounts
    amount B

Every state is a whole-cent split of its exact values by :func:`~populatie.core.money.split_cents`,
so each part is a whole number of cents and the parts telescope: ``amount A + Σ parts ==
amount B`` for every area, exactly. The budget part adds up (over the areas) to the change in
the budget total; every other part adds up to 0: it only moves money between areas. Damping and
rounding each appear once, as B's minus A's. Rounding is what whole cents under damping bounds
and ties decide beyond a plain split: mostly 0, at most a few cents.

The order matters for how a change is shared between steps that interact (a rate change is
worth more where counts grew); it is fixed and documented rather than averaged, so a planner can
retrace every part by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from populatie.core.allocation import targets
from populatie.core.inputs import AllocationInputs
from populatie.core.money import split_cents
from populatie.errors import AllocationError

__all__ = ["FOUR_PARTS", "Waterfall", "combine", "four_parts", "waterfall"]

#: The four parts of the explanation stored with a run (and shown by ``populatie explain``
#: beside the full chain), each a sum of steps of the one waterfall.
FOUR_PARTS: tuple[str, ...] = ("budget", "population", "need_mix", "damping")

Cents = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Waterfall:
    """One domain's (or the combined) waterfall: ``start + Σ parts == end`` per area, exactly.

    ``parts`` is (steps × areas), in the order of ``steps``. The arrays are read-only.
    """

    domain: str
    area_keys: tuple[str, ...]
    steps: tuple[str, ...]
    start_cents: Cents
    end_cents: Cents
    parts: Cents

    def __post_init__(self) -> None:
        for value in (self.start_cents, self.end_cents, self.parts):
            value.setflags(write=False)

    @property
    def change_cents(self) -> Cents:
        return self.end_cents - self.start_cents

    def part(self, step: str) -> Cents:
        if step not in self.steps:
            raise AllocationError(f"no step {step!r} in this waterfall")
        row: Cents = self.parts[self.steps.index(step)]
        return row


def waterfall(
    a: AllocationInputs,
    b: AllocationInputs,
    *,
    amount_a: Mapping[str, npt.ArrayLike] | None = None,
    amount_b: Mapping[str, npt.ArrayLike] | None = None,
) -> dict[str, Waterfall]:
    """The waterfall from allocation A to allocation B, per domain.

    Both must divide the same areas (same keys, same order) over the same domains; the units
    and indicators may differ (counts are compared per area; an indicator only one side knows
    takes the other side's counts, so dropping it from the model is a rate change, not a count
    change). ``amount_a``/``amount_b`` are the stored amounts per domain (default: recomputed
    from the inputs). Population growth needs ``population`` on both sides; without it the
    population part is 0 and the counts' own steps carry the change.
    """
    if a.area_keys != b.area_keys:
        raise AllocationError(
            f"the runs divide different areas: {', '.join(a.area_keys)} against "
            f"{', '.join(b.area_keys)}"
        )
    if a.domains != b.domains:
        raise AllocationError(f"the runs have different domains: {a.domains} and {b.domains}")
    keys = list(a.area_keys)
    indicators = sorted(set(a.indicator_keys) | set(b.indicator_keys))
    counts_a, counts_b = _union_counts(a, b, indicators), _union_counts(b, a, indicators)
    rates_a, rates_b = _union_rates(a, indicators), _union_rates(b, indicators)
    growth = np.ones(len(keys))
    if a.population is not None and b.population is not None:
        known = a.population > 0
        with np.errstate(over="ignore"):
            growth[known] = b.population[known] / a.population[known]
        if not np.isfinite(growth).all():
            bad = int(np.flatnonzero(~np.isfinite(growth))[0])
            raise AllocationError(
                f"the population of area {keys[bad]!r} grew from {float(a.population[bad])} "
                f"to {float(b.population[bad])}: too large a factor to weigh"
            )
    steps = (
        "budget",
        "base",
        "population",
        *(f"count:{k}" for k in indicators),
        *(f"rate:{k}" for k in indicators),
        "damping",
        "rounding",
    )
    allocated_a, allocated_b = a.allocate(), b.allocate()
    result: dict[str, Waterfall] = {}
    for j, domain in enumerate(a.domains):
        start = _stored(amount_a, domain, allocated_a[domain].amount_cents, len(keys))
        end = _stored(amount_b, domain, allocated_b[domain].amount_cents, len(keys))
        exact_a = allocated_a[domain].exact_cents
        exact_b = allocated_b[domain].exact_cents
        assert exact_a is not None
        assert exact_b is not None
        parts = {step: np.zeros(len(keys), dtype=np.int64) for step in steps}

        budget_a, budget_b = int(a.budget_cents[j]), int(b.budget_cents[j])
        state = _State(keys, budget_a, a.base_cents[j], counts_a.copy(), rates_a[:, j].copy())
        settled_a = split_cents(budget_a, exact_a, keys)
        parts["rounding"] += settled_a - start
        parts["damping"] += state.cents - settled_a

        # The base amounts must fit in the budget at every state: move the base first when A's
        # base amounts would not fit in B's budget (then B's fit in A's: both orders cannot fail).
        order = ["budget", "base"] if int(a.base_cents[j].sum()) <= budget_b else ["base", "budget"]
        for step in order:
            if step == "budget":
                parts["budget"] += state.move(budget=budget_b)
            else:
                parts["base"] += state.move(base=b.base_cents[j])
        parts["population"] += state.move(counts=counts_a * growth[:, None])
        for k, name in enumerate(indicators):
            counts = state.counts.copy()
            counts[:, k] = counts_b[:, k]
            parts[f"count:{name}"] += state.move(counts=counts)
        for k, name in enumerate(indicators):
            rates = state.rates.copy()
            rates[k] = rates_b[k, j]
            parts[f"rate:{name}"] += state.move(rates=rates)

        settled_b = split_cents(budget_b, exact_b, keys)
        parts["damping"] += settled_b - state.cents
        parts["rounding"] += end - settled_b
        result[domain] = Waterfall(
            domain=domain,
            area_keys=tuple(keys),
            steps=steps,
            start_cents=start,
            end_cents=end,
            parts=np.stack([parts[s] for s in steps]),
        )
    return result


def four_parts(w: Waterfall) -> dict[str, Cents]:
    """The waterfall's steps summed into the four parts of :data:`FOUR_PARTS`, per area.

    ``budget`` is the budget total and the base amounts (a base amount that stays while the
    budget moves dilutes every share: a budget effect, not a change of need); ``population``
    the population step; ``need_mix`` every count and rate step; ``damping`` both damping
    steps and both rounding steps (this run's damping less the one it started from). They
    add up to the change exactly, because the steps do.
    """
    groups: dict[str, list[int]] = {name: [] for name in FOUR_PARTS}
    for s, step in enumerate(w.steps):
        if step in ("budget", "base"):
            groups["budget"].append(s)
        elif step == "population":
            groups["population"].append(s)
        elif step in ("damping", "rounding"):
            groups["damping"].append(s)
        else:
            groups["need_mix"].append(s)
    zero = np.zeros(len(w.area_keys), dtype=np.int64)
    return {
        name: (w.parts[rows].sum(axis=0).astype(np.int64) if rows else zero.copy())
        for name, rows in groups.items()
    }


def combine(parts: Mapping[str, Waterfall], name: str = "total") -> Waterfall:
    """The sum of several domains' waterfalls of the same areas and steps."""
    items = list(parts.values())
    if not items:
        raise AllocationError("nothing to combine")
    first = items[0]
    for other in items[1:]:
        if other.area_keys != first.area_keys or other.steps != first.steps:
            raise AllocationError("waterfalls of different areas or steps cannot be combined")
    return Waterfall(
        domain=name,
        area_keys=first.area_keys,
        steps=first.steps,
        start_cents=np.sum([w.start_cents for w in items], axis=0).astype(np.int64),
        end_cents=np.sum([w.end_cents for w in items], axis=0).astype(np.int64),
        parts=np.sum([w.parts for w in items], axis=0).astype(np.int64),
    )


class _State:
    """One counterfactual allocation: its inputs, and its targets split to whole cents."""

    def __init__(
        self, keys: list[str], budget: int, base: Cents, counts: Floats, rates: Floats
    ) -> None:
        self.keys = keys
        self.budget = budget
        self.base = np.array(base, dtype=np.int64)
        self.counts = counts
        self.rates = rates
        self.cents = self._split()

    def _split(self) -> Cents:
        need = self.counts @ self.rates if self.counts.shape[1] else np.zeros(len(self.keys))
        target = targets(need, self.base, self.budget, equal_without_need=True)
        return split_cents(self.budget, target, self.keys)

    def move(
        self,
        *,
        budget: int | None = None,
        base: Cents | None = None,
        counts: Floats | None = None,
        rates: Floats | None = None,
    ) -> Cents:
        """Change one input; return the change in whole cents it makes to every area."""
        if budget is not None:
            self.budget = budget
        if base is not None:
            self.base = np.array(base, dtype=np.int64)
        if counts is not None:
            self.counts = counts
        if rates is not None:
            self.rates = rates
        before = self.cents
        self.cents = self._split()
        return self.cents - before


def _union_counts(side: AllocationInputs, other: AllocationInputs, names: list[str]) -> Floats:
    own, theirs = side.area_counts(), other.area_counts()
    columns = []
    for name in names:
        if name in side.indicator_keys:
            columns.append(own[:, side.indicator_keys.index(name)])
        else:
            columns.append(theirs[:, other.indicator_keys.index(name)])
    if not columns:
        return np.zeros((len(side.area_keys), 0))
    return np.stack(columns, axis=1)


def _union_rates(side: AllocationInputs, names: list[str]) -> Floats:
    rates = np.zeros((len(names), len(side.domains)))
    for k, name in enumerate(names):
        if name in side.indicator_keys:
            rates[k] = side.rates[side.indicator_keys.index(name)]
    return rates


def _stored(
    amounts: Mapping[str, npt.ArrayLike] | None, domain: str, default: Cents, n: int
) -> Cents:
    if amounts is None:
        return default.astype(np.int64)
    arr = np.asarray(amounts[domain])
    if arr.shape != (n,) or (n and arr.dtype.kind not in "iu"):
        raise AllocationError(f"stored amounts of {domain} must be {n} whole-cent values")
    return arr.astype(np.int64)
