"""Each municipality's share of a contract's ceiling, spent and forecast, by its key.

The weights come from :mod:`populatie.cost_sharing.weights` (or the fixed key's basis points),
the arithmetic from :mod:`populatie.core.cost_sharing`. What is shared (the year's ceiling,
spent to date, the full-year forecast) comes from the contract and from the reconciliation of
the year, so the shares follow whatever forecast method the reconciliation uses.

Until finance sets a key, the municipality whose lot the contract is on carries all of it
(shown as version 0 of a fixed key, with a note).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from populatie.configuration import DOMAINS, RegionConfig
from populatie.contracts.models import Contract, ContractCeiling
from populatie.contracts.service import get_contract, lot_reference
from populatie.core.cost_sharing import BASIS_POINTS_WHOLE, share_amounts
from populatie.core.reconciliation import ceiling_for_year, months_in_force
from populatie.cost_sharing import weights as data_weights
from populatie.cost_sharing.service import CostSharingKey, current_key
from populatie.reconciliation.service import reconcile_year
from populatie.registry.models import Lot

__all__ = ["WEIGHT_UNITS", "ShareLine", "ShareReport", "contract_shares", "shares_json"]

#: What a weight of each kind counts.
WEIGHT_UNITS = {
    "fixed": "basis points",
    "inhabitants": "inhabitants",
    "need": "euro",
    "use": "cents",
}


@dataclass(frozen=True)
class ShareLine:
    """One municipality's weight, its fraction of the key, and its share of each amount."""

    municipality: str
    weight: int | float
    fraction: Fraction
    ceiling_cents: int | None
    spent_cents: int
    forecast_cents: int


@dataclass(frozen=True)
class ShareReport:
    contract: str
    year: int
    to_month: int
    key: CostSharingKey
    weight_unit: str
    forecast_method: str
    ceiling_cents: int | None
    spent_cents: int
    forecast_cents: int
    lines: list[ShareLine]
    notes: list[str]


def _own_municipality_key(contract: Contract, lot: Lot) -> CostSharingKey:
    """Until finance sets a key, the municipality whose lot the contract is on carries all of
    it: what the contract says without a regional agreement. Shown as version 0."""
    return CostSharingKey(
        contract=contract.reference,
        version=0,
        kind="fixed",
        municipalities=(lot.municipality_code,),
        basis_points={lot.municipality_code: BASIS_POINTS_WHOLE},
        recorded_at=contract.created_at,
        recorded_by=contract.created_by,
        reason=(
            f"no cost-sharing key set: {lot.municipality_code}, whose lot "
            f"{lot_reference(lot)} the contract is on, carries all of it"
        ),
    )


def contract_shares(
    session: Session,
    reference: str,
    year: int,
    config: RegionConfig,
    *,
    to_month: int | None = None,
    partnership: str | None = None,
) -> ShareReport:
    """Each municipality's share of the contract's ceiling, spent and forecast in ``year``.

    ``partnership`` (a consortium's scope) limits spent and forecast to the reconciliation
    lines that are that partnership's, as its reconciliation shows them.
    """
    contract = get_contract(session, reference)
    lot = session.get(Lot, contract.lot_id)
    assert lot is not None
    assert contract.id is not None
    key = current_key(session, reference) or _own_municipality_key(contract, lot)
    result = reconcile_year(session, year, to_month, config, partnership=partnership)
    totals = [
        line
        for line in result.lines
        if line.contract == reference
        and line.domain == "total"
        and (partnership is None or line.partnership == partnership)
    ]
    spent = sum(line.spent_cents for line in totals)
    forecast = sum(line.forecast_cents for line in totals)
    ceiling = None
    if months_in_force(contract.starts_on, contract.ends_on, year):
        ceilings = {
            int(y): int(c)
            for y, c in session.execute(
                select(col(ContractCeiling.year), col(ContractCeiling.ceiling_cents)).where(
                    col(ContractCeiling.contract_id) == contract.id
                )
            )
        }
        ceiling = ceiling_for_year(ceilings, contract.indexation_basis_points, year)
    notes: list[str] = []
    if key.version == 0:
        notes.append(key.reason)
    weights: Mapping[str, int | float]
    if key.kind == "fixed":
        weights = key.basis_points or {}
    elif key.kind == "inhabitants":
        weights = data_weights.inhabitants(session, key.municipalities, config)
    elif key.kind == "need":
        domains = [d for d in DOMAINS if d in set(lot.domains)] or list(DOMAINS)
        weights = data_weights.need_weights(session, key.municipalities, config, domains)
        notes.append(f"need for the domains of lot {lot_reference(lot)}: {', '.join(domains)}")
    else:
        use = data_weights.use(session, contract, lot, year, result.to_month)
        weights = {code: use.get(code, 0) for code in key.municipalities}
        outside = sorted(set(use) - set(key.municipalities))
        if outside:
            notes.append(
                "spending by municipalities the key does not name is not a weight: "
                + ", ".join(f"{code} ({use[code]} cents)" for code in outside)
            )
    shares = share_amounts(
        key.kind, weights, {"ceiling": ceiling, "spent": spent, "forecast": forecast}
    )
    return ShareReport(
        contract=reference,
        year=year,
        to_month=result.to_month,
        key=key,
        weight_unit=WEIGHT_UNITS[key.kind],
        forecast_method=result.forecast_method,
        ceiling_cents=ceiling,
        spent_cents=spent,
        forecast_cents=forecast,
        lines=[
            ShareLine(
                municipality=s.municipality,
                weight=weights[s.municipality],
                fraction=s.fraction,
                ceiling_cents=s.amounts_cents["ceiling"],
                spent_cents=int(s.amounts_cents["spent"] or 0),
                forecast_cents=int(s.amounts_cents["forecast"] or 0),
            )
            for s in shares
        ],
        notes=notes,
    )


def shares_json(report: ShareReport) -> dict[str, Any]:
    """The JSON form of a report, for the API and ``--format json``."""
    return {
        "contract": report.contract,
        "year": report.year,
        "to": f"{report.year}-{report.to_month:02d}",
        "key": report.key.as_json(),
        "weight_unit": report.weight_unit,
        "forecast_method": report.forecast_method,
        "ceiling_cents": report.ceiling_cents,
        "spent_cents": report.spent_cents,
        "forecast_cents": report.forecast_cents,
        "municipalities": [
            {
                "municipality": line.municipality,
                "weight": line.weight,
                "share": float(line.fraction),
                "ceiling_cents": line.ceiling_cents,
                "spent_cents": line.spent_cents,
                "forecast_cents": line.forecast_cents,
            }
            for line in report.lines
        ],
        "notes": list(report.notes),
    }
