"""The audit log: who wrote what, when — added in the same transaction as the write itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.auth.models import AuditEvent

if TYPE_CHECKING:
    from populatie.auth.tokens import Principal  # which records events with this module

#: How a service that writes versions records each in the audit log: ``(action, target,
#: detail)``, with the who already bound (:func:`caller_audit`, :func:`cli_audit`).
Audit = Callable[[str, str, dict[str, Any]], None]


def record_event(
    session: Session,
    *,
    actor: str,
    role: str,
    partnership: str | None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the caller's unit of work (it commits or rolls back with it)."""
    event = AuditEvent(
        at=datetime.now(UTC),
        actor=actor,
        role=role,
        partnership_name=partnership,
        action=action,
        target=target,
        detail=detail or {},
    )
    session.add(event)
    session.flush()
    return event


CLI_ROLE = "cli"


def record_cli_event(
    session: Session,
    user: str,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """A write made on the command line: the actor is whoever ``POPULATIE_USER`` names, since
    the command line has no token to say who it is."""
    return record_event(
        session,
        actor=user,
        role=CLI_ROLE,
        partnership=None,
        action=action,
        target=target,
        detail=detail,
    )


def caller_audit(session: Session, principal: Principal) -> Audit:
    """The audit of a write over HTTP: the token's actor, role and partnership."""

    def write(action: str, target: str, detail: dict[str, Any]) -> None:
        record_event(
            session,
            actor=principal.actor,
            role=principal.role.value,
            partnership=principal.partnership,
            action=action,
            target=target,
            detail=detail,
        )

    return write


def cli_audit(session: Session, user: str) -> Audit:
    """The audit of a write on the command line (:func:`record_cli_event`)."""

    def write(action: str, target: str, detail: dict[str, Any]) -> None:
        record_cli_event(session, user, action, target, detail)

    return write


def list_events(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """Newest first, with the total that matches the filters."""
    query = select(AuditEvent)
    count = select(func.count()).select_from(AuditEvent)
    if action is not None:
        query = query.where(col(AuditEvent.action) == action)
        count = count.where(col(AuditEvent.action) == action)
    if actor is not None:
        query = query.where(col(AuditEvent.actor) == actor)
        count = count.where(col(AuditEvent.actor) == actor)
    rows = session.execute(
        query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), int(session.execute(count).scalar_one())
