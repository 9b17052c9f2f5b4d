"""Cost-sharing keys over a session: set one (a new version, audited), read it, apply it.

Applying a key to a contract and a year reads the weights the key needs and leaves the
arithmetic to :mod:`populatie.core.cost_sharing`:

- ``fixed``: the basis points stored with the key;
- ``inhabitants``: the sum over the municipality's districts of record of the population figure
  (``population_indicator`` of the configuration) of the newest loaded vintage;
- ``need``: the allocation model's need at municipality level: the municipality's own model
  (its rates and indicators, as an allocation run uses them) applied to its districts' counts
  and summed over the districts, for the domains of the contract's lot;
- ``use``: the municipality's spending on the contract (its reference, or its lot's reference
  in the months the contract is in force) in the year up to the month reconciled.

Until finance sets a key, the municipality whose lot the contract is on carries all of it
(shown as version 0 of a fixed key, with a note).

What is shared (the year's ceiling, spent to date, the full-year forecast) comes from the
contract and from the reconciliation of the year, so the shares follow whatever forecast
method the reconciliation uses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from populatie.configuration import DOMAINS, RegionConfig
from populatie.contracts.models import Contract, ContractCeiling
from populatie.contracts.service import get_contract, lot_reference
from populatie.core.allocation import area_need, need
from populatie.core.cost_sharing import (
    BASIS_POINTS_WHOLE,
    KINDS,
    CostSharingError,
    check_fixed_key,
    share_amounts,
)
from populatie.core.reconciliation import ceiling_for_year, months_in_force
from populatie.cost_sharing.models import ContractCostShare, ContractCostShareKey
from populatie.districts.models import District, IndicatorFigure, Municipality
from populatie.errors import ConflictError, DataError, MissingFigureError
from populatie.reconciliation.service import reconcile_year
from populatie.registry.models import Lot
from populatie.spending.models import SpendingMonth

__all__ = [
    "WEIGHT_UNITS",
    "Audit",
    "CostSharingKey",
    "ShareLine",
    "ShareReport",
    "contract_shares",
    "current_key",
    "key_history",
    "parse_percentage",
    "set_cost_sharing",
    "shares_json",
]

#: ``audit(action, target, detail)``: how the caller records a write (API: the token's
#: principal; CLI: ``POPULATIE_USER``), in the same unit of work.
Audit = Callable[[str, str, dict[str, Any]], None]

#: What a weight of each kind counts.
WEIGHT_UNITS = {
    "fixed": "basis points",
    "inhabitants": "inhabitants",
    "need": "euro",
    "use": "cents",
}


@dataclass(frozen=True)
class CostSharingKey:
    """One version of a contract's key."""

    contract: str
    version: int
    kind: str
    municipalities: tuple[str, ...]
    basis_points: dict[str, int] | None
    recorded_at: datetime
    recorded_by: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "version": self.version,
            "kind": self.kind,
            "municipalities": list(self.municipalities),
            "basis_points": self.basis_points,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "reason": self.reason,
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


def parse_percentage(text: str) -> int:
    """A percentage (``"12.5"``, ``"12,5 %"``) as whole basis points (1250), 0 to 100 %."""
    cleaned = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = Decimal(cleaned) * 100
    except InvalidOperation:
        raise CostSharingError(f"percentage {text!r} is not a number") from None
    if not value.is_finite() or value != value.to_integral_value() or not 0 <= value <= 10_000:
        raise CostSharingError(
            f"percentage {text!r}: give 0 to 100 with at most two decimals, e.g. 12.5"
        )
    return int(value)


# ---------------------------------------------------------------------------------------------
# The key and its history
# ---------------------------------------------------------------------------------------------


def _views(session: Session, contract: Contract) -> list[CostSharingKey]:
    keys = list(
        session.execute(
            select(ContractCostShareKey)
            .where(col(ContractCostShareKey.contract_id) == contract.id)
            .order_by(col(ContractCostShareKey.version))
        ).scalars()
    )
    shares: dict[int, dict[str, int | None]] = defaultdict(dict)
    if keys:
        for key_id, code, points in session.execute(
            select(
                col(ContractCostShare.key_id),
                col(ContractCostShare.municipality_code),
                col(ContractCostShare.basis_points),
            ).where(col(ContractCostShare.key_id).in_([k.id for k in keys]))
        ):
            shares[int(key_id)][str(code)] = None if points is None else int(points)
    views = []
    for key in keys:
        assert key.id is not None
        rows = shares[key.id]
        views.append(
            CostSharingKey(
                contract=contract.reference,
                version=key.version,
                kind=key.kind,
                municipalities=tuple(sorted(rows)),
                basis_points=(
                    {code: int(bp or 0) for code, bp in sorted(rows.items())}
                    if key.kind == "fixed"
                    else None
                ),
                recorded_at=key.recorded_at,
                recorded_by=key.recorded_by,
                reason=key.reason,
            )
        )
    return views


