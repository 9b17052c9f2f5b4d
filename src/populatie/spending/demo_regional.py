"""The demo's regional contracts: one per lot of the nine municipalities, ILLUSTRATIVE.

Each buys one segment in the funding form the documents prescribe for it, where they do:

- *output-based per trajectory* for recovery care in segment B: seed 001 ("Voor herstel wordt
  gewerkt met trajectprijzen … Voor segment B wordt gewerkt met een paar trajectprijzen"), paid
  X % at the start and Y % at completion, Y % not after a dropout. The 60/40 split is an
  illustrative choice: the document fixes no percentages.
- *output-based per month* for lasting support: seed 001 ("Voor duurzame ondersteuning wordt
  gewerkt met een maandprijs"). Segment B here is an illustrative choice.
- *task-based* for crisis availability and for the certified institutions (jeugdbescherming,
  jeugdreclassering): seed 001 ("Voor crisis geldt bekostiging van de beschikbaarheidsfunctie
  (taakgericht)"; "De Jeugdbescherming en Jeugdreclassering (GI) worden taakgericht
  gefinancierd"). Segment C is an illustrative choice.
- *effort-based* (P×Q) for segment C: an illustrative choice. Seed 001 says the trajectory
  funding of high-complexity care "moet nog nader bepaald worden"; effort-based is one of the
  three forms it names (inspanningsgericht, outputgericht, taakgericht).

Every tariff, product code, percentage and cost-sharing percentage below is illustrative, not
a figure of record; the contracts' reasons and tariffs say so. Each contract's yearly ceiling
is the adopted specialist allocation of its lot's area, as Den Haag's demo contracts take their
lot's. A trajectory row is one child's trajectory (its assignment), so with the demo's few
thousand rows the trajectory contracts spend far below their ceiling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlmodel import Session, col

from populatie.auth.audit import record_cli_event
from populatie.contracts.service import ContractInput, create_contract, get_contract
from populatie.contracts.tariffs import TariffInput, set_tariff
from populatie.core.funding import expected_cents, instalment_schedule
from populatie.cost_sharing.service import set_cost_sharing
from populatie.districts.models import Municipality
from populatie.registry.models import Lot

__all__ = [
    "REGIONAL",
    "Batch",
    "RegionalPlan",
    "is_regional",
    "regional_rows",
    "register_regional_contract",
]

ILLUSTRATIVE = "illustrative demo contract (synthetic figures, not of record)"


@dataclass(frozen=True)
class RegionalPlan:
    segment: str
    funding_form: str
    # product code → (unit, cents per unit in the first year), illustrative
    tariffs: dict[str, tuple[str, int]]
    start_percent: int | None = None
    instalments: str | None = None
    # the municipalities that share the contract (beside the lot's), and the key they share by
    shared_with: tuple[str, ...] = ()
    key: str | None = None
    fixed_basis_points: dict[str, int] | None = None
    why: str = ""


_TRAJECTORY = {"45A01": ("trajectory", 360_000), "45A02": ("trajectory", 640_000)}
_MONTH = {"45A51": ("month", 115_000), "45A52": ("month", 187_500)}
_EFFORT = {"45C10": ("hour", 9_840), "45C11": ("day", 31_000)}
#: ``shared_with`` of a contract for every municipality of record.
EVERY_MUNICIPALITY = ("*",)

#: The plan per municipality of a regional lot (number 1 of each of the nine).
REGIONAL: dict[str, RegionalPlan] = {
    "GM0503": RegionalPlan(
        "B", "output-based-trajectory", _TRAJECTORY, start_percent=60, why="herstel, seed 001"
    ),
    "GM0603": RegionalPlan("B", "output-based-month", _MONTH, why="duurzaam, seed 001"),
    "GM0629": RegionalPlan(
        "C",
        "task-based",
        {},
        instalments="monthly",
        shared_with=EVERY_MUNICIPALITY,
        key="inhabitants",
        why="crisis availability for the whole region, seed 001",
    ),
    "GM0637": RegionalPlan("C", "effort-based", _EFFORT, why="illustrative choice"),
    "GM1621": RegionalPlan(
        "B", "output-based-trajectory", _TRAJECTORY, start_percent=60, why="herstel, seed 001"
    ),
    "GM1783": RegionalPlan(
        "C",
        "task-based",
        {},
        instalments="quarterly",
        shared_with=("GM1842",),
        key="fixed",
        fixed_basis_points={"GM1783": 7_000, "GM1842": 3_000},
        why="certified institutions (GI), seed 001",
    ),
    "GM1842": RegionalPlan("B", "output-based-month", _MONTH, why="duurzaam, seed 001"),
    "GM1916": RegionalPlan("C", "effort-based", _EFFORT, why="illustrative choice"),
    "GM1926": RegionalPlan(
        "B", "output-based-trajectory", _TRAJECTORY, start_percent=60, why="herstel, seed 001"
    ),
}


def _audit(session: Session, user: str, action: str, target: str, detail: dict[str, Any]) -> None:
    record_cli_event(session, user, action, target, detail)


def is_regional(municipality: str, lot_number: int) -> bool:
    """Whether the lot is one of the regional lots of specialist care (number 1 of each of the
    nine municipalities, config/areas.toml); their lot 2 is their own prevention and access."""
    return municipality in REGIONAL and lot_number == 1


def register_regional_contract(
    session: Session, lot: Lot, lot_ref: str, year: int, ceiling: int, user: str
) -> str:
    """Register the lot's illustrative regional contract with its tariffs and cost-sharing
    key; return its reference. The caller commits."""
    plan = REGIONAL[lot.municipality_code]
    others = plan.shared_with
    if others == EVERY_MUNICIPALITY:
        codes = session.execute(select(col(Municipality.code))).scalars()
        others = tuple(sorted(str(c) for c in codes if c != lot.municipality_code))
    reference = f"DEMO-H10-{lot.municipality_code}-{plan.segment}"
    create_contract(
        session,
        ContractInput(
            reference=reference,
            lot=lot_ref,
            # from the contracts of 1 January 2023 (seed 004) to the last year of the segments
            # A/B/C (seed 001), with the option to extend to 2034 (seed 004)
            starts_on=date(2023, 1, 1),
            ends_on=date(2026, 12, 31),
            extendable_to=date(2034, 12, 31),
            funding_form=plan.funding_form,
            ceilings_cents={year: ceiling},
            indexation_basis_points=250,
            segment=plan.segment,
            product_codes=tuple(sorted(plan.tariffs)),
            municipalities=(lot.municipality_code, *others),
            start_percent=plan.start_percent,
            instalments=plan.instalments,
        ),
        user,
        reason=f"{ILLUSTRATIVE}: {plan.funding_form} for segment {plan.segment} ({plan.why})",
    )
    contract = get_contract(session, reference)
    for product, (unit, cents) in sorted(plan.tariffs.items()):
        set_tariff(
            session,
            contract,
            TariffInput(product_code=product, year=year, unit=unit, tariff_cents=cents),
            user,
            reason=f"{ILLUSTRATIVE}: illustrative tariff",
        )
    if plan.key is not None:
        set_cost_sharing(
            session,
            reference,
            plan.key,
            basis_points=plan.fixed_basis_points,
            municipalities=(
                None if plan.key == "fixed" else sorted((lot.municipality_code, *others))
            ),
            actor=user,
            audit=lambda action, target, detail: _audit(session, user, action, target, detail),
            reason=f"{ILLUSTRATIVE}: illustrative cost-sharing key",
        )
    return reference


@dataclass(frozen=True)
class Batch:
    """Rows of one regional contract, column by column (detail columns by name)."""

    day: npt.NDArray[np.datetime64]
    amount: npt.NDArray[np.int64]
    detail: dict[str, npt.NDArray[np.str_]]


def _quantity_text(hundredths: npt.NDArray[np.int64]) -> npt.NDArray[np.str_]:
    whole, rest = np.divmod(hundredths, 100)
    text = [f"{w}" if not r else f"{w}.{r:02d}" for w, r in zip(whole, rest, strict=True)]
    return np.array(text, dtype=np.str_)


def regional_rows(
    plan: RegionalPlan,
    year: int,
    ceiling: int,
    target: int,
    count: int,
    rng: np.random.Generator,
    days: Callable[[int], npt.NDArray[np.datetime64]],
    assignment_prefix: str,
) -> Batch:
    """The regular rows of one regional contract, each priced as its funding form says: the
    instalments of the schedule (task-based), or quantity × tariff (× the stage's share)."""
    if plan.funding_form == "task-based":
        schedule = instalment_schedule(ceiling, range(1, 13), plan.instalments or "monthly")
        months = sorted(schedule)
        day = np.array([f"{year}-{m:02d}-15" for m in months], dtype="datetime64[D]")
        amount = np.array([schedule[m] for m in months], dtype=np.int64)
        n = day.size
        return Batch(day, amount, {"segment": np.full(n, plan.segment)})
    products = sorted(plan.tariffs)
    which = rng.integers(len(products), size=count)
    unit = np.array([plan.tariffs[p][0] for p in products])[which]
    tariff = np.array([plan.tariffs[p][1] for p in products], dtype=np.int64)[which]
    detail: dict[str, npt.NDArray[np.str_]] = {
        "segment": np.full(count, plan.segment),
        "product_code": np.array(products)[which],
        "unit": unit,
    }
    if plan.funding_form == "output-based-trajectory":
        quantity = np.full(count, 100, dtype=np.int64)
        completion = rng.random(count) < 0.4
        stage = np.where(completion, "completion", "start")
        percent = np.where(completion, 100 - (plan.start_percent or 0), plan.start_percent or 0)
        detail["stage"] = stage
        detail["assignment_reference"] = np.array(
            [f"{assignment_prefix}{i:06d}" for i in range(count)]
        )
    else:
        # quantities (whole months; quarter hours or days) that spend at most about the
        # target over ``count`` rows, in proportion to a random weight
        step = 100 if plan.funding_form == "output-based-month" else 25
        weight = rng.random(count) + 0.5
        steps = np.floor(weight / weight.sum() * target / tariff * 100 / step)
        quantity = np.maximum(steps.astype(np.int64), 1) * step
        percent = np.full(count, 100, dtype=np.int64)
    amount = np.array(
        [
            expected_cents(int(q), int(t), int(p))
            for q, t, p in zip(quantity, tariff, percent, strict=True)
        ],
        dtype=np.int64,
    )
    detail["quantity"] = _quantity_text(quantity)
    return Batch(days(count), amount, detail)
