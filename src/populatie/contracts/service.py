"""Contracts use cases over a session: register, change (keeping the history), read.

Lots and partnerships come from ``config/`` (see :mod:`populatie.registry`); contracts are what
finance adds on top: which partnership holds a lot, for which period (with the options to
extend), in which funding form, up to which ceiling per year. A contract is never edited in
place without a trace: every change bumps ``version`` and writes the full new state, with what
changed, to ``contract_version`` and the audit log, in the caller's transaction.

A change of partnership (a novation) names the date the new partnership takes over
(``partnership_from``, the first of a month). Spending belongs to whoever held the contract on
its booking date, so the history, not the current row, says who that was:
:func:`contract_holdings` reads it back.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from populatie.auth.models import AuditEvent
from populatie.contracts.milestones import Milestone, milestones_for, milestones_of_record
from populatie.contracts.models import (
    FUNDING_FORMS,
    INSTALMENT_FREQUENCIES,
    Contract,
    ContractCeiling,
    ContractInstalment,
    ContractVersion,
)
from populatie.contracts.terms import check_terms
from populatie.core.funding import instalment_schedule
from populatie.core.reconciliation import ceiling_for_year, months_in_force
from populatie.districts.models import Municipality
from populatie.errors import ConflictError, DataError, NotFoundError
from populatie.registry.models import Lot, Partnership
from populatie.segments.models import Segment

__all__ = [
    "ContractChange",
    "ContractInput",
    "ContractView",
    "change_contract",
    "contract_history",
    "contract_holdings",
    "create_contract",
    "find_lot",
    "get_contract",
    "list_contracts",
    "lot_reference",
    "parse_indexation",
]

_LOT_REFERENCE = re.compile(r"(GM\d{4})/(\d+)")
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")


@dataclass(frozen=True)
class ContractInput:
    """Everything a contract says; what ``contracts add`` asks for."""

    reference: str
    lot: str  # "GM0518/1"
    starts_on: date
    ends_on: date
    funding_form: str
    partnership: str | None = None  # default: the partnership the lot was awarded to
    extendable_to: date | None = None
    ceilings_cents: dict[int, int] = field(default_factory=dict)
    indexation_basis_points: int = 0
    segment: str | None = None
    product_codes: tuple[str, ...] = ()  # empty: every product of the segment
    municipalities: tuple[str, ...] = ()  # empty: the lot's municipality
    start_percent: int | None = None  # output-based per trajectory: paid at the start
    instalments: str | None = None  # task-based: monthly (the default) or quarterly


@dataclass(frozen=True)
class ContractChange:
    """The fields to change; ``None`` leaves a field as it is. ``ceilings_cents`` sets the
    ceiling of the years it names and keeps the others."""

    lot: str | None = None
    partnership: str | None = None
    # The first day the new partnership holds the contract: the first of a month, or the
    # contract's start (to correct who it was registered to). Required with a new partnership.
    partnership_from: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    extendable_to: date | None = None
    funding_form: str | None = None
    ceilings_cents: dict[int, int] | None = None
    indexation_basis_points: int | None = None
    segment: str | None = None
    product_codes: tuple[str, ...] | None = None
    municipalities: tuple[str, ...] | None = None
    start_percent: int | None = None
    instalments: str | None = None


@dataclass(frozen=True)
class ContractView:
    """A contract as the CLI and the API show it."""

    reference: str
    lot: str
    municipality: str
    area: str
    partnership: str
    starts_on: date
    ends_on: date
    extendable_to: date | None
    funding_form: str
    ceilings_cents: dict[int, int]
    indexation_basis_points: int
    version: int
    changed_at: datetime
    changed_by: str
    partnership_from: date | None = None  # since when ``partnership`` holds it; None: the start
    segment: str | None = None
    product_codes: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    start_percent: int | None = None
    instalments: str | None = None

    def ceiling_for(self, year: int) -> int | None:
        return ceiling_for_year(self.ceilings_cents, self.indexation_basis_points, year)

    def in_force(self, year: int) -> bool:
        return bool(months_in_force(self.starts_on, self.ends_on, year))

    @property
    def milestones(self) -> list[Milestone]:
        """The configured milestones in the contract's period (not part of its state: they
        are the procurement's, so a change of them is no change of the contract)."""
        return milestones_for(
            milestones_of_record(), self.starts_on, self.ends_on, self.extendable_to
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "lot": self.lot,
            "municipality": self.municipality,
            "area": self.area,
            "partnership": self.partnership,
            "partnership_from": (
                self.partnership_from.isoformat() if self.partnership_from else None
            ),
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "extendable_to": self.extendable_to.isoformat() if self.extendable_to else None,
            "funding_form": self.funding_form,
            "ceilings_cents": {str(y): c for y, c in sorted(self.ceilings_cents.items())},
            "indexation_basis_points": self.indexation_basis_points,
            "segment": self.segment,
            "product_codes": list(self.product_codes),
            "municipalities": list(self.municipalities or (self.municipality,)),
            "start_percent": self.start_percent,
            "completion_percent": (
                None if self.start_percent is None else 100 - self.start_percent
            ),
            "instalments": self.instalments,
            "version": self.version,
        }