def key_history(session: Session, reference: str) -> list[CostSharingKey]:
    """Every version of the contract's key, oldest first."""
    return _views(session, get_contract(session, reference))


def current_key(session: Session, reference: str) -> CostSharingKey | None:
    """The key in force (the newest version), None when none was ever set."""
    history = key_history(session, reference)
    return history[-1] if history else None


def _checked_municipalities(session: Session, codes: Sequence[str]) -> list[str]:
    twice = sorted({c for c in codes if list(codes).count(c) > 1})
    if twice:
        raise CostSharingError(f"municipalities named more than once: {', '.join(twice)}")
    known = {str(c) for c in session.execute(select(col(Municipality.code))).scalars()}
    unknown = sorted(set(codes) - known)
    if unknown:
        raise CostSharingError(
            f"municipalities not of record: {', '.join(unknown)} (run `populatie load`)",
            details=[{"municipality": code, "reason": "not of record"} for code in unknown],
        )
    return sorted(codes)


def set_cost_sharing(
    session: Session,
    reference: str,
    kind: str,
    *,
    basis_points: Mapping[str, int] | None = None,
    municipalities: Sequence[str] | None = None,
    actor: str,
    audit: Audit,
    reason: str,
) -> CostSharingKey:
    """Set the contract's key as its next version; the caller commits.

    ``fixed`` takes ``basis_points`` per municipality (adding up to 100 %); the other kinds
    take the ``municipalities`` that share. A key equal to the one in force is refused, so
    the history only holds real changes.
    """
    if not reason.strip():
        raise DataError("reason: say why the contract's cost-sharing key is set")
    if kind not in KINDS:
        raise CostSharingError(f"key {kind!r}: one of {', '.join(KINDS)}")
    contract = get_contract(session, reference)
    assert contract.id is not None
    points: dict[str, int] | None = None
    if kind == "fixed":
        if municipalities:
            raise CostSharingError("key fixed: give the percentage per municipality only")
        points = dict(basis_points or {})
        check_fixed_key(points)
        codes = _checked_municipalities(session, list(points))
    else:
        if basis_points:
            raise CostSharingError(f"key {kind}: percentages belong to a fixed key only")
        if not municipalities:
            raise CostSharingError(f"key {kind}: name the municipalities that share the contract")
        codes = _checked_municipalities(session, list(municipalities))
    before = current_key(session, reference)
    if (
        before is not None
        and (before.kind, before.municipalities) == (kind, tuple(codes))
        and before.basis_points == (None if points is None else dict(sorted(points.items())))
    ):
        raise DataError(f"contract {reference}: the key is this key already")
    row = ContractCostShareKey(
        contract_id=contract.id,
        version=1 if before is None else before.version + 1,
        kind=kind,
        recorded_at=datetime.now(UTC),
        recorded_by=actor,
        reason=reason.strip(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(
            f"the key of contract {reference} was set at the same moment; read it again"
        ) from None
    assert row.id is not None
    for code in codes:
        session.add(
            ContractCostShare(
                key_id=row.id,
                municipality_code=code,
                basis_points=None if points is None else points[code],
            )
        )
    session.flush()
    view = _views(session, contract)[-1]
    detail: dict[str, Any] = {k: v for k, v in view.as_json().items() if k != "recorded_at"}
    if before is not None:
        detail["before"] = {
            "version": before.version,
            "kind": before.kind,
            "municipalities": list(before.municipalities),
            "basis_points": before.basis_points,
        }
    audit("contract.cost-sharing", f"contract/{reference}", detail)
    return view


# ---------------------------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------------------------


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


def _inhabitants(
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


def _need(
    session: Session, codes: Sequence[str], config: RegionConfig, domains: Sequence[str]
) -> dict[str, int | float]:
    """Each municipality's need in euro for ``domains``: its model's rates times its
    districts' counts, summed over the districts (one area holding them all)."""
    columns = [DOMAINS.index(d) for d in domains]
    weights: dict[str, int | float] = {}
    for code, districts in _districts(session, codes).items():
        _, model = config.model_for(code)
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


def _use(
    session: Session, contract: Contract, lot: Lot, year: int, to_month: int
) -> dict[str, int]:
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


# ---------------------------------------------------------------------------------------------
# Shares
# ---------------------------------------------------------------------------------------------


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
        weights = _inhabitants(session, key.municipalities, config)
    elif key.kind == "need":
        domains = [d for d in DOMAINS if d in set(lot.domains)] or list(DOMAINS)
        weights = _need(session, key.municipalities, config, domains)
        notes.append(f"need for the domains of lot {lot_reference(lot)}: {', '.join(domains)}")
    else:
        use = _use(session, contract, lot, year, result.to_month)
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
