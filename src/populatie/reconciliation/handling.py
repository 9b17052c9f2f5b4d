"""Finance marks a reconciliation exception as handled, with a note.

The exception is found again by its stable identity
(:func:`populatie.core.exception_identity.exception_key`) in a fresh reconciliation of the
year, so only an exception that exists can be marked; the mark is written with its audit
event in the caller's unit of work, and stays when the reconciliation is run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from populatie.auth.models import AuditEvent
from populatie.auth.tokens import Principal
from populatie.core.exception_identity import exception_key
from populatie.core.reconciliation import Reconciliation
from populatie.errors import DataError, NotFoundError
from populatie.reconciliation.models import ExceptionHandling
from populatie.reconciliation.service import reconcile_year

__all__ = ["MAX_NOTE", "HandlingMark", "handling_marks", "mark_handled"]

MAX_NOTE = 2000


@dataclass(frozen=True)
class HandlingMark:
    key: str
    year: int
    kind: str
    subject: str
    note: str
    handled_at: datetime
    handled_by: str

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "year": self.year,
            "kind": self.kind,
            "subject": self.subject,
            "note": self.note,
            "handled_at": self.handled_at.isoformat(),
            "handled_by": self.handled_by,
        }


def _mark(row: ExceptionHandling) -> HandlingMark:
    return HandlingMark(
        key=row.key,
        year=row.year,
        kind=row.kind,
        subject=row.subject,
        note=row.note,
        handled_at=row.handled_at,
        handled_by=row.handled_by,
    )


def handling_marks(session: Session, year: int) -> dict[str, HandlingMark]:
    """The marks of ``year`` by exception key."""
    rows = session.execute(
        select(ExceptionHandling).where(col(ExceptionHandling.year) == year)
    ).scalars()
    return {row.key: _mark(row) for row in rows}


def mark_handled(
    session: Session,
    year: int,
    key: str,
    note: str,
    principal: Principal,
    result: Reconciliation | None = None,
) -> HandlingMark:
    """Mark the exception ``key`` of ``year`` handled (replacing an earlier mark); the caller
    commits. ``result`` is the year's reconciliation when the caller has it at hand."""
    text = note.strip()
    if not text:
        raise DataError("note: say how the exception was handled")
    if len(text) > MAX_NOTE:
        raise DataError(f"note: at most {MAX_NOTE} characters")
    found = result if result is not None else reconcile_year(session, year, None)
    matches = [e for e in found.exceptions if exception_key(e.kind, e.subject, year) == key]
    if not matches:
        raise NotFoundError(f"no exception {key} in the reconciliation of {year}")
    exc = matches[0]
    now = datetime.now(UTC)
    row = session.get(ExceptionHandling, key)
    if row is None:
        row = ExceptionHandling(
            key=key,
            year=year,
            kind=exc.kind,
            subject=exc.subject,
            note=text,
            handled_at=now,
            handled_by=principal.actor,
        )
    else:
        row.note, row.handled_at, row.handled_by = text, now, principal.actor
    session.add(row)
    session.add(
        AuditEvent(
            at=now,
            actor=principal.actor,
            role=principal.role.value,
            partnership_name=None,
            action="exception.handle",
            target=f"reconciliation/{year}/exception/{key}",
            detail={"kind": exc.kind, "subject": exc.subject, "note": text},
        )
    )
    session.flush()
    return _mark(row)
