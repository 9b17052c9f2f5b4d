"""Cost-sharing keys over a session: set one (a new version, audited), read it and its history.

A key is finance's agreement on how the municipalities share a contract; it is never edited in
place, so "which key did the contract have then, who set it and why" stays answerable. Applying
it is :mod:`populatie.cost_sharing.shares`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from populatie.auth.audit import Audit
from populatie.contracts.models import Contract
from populatie.contracts.service import get_contract
from populatie.core.cost_sharing import KINDS, CostSharingError, check_fixed_key
from populatie.cost_sharing.models import ContractCostShare, ContractCostShareKey
from populatie.districts.models import Municipality
from populatie.errors import ConflictError, DataError

__all__ = [
    "Audit",
    "CostSharingKey",
    "current_key",
    "key_history",
    "parse_percentage",
    "set_cost_sharing",
]


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