def lot_reference(lot: Lot) -> str:
    """How spending files and the CLI name a lot: ``GM0518/1``."""
    return f"{lot.municipality_code}/{lot.number}"


def parse_indexation(text: str) -> int:
    """A yearly indexation in percent (``"2.5"``) as whole basis points (250)."""
    try:
        value = Decimal(text.strip().rstrip("%")) * 100
    except InvalidOperation:
        raise DataError(f"indexation {text!r} is not a percentage") from None
    if value != value.to_integral_value() or not -10_000 < value <= 10_000:
        raise DataError(
            f"indexation {text!r}: give a percentage with at most two decimals, above -100"
        )
    return int(value)


def find_lot(session: Session, reference: str) -> Lot:
    match = _LOT_REFERENCE.fullmatch(reference.strip())
    if match is None:
        raise DataError(f"lot {reference!r}: write a lot as municipality/number, e.g. GM0518/1")
    lot: Lot | None = session.execute(
        select(Lot).where(col(Lot.municipality_code) == match[1], col(Lot.number) == int(match[2]))
    ).scalar_one_or_none()
    if lot is None:
        raise NotFoundError(f"lot {reference} is not in config/areas.toml (run `populatie load`)")
    return lot


def get_contract(session: Session, reference: str) -> Contract:
    contract: Contract | None = session.execute(
        select(Contract).where(col(Contract.reference) == reference)
    ).scalar_one_or_none()
    if contract is None:
        raise NotFoundError(f"contract {reference} does not exist")
    return contract


def _ceilings(session: Session, contract_id: int) -> dict[int, int]:
    rows = session.execute(
        select(col(ContractCeiling.year), col(ContractCeiling.ceiling_cents)).where(
            col(ContractCeiling.contract_id) == contract_id
        )
    )
    return {int(y): int(c) for y, c in rows}


def _view(session: Session, contract: Contract) -> ContractView:
    assert contract.id is not None
    lot = session.get(Lot, contract.lot_id)
    assert lot is not None
    holdings = contract_holdings(session, contract.id).get(contract.id, [])
    return ContractView(
        partnership_from=holdings[-1][1] if holdings else None,
        reference=contract.reference,
        lot=lot_reference(lot),
        municipality=lot.municipality_code,
        area=lot.area_code,
        partnership=contract.partnership_name,
        starts_on=contract.starts_on,
        ends_on=contract.ends_on,
        extendable_to=contract.extendable_to,
        funding_form=contract.funding_form,
        ceilings_cents=_ceilings(session, contract.id),
        indexation_basis_points=contract.indexation_basis_points,
        version=contract.version,
        changed_at=contract.changed_at,
        changed_by=contract.changed_by,
        segment=contract.segment,
        product_codes=tuple(contract.product_codes),
        municipalities=tuple(contract.municipalities),
        start_percent=contract.start_percent,
        instalments=contract.instalments,
    )


def _state(view: ContractView) -> dict[str, Any]:
    state = view.as_json()
    state.pop("version")
    return state


