"""Tariffs of a contract: cents per unit of one iJw product in one year, with their history.

Any contract may hold tariffs (a population-based one, for the prices agreed per product), but
only the forms paid by quantity × tariff (:data:`populatie.core.funding.TARIFF_FORMS`) have
their bookings checked against them. Setting a tariff adds its next version (who, when, why)
and an audit event in the caller's transaction; no version is changed or removed, so "which
tariff did we check against, and who set it" stays answerable. The tariff in force is the
highest version; a year without one takes the last earlier year's, indexed by the contract's
yearly indexation (:func:`populatie.core.funding.indexed_tariff`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.auth.models import AuditEvent
from populatie.contracts.models import UNITS, Contract, ContractTariff
from populatie.contracts.terms import PRODUCT_CODE
from populatie.core.funding import indexed_tariff
from populatie.errors import DataError

__all__ = ["TariffInput", "TariffView", "contract_tariffs", "list_tariffs", "set_tariff"]

#: No tariff is above a million euro per unit: beyond it a figure is surely a mistake.
MAX_TARIFF_CENTS = 100_000_000


@dataclass(frozen=True)
class TariffInput:
    product_code: str
    year: int
    unit: str
    tariff_cents: int


@dataclass(frozen=True)
class TariffView:
    contract: str
    product_code: str
    year: int
    unit: str
    tariff_cents: int
    version: int
    recorded_at: datetime
    recorded_by: str
    reason: str

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["recorded_at"] = self.recorded_at.isoformat()
        return data


def set_tariff(
    session: Session, contract: Contract, data: TariffInput, user: str, reason: str
) -> TariffView:
    """The next version of one tariff; the caller commits. Setting the tariff it has already
    is refused, so the history holds only changes."""
    problems = []
    if not PRODUCT_CODE.fullmatch(data.product_code):
        problems.append(
            f"product code {data.product_code!r}: 2 digits and 3 letters or digits, e.g. 45A12"
        )
    if contract.product_codes and data.product_code not in contract.product_codes:
        problems.append(
            f"product {data.product_code} is not one of the contract's products "
            f"({', '.join(contract.product_codes)})"
        )
    if not contract.starts_on.year <= data.year <= contract.ends_on.year:
        problems.append(
            f"year {data.year} lies outside the contract ({contract.starts_on} to "
            f"{contract.ends_on})"
        )
    if data.unit not in UNITS:
        problems.append(f"unit {data.unit!r}: one of {', '.join(UNITS)}")
    if not 0 <= data.tariff_cents <= MAX_TARIFF_CENTS:
        problems.append("a tariff lies between € 0 and € 1.000.000 per unit")
    if not reason.strip():
        problems.append("reason: say why the tariff is set")
    if problems:
        raise DataError(f"tariff of contract {contract.reference}: " + "; ".join(problems))
    assert contract.id is not None
    current = _current(session, contract.id).get((data.product_code, data.year))
    if (
        current is not None
        and current.unit == data.unit
        and current.tariff_cents == data.tariff_cents
    ):
        raise DataError(
            f"tariff of contract {contract.reference}: {data.product_code} {data.year} is "
            "already that"
        )
    now = datetime.now(UTC)
    row = ContractTariff(
        contract_id=contract.id,
        product_code=data.product_code,
        year=data.year,
        unit=data.unit,
        tariff_cents=data.tariff_cents,
        version=1 if current is None else current.version + 1,
        recorded_at=now,
        recorded_by=user,
        reason=reason,
    )
    session.add(row)
    session.add(
        AuditEvent(
            at=now,
            actor=user,
            role="finance",
            partnership_name=None,
            action="contract.tariff",
            target=f"contract/{contract.reference}",
            detail={
                "reason": reason,
                "product_code": data.product_code,
                "year": data.year,
                "unit": data.unit,
                "tariff_cents": data.tariff_cents,
                "before_cents": None if current is None else current.tariff_cents,
                "version": row.version,
            },
        )
    )
    session.flush()
    return _view(contract.reference, row)


def _view(reference: str, row: ContractTariff) -> TariffView:
    return TariffView(
        contract=reference,
        product_code=row.product_code,
        year=row.year,
        unit=row.unit,
        tariff_cents=row.tariff_cents,
        version=row.version,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        reason=row.reason,
    )


def _current(session: Session, contract_id: int) -> dict[tuple[str, int], ContractTariff]:
    latest = (
        select(
            col(ContractTariff.product_code),
            col(ContractTariff.year),
            func.max(ContractTariff.version).label("version"),
        )
        .where(col(ContractTariff.contract_id) == contract_id)
        .group_by(col(ContractTariff.product_code), col(ContractTariff.year))
        .subquery()
    )
    rows = session.execute(
        select(ContractTariff)
        .join(
            latest,
            (col(ContractTariff.product_code) == latest.c.product_code)
            & (col(ContractTariff.year) == latest.c.year)
            & (col(ContractTariff.version) == latest.c.version),
        )
        .where(col(ContractTariff.contract_id) == contract_id)
    ).scalars()
    return {(r.product_code, r.year): r for r in rows}


def list_tariffs(
    session: Session, contract: Contract, *, year: int | None = None, history: bool = False
) -> list[TariffView]:
    """The tariffs in force (every version with ``history``), by product, year and version."""
    assert contract.id is not None
    if history:
        query = select(ContractTariff).where(col(ContractTariff.contract_id) == contract.id)
        if year is not None:
            query = query.where(col(ContractTariff.year) == year)
        rows = list(session.execute(query).scalars())
    else:
        rows = [
            r for r in _current(session, contract.id).values() if year is None or r.year == year
        ]
    rows.sort(key=lambda r: (r.product_code, r.year, r.version))
    return [_view(contract.reference, r) for r in rows]


def contract_tariffs(session: Session, year: int) -> dict[str, dict[str, tuple[str, int]]]:
    """Per contract reference, per product: its unit and tariff in ``year`` (indexed from an
    earlier year where none is set for it), for reconciliation."""
    contracts = {c.id: c for c in session.execute(select(Contract)).scalars() if c.id is not None}
    by_product: dict[tuple[int, str], dict[int, ContractTariff]] = defaultdict(dict)
    for contract_id in contracts:
        for (product, tariff_year), row in _current(session, contract_id).items():
            if tariff_year <= year:
                by_product[(contract_id, product)][tariff_year] = row
    result: dict[str, dict[str, tuple[str, int]]] = defaultdict(dict)
    for (contract_id, product), rows in by_product.items():
        contract = contracts[contract_id]
        cents = indexed_tariff(
            {y: r.tariff_cents for y, r in rows.items()}, contract.indexation_basis_points, year
        )
        if cents is not None:
            result[contract.reference][product] = (rows[max(rows)].unit, cents)
    return dict(result)
