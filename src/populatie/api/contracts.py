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
from populatie.contracts.service import (
    ContractChange,
    ContractInput,
    change_contract,
    contract_history,
    create_contract,
)
from populatie.errors import ConflictError

__all__ = ["change", "history", "register"]

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
