"""The weights of the cost-sharing keys that are read from the data, per municipality.

- ``inhabitants``: the sum over the municipality's districts of record of the population figure
  (``population_indicator`` of the configuration) of the newest loaded vintage;
- ``need``: the allocation model's need at municipality level: the municipality's own model
  (its rates and indicators, as an allocation run uses them) applied to its districts' counts
  and summed over the districts (one area holding them all), for the given domains;
- ``use``: the municipality's spending on the contract (its reference, or its lot's reference
  in the months the contract is in force) in the year up to a month.

A figure that is not there is an error that names the district, never a zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.configuration import DOMAINS, RegionConfig
from populatie.contracts.models import Contract
from populatie.contracts.service import lot_reference
from populatie.core.allocation import area_need, need
from populatie.core.reconciliation import months_in_force
from populatie.districts.models import District, IndicatorFigure
from populatie.errors import MissingFigureError
from populatie.registry.models import Lot
from populatie.spending.models import SpendingMonth

__all__ = ["inhabitants", "need_weights", "use"]


def _districts(session: Session, codes: Sequence[str]) -> dict[str, list[str]]:
    rows = session.execute(
        select(col(District.code), col(District.municipality_code)).where(
            col(District.municipality_code).in_(list(codes))
        )
    )
    districts: dict[str, list[str]] = {code: [] for code in codes}
    for district, municipality in rows:
        districts[str(municipality)].append(str(district))
    empty = [code for code, ds in districts.items() if not ds]
    if empty:
        raise MissingFigureError(
            f"no districts of record for {', '.join(sorted(empty))}: load the district data "
            "(`populatie load`) before sharing by inhabitants or need"
        )
    return {code: sorted(ds) for code, ds in districts.items()}


def _figures(
    session: Session, districts: Sequence[str], indicators: Sequence[str]
) -> dict[tuple[str, str], float]:
    vintage = session.execute(select(func.max(District.vintage))).scalar_one()
    rows = session.execute(
        select(
            col(IndicatorFigure.district_code),
            col(IndicatorFigure.indicator),
            col(IndicatorFigure.value),
        )
        .where(col(IndicatorFigure.vintage) == vintage)
        .where(col(IndicatorFigure.district_code).in_(list(districts)))
        .where(col(IndicatorFigure.indicator).in_(list(indicators)))
    )
    return {(str(d), str(k)): float(v) for d, k, v in rows}


def _counts(
    session: Session, districts: Sequence[str], indicators: Sequence[str]
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Districts × indicators; an absent figure is NaN, which the core refuses by name."""
    found = _figures(session, districts, indicators)
    return np.array(
        [[found.get((d, k), np.nan) for k in indicators] for d in districts], dtype=np.float64
    ).reshape(len(districts), len(indicators))


def inhabitants(
    session: Session, codes: Sequence[str], config: RegionConfig
) -> dict[str, int | float]:
    indicator = config.population_indicator
    weights: dict[str, int | float] = {}
    for code, districts in _districts(session, codes).items():
        counts = _counts(session, districts, [indicator])
        missing = [d for d, value in zip(districts, counts[:, 0], strict=True) if np.isnan(value)]
        if missing:
            raise MissingFigureError(
                f"no figure {indicator} for district {missing[0]} of {code}: the key "
                "inhabitants cannot count them",
                details=[{"unit": d, "indicator": indicator} for d in missing],
            )
        total = float(counts[:, 0].sum())
        weights[code] = int(total) if total.is_integer() else total
    return weights


def need_weights(
    session: Session, codes: Sequence[str], config: RegionConfig, domains: Sequence[str]
) -> dict[str, int | float]:
    """Each municipality's need in euro for ``domains``: its model's rates times its
    districts' counts, summed over the districts (one area holding them all)."""
    columns = [DOMAINS.index(d) for d in domains]
    weights: dict[str, int | float] = {}
    for code, districts in _districts(session, codes).items():
        # the model the allocation would use: a fallback where the data lacks an indicator
        wanted = config.model_chain(code)
        found = _figures(session, districts, wanted)
        available = [k for k in wanted if all((d, k) in found for d in districts)]
        _, model = config.model_for(code, available)
        indicators, rate_rows = model.rate_matrix()
        rates = np.array(rate_rows, dtype=np.float64).reshape(len(indicators), len(DOMAINS))
        unit_need = need(
            _counts(session, districts, indicators),
            rates,
            unit_keys=districts,
            indicator_keys=indicators,
        )
        total = area_need(unit_need, np.zeros(len(districts), dtype=np.int64), 1)[0]
        weights[code] = float(total[columns].sum())
    return weights


def use(session: Session, contract: Contract, lot: Lot, year: int, to_month: int) -> dict[str, int]:
    """Spending on the contract per municipality, in ``year`` up to ``to_month``."""
    in_force = months_in_force(contract.starts_on, contract.ends_on, year)
    months = [m for m in in_force if m <= to_month]
    if not months:
        return {}
    rows = session.execute(
        select(col(SpendingMonth.municipality_code), func.sum(SpendingMonth.amount_cents))
        .where(
            col(SpendingMonth.year) == year,
            col(SpendingMonth.month).in_(months),
            col(SpendingMonth.reference).in_([contract.reference, lot_reference(lot)]),
        )
        .group_by(col(SpendingMonth.municipality_code))
    )
    return {str(code): int(cents) for code, cents in rows}
