"""The finance page's exceptions: filtered by kind, municipality, lot and handled, each with
its stable key and finance's mark (who, when, note).

The filter is a GET query (``soort``, ``gemeente``, ``perceel``, ``afgehandeld``), so a
filtered list is a link one can share.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from populatie.auth.authors import author_name
from populatie.contracts.models import Contract
from populatie.core.exception_identity import (
    exception_key,
    exception_lot,
    exception_municipality,
)
from populatie.core.reconciliation import EXCEPTION_KINDS, Reconciliation
from populatie.reconciliation.handling import HandlingMark, handling_marks
from populatie.registry.models import Lot
from populatie.spending.models import SpendingMonth
from populatie.web.formatting import EXCEPTION_LABELS, date_time

__all__ = ["ExceptionFilter", "ExceptionList", "ExceptionRow", "exception_list"]

HANDLED_CHOICES = (("", "Alle"), ("nee", "Nog open"), ("ja", "Afgehandeld"))


@dataclass(frozen=True)
class ExceptionFilter:
    kind: str = ""
    municipality: str = ""
    lot: str = ""
    handled: str = ""  # "", "ja" or "nee"

    @property
    def active(self) -> bool:
        return bool(self.kind or self.municipality or self.lot or self.handled)

    @property
    def fields(self) -> list[tuple[str, str]]:
        """The filter as the page's query names it (only what is chosen)."""
        named = (
            ("soort", self.kind),
            ("gemeente", self.municipality),
            ("perceel", self.lot),
            ("afgehandeld", self.handled),
        )
        return [(name, value) for name, value in named if value]


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class ExceptionRow:
    key: str
    kind: str
    municipalities: frozenset[str]
    lot: str
    handled: bool
    handled_by: str
    handled_at: str
    note: str


@dataclass(frozen=True)
class ExceptionList:
    rows: dict[int, ExceptionRow]  # by position in the reconciliation's exceptions
    shown: list[int]
    kinds: list[Option]
    municipalities: list[Option]
    lots: list[Option]
    handled: list[Option]
    chosen: ExceptionFilter
    open_count: int


def _contract_lots(session: Session) -> dict[str, str]:
    return {
        str(ref): f"{m}/{n}"
        for ref, m, n in session.execute(
            select(col(Contract.reference), col(Lot.municipality_code), col(Lot.number)).join(
                Lot, col(Lot.id) == col(Contract.lot_id)
            )
        )
    }


def _month_municipalities(session: Session, result: Reconciliation) -> dict[int, str]:
    """The municipality of each monthly total an exception counts, for the findings that name
    none themselves (spending on a reference of no contract or lot)."""
    wanted = sorted({i for e in result.exceptions for i in e.month_ids})
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        for month_id, code in session.execute(
            select(col(SpendingMonth.id), col(SpendingMonth.municipality_code)).where(
                col(SpendingMonth.id).in_(chunk)
            )
        ):
            found[int(month_id)] = str(code)
    return found


def _row(
    key: str,
    kind: str,
    municipalities: frozenset[str],
    lot: str,
    mark: HandlingMark | None,
    handled_by: str,
) -> ExceptionRow:
    return ExceptionRow(
        key=key,
        kind=kind,
        municipalities=municipalities,
        lot=lot,
        handled=mark is not None,
        handled_by=handled_by,
        handled_at=date_time(mark.handled_at) if mark else "",
        note=mark.note if mark else "",
    )


def _keep(row: ExceptionRow, chosen: ExceptionFilter) -> bool:
    return (
        (not chosen.kind or row.kind == chosen.kind)
        and (not chosen.municipality or chosen.municipality in row.municipalities)
        and (not chosen.lot or row.lot == chosen.lot)
        and (chosen.handled != "ja" or row.handled)
        and (chosen.handled != "nee" or not row.handled)
    )


def exception_list(
    session: Session, result: Reconciliation, chosen: ExceptionFilter
) -> ExceptionList:
    """Every exception of ``result`` with its key and mark; ``shown`` the positions that pass
    the filter. The choices offered are those that occur, plus whatever was asked for."""
    marks = handling_marks(session, result.year)
    lots_of = _contract_lots(session)
    month_municipality = _month_municipalities(session, result)
    rows: dict[int, ExceptionRow] = {}
    for i, exc in enumerate(result.exceptions):
        key = exception_key(exc.kind, exc.subject, result.year)
        named = exception_municipality(exc, lots_of)
        municipalities = (
            frozenset({named})
            if named
            else frozenset(month_municipality[m] for m in exc.month_ids if m in month_municipality)
        )
        mark = marks.get(key)
        rows[i] = _row(
            key,
            exc.kind,
            municipalities,
            exception_lot(exc, lots_of) or "",
            mark,
            author_name(session, mark.handled_by) if mark else "",
        )
    shown = [i for i, row in rows.items() if _keep(row, chosen)]
    codes = sorted({m for r in rows.values() for m in r.municipalities})
    lots = sorted({r.lot for r in rows.values() if r.lot})

    def options(values: list[str], picked: str, labels: dict[str, str]) -> list[Option]:
        if picked and picked not in values:
            values = [*values, picked]
        return [Option("", "Alle", not picked)] + [
            Option(v, labels.get(v, v), v == picked) for v in values
        ]

    return ExceptionList(
        rows=rows,
        shown=shown,
        kinds=options(list(EXCEPTION_KINDS), chosen.kind, EXCEPTION_LABELS),
        municipalities=options(codes, chosen.municipality, {}),
        lots=options(lots, chosen.lot, {}),
        handled=[Option(v, label, v == chosen.handled) for v, label in HANDLED_CHOICES],
        chosen=chosen,
        open_count=sum(1 for r in rows.values() if not r.handled),
    )
