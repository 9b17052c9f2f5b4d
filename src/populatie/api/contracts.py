"""Contracts registered and changed by finance over HTTP, through the same service as the CLI.

The service keeps every version and writes the audit event in the caller's unit of work, so a
registration or change is committed with its history and its audit entry, or not at all. Two
registrations of one reference racing past the service's check meet the table's unique key;
that is a conflict for the caller, not a server error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from populatie.api import schemas
from populatie.api.spending import contract_schema
from populatie.auth.tokens import Principal
from populatie.contracts import tariffs as tariff_service
from populatie.contracts.service import (
    ContractChange,
    ContractInput,
    change_contract,
    contract_history,
    create_contract,
    get_contract,
)
from populatie.errors import ConflictError

__all__ = ["change", "history", "register", "set_tariff", "tariffs"]

T = TypeVar("T")


def _ceilings(values: dict[str, int] | None) -> dict[int, int] | None:
    return None if values is None else {int(year): cents for year, cents in values.items()}


def _unique(reference: str, write: Callable[[], T]) -> T:
    try:
        return write()
    except IntegrityError:
        raise ConflictError(
            f"contract {reference} was registered or changed at the same moment; read it again"
        ) from None


def register(
    session: Session, body: schemas.ContractCreate, principal: Principal
) -> schemas.Contract:
    """Register a contract (version 1); audited with the caller's name."""
    data = ContractInput(
        reference=body.reference,
        lot=body.lot,
        partnership=body.partnership,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        extendable_to=body.extendable_to,
        funding_form=body.funding_form,
        ceilings_cents=_ceilings(body.ceilings_cents) or {},
        indexation_basis_points=body.indexation_basis_points,
        segment=body.segment,
        product_codes=tuple(body.product_codes),
        municipalities=tuple(body.municipalities),
        start_percent=body.start_percent,
        instalments=body.instalments,
    )
    view = _unique(
        body.reference, lambda: create_contract(session, data, principal.actor, body.reason)
    )
    return contract_schema(view)


def change(
    session: Session, reference: str, body: schemas.ContractUpdate, principal: Principal
) -> schemas.Contract:
    """The next version of a contract; a change that changes nothing is refused."""
    update = ContractChange(
        lot=body.lot,
        partnership=body.partnership,
        partnership_from=body.partnership_from,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        extendable_to=body.extendable_to,
        funding_form=body.funding_form,
        ceilings_cents=_ceilings(body.ceilings_cents) or None,
        indexation_basis_points=body.indexation_basis_points,
        segment=body.segment,
        product_codes=None if body.product_codes is None else tuple(body.product_codes),
        municipalities=None if body.municipalities is None else tuple(body.municipalities),
        start_percent=body.start_percent,
        instalments=body.instalments,
    )
    view = _unique(
        reference, lambda: change_contract(session, reference, update, principal.actor, body.reason)
    )
    return contract_schema(view)


def history(session: Session, reference: str) -> schemas.ContractHistory:
    """Every version of a contract, oldest first: the state after it, what changed, who, why."""
    versions = contract_history(session, reference)
    items = [
        schemas.ContractVersion(
            version=v.version,
            changed_at=v.changed_at,
            changed_by=v.changed_by,
            reason=v.reason,
            changes=dict(v.changes),
            state=dict(v.state),
        )
        for v in versions
    ]
    return schemas.ContractHistory(reference=reference, items=items, total=len(items))


def _tariff(view: tariff_service.TariffView) -> schemas.Tariff:
    return schemas.Tariff(
        contract=view.contract,
        product_code=view.product_code,
        year=view.year,
        unit=view.unit,
        tariff_cents=view.tariff_cents,
        version=view.version,
        recorded_at=view.recorded_at,
        recorded_by=view.recorded_by,
        reason=view.reason,
    )


def tariffs(
    session: Session, reference: str, year: int | None, history: bool
) -> schemas.TariffPage:
    """The tariffs of a contract the caller may see (the controller checks its scope)."""
    views = tariff_service.list_tariffs(
        session, get_contract(session, reference), year=year, history=history
    )
    return schemas.TariffPage(
        contract=reference, items=[_tariff(v) for v in views], total=len(views)
    )


def set_tariff(
    session: Session, reference: str, body: schemas.TariffSet, principal: Principal
) -> schemas.Tariff:
    """The next version of one tariff; audited with the caller's name."""
    data = tariff_service.TariffInput(
        product_code=body.product_code,
        year=body.year,
        unit=body.unit,
        tariff_cents=body.tariff_cents,
    )
    contract = get_contract(session, reference)
    return _unique(
        reference,
        lambda: _tariff(
            tariff_service.set_tariff(session, contract, data, principal.actor, body.reason)
        ),
    )