def _check(session: Session, data: ContractInput, contract_id: int | None) -> Lot:
    """Raise on anything that would make the contract wrong; return its lot."""
    problems = []
    if not _REFERENCE.fullmatch(data.reference):
        problems.append(
            f"reference {data.reference!r}: letters, digits and . _ / - only, at most 64"
        )
    if data.funding_form not in FUNDING_FORMS:
        problems.append(f"funding form {data.funding_form!r}: one of {', '.join(FUNDING_FORMS)}")
    if data.starts_on > data.ends_on:
        problems.append(f"the period ends ({data.ends_on}) before it starts ({data.starts_on})")
    if data.extendable_to is not None and data.extendable_to < data.ends_on:
        problems.append(
            f"the contract ends on {data.ends_on}, after the last date its options to extend "
            f"allow ({data.extendable_to})"
        )
    for year, cents in data.ceilings_cents.items():
        if cents < 0:
            problems.append(f"ceiling {year} is negative")
        if not 2000 <= year <= 2099:
            problems.append(f"ceiling year {year} is not a budget year")
    if not -10_000 < data.indexation_basis_points <= 10_000:
        problems.append("indexation must lie above -100 % and at most 100 %")
    problems += check_terms(
        data.funding_form,
        data.segment,
        data.product_codes,
        data.start_percent,
        data.instalments,
        segments=_segment_years(session),
        municipalities={str(m) for m in session.execute(select(col(Municipality.code))).scalars()},
        contract_municipalities=data.municipalities,
        years=range(data.starts_on.year, data.ends_on.year + 1),
    )
    if problems:
        raise DataError(f"contract {data.reference}: " + "; ".join(problems))
    lot = find_lot(session, data.lot)
    partnership = data.partnership or lot.partnership_name
    if session.get(Partnership, partnership) is None:
        raise NotFoundError(f"partnership {partnership!r} is not in config/areas.toml")
    # Two contracts in force on one lot at once would make "spending on lot 1" ambiguous.
    # Writing the lot's row first (a change to nothing) holds back any other registration or
    # change on this lot until this one is committed, so the check below sees what it wrote:
    # a row lock on PostgreSQL, the write lock on SQLite.
    session.execute(update(Lot).where(col(Lot.id) == lot.id).values(number=Lot.number))
    for other in session.execute(select(Contract).where(col(Contract.lot_id) == lot.id)).scalars():
        if other.id == contract_id:
            continue
        if other.starts_on <= data.ends_on and data.starts_on <= other.ends_on:
            raise ConflictError(
                f"contract {data.reference}: lot {data.lot} already has contract "
                f"{other.reference} from {other.starts_on} to {other.ends_on}"
            )
    return lot


def _segment_years(session: Session) -> dict[str, tuple[int, int | None]]:
    return {
        str(code): (int(first), None if last is None else int(last))
        for code, first, last in session.execute(
            select(col(Segment.code), col(Segment.from_year), col(Segment.to_year))
        )
    }


def _write_schedule(session: Session, contract: Contract, ceilings: dict[int, int]) -> None:
    """A task-based contract's instalments for every year with an agreed sum, rewritten from
    its terms (so a change of sum, period or frequency cannot leave an old schedule)."""
    assert contract.id is not None
    session.execute(
        delete(ContractInstalment).where(col(ContractInstalment.contract_id) == contract.id)
    )
    if contract.funding_form != "task-based":
        return
    for year, cents in sorted(ceilings.items()):
        months = months_in_force(contract.starts_on, contract.ends_on, year)
        schedule = instalment_schedule(cents, months, contract.instalments or "monthly")
        session.add_all(
            ContractInstalment(contract_id=contract.id, year=year, month=m, amount_cents=c)
            for m, c in schedule.items()
        )


def _audit(
    session: Session, user: str, action: str, reference: str, detail: dict[str, Any]
) -> None:
    session.add(
        AuditEvent(
            at=datetime.now(UTC),
            actor=user,
            role="finance",
            partnership_name=None,
            action=action,
            target=f"contract/{reference}",
            detail=detail,
        )
    )


