"""Spending, contracts and reconciliation over HTTP: uploads, scoped reads and the report.

The import, the contracts and the reconciliation rules are their features' own
(:mod:`populatie.spending.service`, :mod:`populatie.contracts.service`,
:mod:`populatie.reconciliation.service`); this module confines what a consortium sees to its
own partnership — its lots and its contracts — and shapes the answers into public schemas.

Spending is a partnership's by the contract it was booked on as it stood on the booking date:
a contract taken over by another partnership leaves the rows booked before the takeover with
the partnership that held it then (:func:`populatie.core.reconciliation.reference_owners`).
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Engine, and_, false, func, or_, select
from sqlmodel import Session, col

from populatie.api import schemas
from populatie.api.pagination import Window
from populatie.auth.tokens import Principal
from populatie.configuration import RegionConfig
from populatie.contracts.service import ContractView, list_contracts
from populatie.core.reconciliation import Reconciliation
from populatie.errors import NotFoundError
from populatie.reconciliation.service import reconcile_year, report_json, spending_owners
from populatie.spending.models import Spending
from populatie.spending.service import import_spending


def own_spending(session: Session, partnership: str) -> ColumnElement[bool]:
    """The condition on ``spending`` rows that are ``partnership``'s: booked on one of its
    contracts or lots while it held them."""
    terms = []
    for reference, periods in sorted(spending_owners(session).items()):
        for start, end, owner in periods:
            if owner != partnership:
                continue
            term = [col(Spending.reference) == reference]
            if start != date.min:
                term.append(col(Spending.booked_on) >= start)
            if end != date.max:
                term.append(col(Spending.booked_on) < end)
            terms.append(and_(*term))
    return or_(*terms) if terms else false()


# --- contracts ----------------------------------------------------------------------------


def contract_schema(view: ContractView) -> schemas.Contract:
    milestones = [m.as_json() for m in view.milestones]
    return msgspec.convert({**view.as_json(), "milestones": milestones}, schemas.Contract)


def _held_by(session: Session, scope: str) -> set[str]:
    """The contracts ``scope`` holds or held: it sees the contracts its rows were booked on."""
    return {
        reference
        for reference, periods in spending_owners(session).items()
        if any(owner == scope for _, _, owner in periods)
    }


def list_contract_page(
    session: Session, window: Window, scope: str | None, year: int | None = None
) -> schemas.ContractPage:
    held = _held_by(session, scope) if scope is not None else set()
    views = [v for v in list_contracts(session, year) if scope is None or v.reference in held]
    page = views[window.offset : window.offset + window.limit]
    return schemas.ContractPage(items=[contract_schema(v) for v in page], total=len(views))


def get_contract_in_scope(session: Session, reference: str, scope: str | None) -> schemas.Contract:
    held = _held_by(session, scope) if scope is not None else set()
    for view in list_contracts(session):
        if view.reference == reference and (scope is None or reference in held):
            return contract_schema(view)
    raise NotFoundError(f"contract {reference} not found")


# --- spending -----------------------------------------------------------------------------


def list_spending(
    session: Session,
    window: Window,
    scope: str | None,
    *,
    booked_from: date | None = None,
    booked_to: date | None = None,
    municipality: str | None = None,
    district: str | None = None,
    reference: str | None = None,
    domain: str | None = None,
    provider: str | None = None,
) -> schemas.SpendingPage:
    """Imported rows, newest booking first; a consortium sees the rows booked on its own lots
    and contracts."""
    conditions: list[Any] = []
    if scope is not None:
        conditions.append(own_spending(session, scope))
    if booked_from is not None:
        conditions.append(col(Spending.booked_on) >= booked_from)
    if booked_to is not None:
        conditions.append(col(Spending.booked_on) <= booked_to)
    for column, value in (
        (Spending.municipality_code, municipality),
        (Spending.district_code, district),
        (Spending.reference, reference),
        (Spending.domain, domain),
        (Spending.provider, provider),
    ):
        if value is not None:
            conditions.append(col(column) == value)
    total, amount = session.execute(
        select(func.count(), func.coalesce(func.sum(Spending.amount_cents), 0)).where(*conditions)
    ).one()
    rows = session.execute(
        select(Spending)
        .where(*conditions)
        .order_by(col(Spending.booked_on).desc(), col(Spending.id).desc())
        .limit(window.limit)
        .offset(window.offset)
    ).scalars()
    return schemas.SpendingPage(
        items=[
            schemas.SpendingRow(
                id=int(r.id),
                booked_on=r.booked_on,
                municipality=r.municipality_code,
                district=r.district_code,
                reference=r.reference,
                domain=r.domain,
                provider=r.provider,
                amount_cents=int(r.amount_cents),
                invoice_reference=r.invoice_reference,
                description=r.description,
                import_id=r.import_id,
                line=r.line,
            )
            for r in rows
        ],
        total=int(total),
        amount_cents=int(amount),
    )


#: How an error about Dutch amounts names the upload's option for them.
UPLOAD_COMMA_HINT = "upload with the form field decimal_comma=true"


def upload_spending(
    engine: Engine, file_name: str, content: bytes, decimal_comma: bool, principal: Principal
) -> schemas.SpendingImport:
    """Import an uploaded file with the import's own rules: validated whole, written in one
    transaction with its audit event, or rejected with every error and nothing written.

    ``file_name`` is a bare file name (the controller checks it)."""
    with tempfile.TemporaryDirectory(prefix="populatie-upload-") as folder:
        path = Path(folder) / file_name
        path.write_bytes(content)
        outcome = import_spending(
            engine,
            path,
            decimal_comma=decimal_comma,
            user=principal.actor,
            comma_hint=UPLOAD_COMMA_HINT,
        )
    return schemas.SpendingImport(
        imported=outcome.imported,
        import_id=outcome.import_id,
        content_hash=outcome.content_hash,
        file_name=outcome.file_name,
        rows=outcome.rows,
        amount_cents=outcome.amount_cents,
        first_booked_on=outcome.first_booked_on,
        last_booked_on=outcome.last_booked_on,
        months=outcome.months,
        duplicates=outcome.duplicates,
    )


# --- reconciliation -----------------------------------------------------------------------


def reconciliation(
    session: Session,
    year: int,
    to_month: int | None,
    scope: str | None,
    config: RegionConfig | None = None,
) -> Reconciliation:
    """The reconciliation of ``year``; for a consortium, to the last month of its own spending
    by default, and only its own lines and the exceptions about its own rows and contracts,
    duplicate invoices included (the rest, and the region-wide notes, left out)."""
    result = reconcile_year(session, year, to_month, config, partnership=scope)
    if scope is None:
        return result
    return replace(
        result,
        lines=[line for line in result.lines if line.partnership == scope],
        exceptions=[e for e in result.exceptions if e.partnership == scope],
        notes=[],
    )


def reconciliation_json(result: Reconciliation) -> schemas.Reconciliation:
    return msgspec.convert(report_json(result), schemas.Reconciliation)