def create_contract(
    session: Session, data: ContractInput, user: str, reason: str = "registered"
) -> ContractView:
    """Register a contract (version 1); the caller commits."""
    if session.execute(
        select(col(Contract.id)).where(col(Contract.reference) == data.reference)
    ).first():
        raise ConflictError(f"contract {data.reference} exists already; change it instead")
    lot = _check(session, data, None)
    assert lot.id is not None
    now = datetime.now(UTC)
    contract = Contract(
        reference=data.reference,
        lot_id=lot.id,
        partnership_name=data.partnership or lot.partnership_name,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        extendable_to=data.extendable_to,
        funding_form=data.funding_form,
        indexation_basis_points=data.indexation_basis_points,
        segment=data.segment,
        product_codes=sorted(set(data.product_codes)),
        municipalities=sorted(set(data.municipalities)),
        start_percent=data.start_percent,
        instalments=_frequency(data),
        version=1,
        created_at=now,
        created_by=user,
        changed_at=now,
        changed_by=user,
    )
    session.add(contract)
    session.flush()
    assert contract.id is not None
    for year, cents in sorted(data.ceilings_cents.items()):
        session.add(ContractCeiling(contract_id=contract.id, year=year, ceiling_cents=cents))
    _write_schedule(session, contract, data.ceilings_cents)
    session.flush()
    view = _view(session, contract)
    session.add(
        ContractVersion(
            contract_id=contract.id,
            version=1,
            changed_at=now,
            changed_by=user,
            reason=reason,
            state=_state(view),
            changes={},
        )
    )
    _audit(session, user, "contract.create", data.reference, {"reason": reason, **_state(view)})
    session.flush()
    return view


def change_contract(
    session: Session, reference: str, change: ContractChange, user: str, reason: str
) -> ContractView:
    """Apply ``change`` as the next version; the caller commits. A change that changes
    nothing is refused, so the history only holds real changes."""
    if not reason.strip():
        raise DataError("reason: say why the contract changes")
    contract = get_contract(session, reference)
    assert contract.id is not None
    before = _view(session, contract)
    ceilings = dict(before.ceilings_cents)
    if change.ceilings_cents:
        ceilings.update(change.ceilings_cents)
    data = ContractInput(
        reference=reference,
        lot=change.lot or before.lot,
        partnership=change.partnership or before.partnership,
        starts_on=change.starts_on or before.starts_on,
        ends_on=change.ends_on or before.ends_on,
        extendable_to=change.extendable_to or before.extendable_to,
        funding_form=change.funding_form or before.funding_form,
        ceilings_cents=ceilings,
        indexation_basis_points=(
            before.indexation_basis_points
            if change.indexation_basis_points is None
            else change.indexation_basis_points
        ),
        segment=change.segment or before.segment,
        product_codes=(
            before.product_codes if change.product_codes is None else change.product_codes
        ),
        municipalities=(
            before.municipalities if change.municipalities is None else change.municipalities
        ),
        start_percent=(
            before.start_percent if change.start_percent is None else change.start_percent
        ),
        instalments=change.instalments or before.instalments,
    )
    if data.funding_form != "output-based-trajectory":
        data = replace(data, start_percent=None)
    if data.funding_form != "task-based":
        data = replace(data, instalments=None)
    lot = _check(session, data, contract.id)
    assert lot.id is not None
    partnership = data.partnership or lot.partnership_name
    since = _takeover_date(reference, data, before, partnership, change.partnership_from)
    now = datetime.now(UTC)
    after = replace(
        before,
        lot=lot_reference(lot),
        municipality=lot.municipality_code,
        area=lot.area_code,
        partnership=partnership,
        partnership_from=since,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        extendable_to=data.extendable_to,
        funding_form=data.funding_form,
        ceilings_cents=ceilings,
        indexation_basis_points=data.indexation_basis_points,
        segment=data.segment,
        product_codes=tuple(sorted(set(data.product_codes))),
        municipalities=tuple(sorted(set(data.municipalities))),
        start_percent=data.start_percent,
        instalments=_frequency(data),
    )
    old, new = _state(before), _state(after)
    changes = {k: [old[k], new[k]] for k in new if old.get(k) != new[k]}
    if not changes:
        raise DataError(f"contract {reference}: the change changes nothing")
    contract.lot_id = lot.id
    contract.partnership_name = after.partnership
    contract.starts_on = after.starts_on
    contract.ends_on = after.ends_on
    contract.extendable_to = after.extendable_to
    contract.funding_form = after.funding_form
    contract.indexation_basis_points = after.indexation_basis_points
    contract.segment = after.segment
    contract.product_codes = list(after.product_codes)
    contract.municipalities = list(after.municipalities)
    contract.start_percent = after.start_percent
    contract.instalments = after.instalments
    contract.version += 1
    contract.changed_at = now
    contract.changed_by = user
    session.add(contract)
    if change.ceilings_cents:
        session.execute(
            delete(ContractCeiling).where(
                col(ContractCeiling.contract_id) == contract.id,
                col(ContractCeiling.year).in_(list(change.ceilings_cents)),
            )
        )
        for year, cents in sorted(change.ceilings_cents.items()):
            session.add(ContractCeiling(contract_id=contract.id, year=year, ceiling_cents=cents))
    _write_schedule(session, contract, ceilings)
    session.add(
        ContractVersion(
            contract_id=contract.id,
            version=contract.version,
            changed_at=now,
            changed_by=user,
            reason=reason,
            state=new,
            changes=changes,
        )
    )
    _audit(session, user, "contract.change", reference, {"reason": reason, "changes": changes})
    session.flush()
    return replace(after, version=contract.version, changed_at=now, changed_by=user)


def _frequency(data: ContractInput) -> str | None:
    """How a task-based contract pays (monthly unless said); None for the other forms."""
    if data.funding_form != "task-based":
        return None
    return data.instalments or INSTALMENT_FREQUENCIES[0]


def _takeover_date(
    reference: str,
    data: ContractInput,
    before: ContractView,
    partnership: str,
    since: date | None,
) -> date | None:
    """Since when ``partnership`` holds the contract after the change.

    A new partnership takes over on the first of a month, so a month of spending has one
    holder; a date on or before the contract's start corrects who it was registered to.
    """
    if partnership == before.partnership:
        if since is not None:
            raise DataError(
                f"contract {reference}: partnership_from is the date a new partnership takes "
                f"over; {partnership} holds the contract already"
            )
        return before.partnership_from
    if since is None:
        raise DataError(
            f"contract {reference}: partnership_from is required with a new partnership: the "
            "first day it holds the contract (the first of a month), so that earlier spending "
            f"stays with {before.partnership}"
        )
    if since <= data.starts_on:
        return data.starts_on
    if since > data.ends_on:
        raise DataError(
            f"contract {reference}: partnership_from {since} lies after the contract ends "
            f"({data.ends_on})"
        )
    if since.day != 1:
        raise DataError(
            f"contract {reference}: partnership_from {since} is not the first of a month; a "
            "new partnership takes over on the first of a month"
        )
    return since


def contract_holdings(
    session: Session, contract_id: int | None = None
) -> dict[int, list[tuple[str, date | None]]]:
    """Who held each contract (or the one given) from when: ``(partnership, since)`` in order.
    The first holder holds it from before its start, whatever its ``since`` (None, or the start
    when a correction replaced the registered partnership).

    Read from the history: a version that names another partnership starts a holding on its
    ``partnership_from``, and a retroactive one ends every holding that started on or after
    it. A version written before takeovers were dated counts from the first of the month after
    it was recorded, the earliest the change can have been known.
    """
    query = select(
        col(ContractVersion.contract_id),
        col(ContractVersion.changed_at),
        col(ContractVersion.state),
    ).order_by(col(ContractVersion.contract_id), col(ContractVersion.version))
    if contract_id is not None:
        query = query.where(col(ContractVersion.contract_id) == contract_id)
    holdings: dict[int, list[tuple[str, date | None]]] = defaultdict(list)
    for cid, changed_at, state in session.execute(query):
        held = holdings[int(cid)]
        partnership = str(state["partnership"])
        if not held:
            held.append((partnership, None))
            continue
        if partnership == held[-1][0]:
            continue
        recorded = state.get("partnership_from")
        if recorded:
            since = date.fromisoformat(recorded)
        else:
            day = changed_at.date()
            since = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        starts_on = date.fromisoformat(state["starts_on"])
        if since <= starts_on:
            held[:] = [(partnership, starts_on)]  # a correction: held it from the start
            continue
        while len(held) > 1 and (held[-1][1] or date.min) >= since:
            held.pop()
        if held[-1][0] != partnership:
            held.append((partnership, since))
    return dict(holdings)


def list_contracts(session: Session, year: int | None = None) -> list[ContractView]:
    """Every contract (in force in ``year`` if given), by lot and start."""
    views = [_view(session, c) for c in session.execute(select(Contract)).scalars()]
    if year is not None:
        views = [v for v in views if v.in_force(year)]
    return sorted(views, key=lambda v: (v.municipality, v.lot, v.starts_on, v.reference))


def contract_history(session: Session, reference: str) -> list[ContractVersion]:
    contract = get_contract(session, reference)
    return list(
        session.execute(
            select(ContractVersion)
            .where(col(ContractVersion.contract_id) == contract.id)
            .order_by(col(ContractVersion.version))
        ).scalars()
    )
