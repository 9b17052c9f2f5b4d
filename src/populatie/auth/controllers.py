"""Thin HTTP layer over the audit log (finance and auditors)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromQuery

from populatie.api import schemas
from populatie.api.deps import DbSession, Paging
from populatie.auth.access import AUDIT, access
from populatie.auth.audit import list_events


class AuditController(Controller):
    path = "/api/audit"
    tags = ["audit"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/",
        operation_id="ListAuditEvents",
        sync_to_thread=True,
        description="Every write: who, what, when; newest first.",
        **access(AUDIT),
    )
    def list_events(
        self,
        session: DbSession,
        window: Paging,
        action: FromQuery[str | None] = None,
        actor: FromQuery[str | None] = None,
    ) -> schemas.AuditPage:
        events, total = list_events(
            session, action=action, actor=actor, limit=window.limit, offset=window.offset
        )
        return schemas.AuditPage(
            items=[
                schemas.AuditEntry(
                    id=int(e.id or 0),
                    at=e.at,
                    actor=e.actor,
                    role=e.role,
                    partnership=e.partnership_name,
                    action=e.action,
                    target=e.target,
                    detail=dict(e.detail),
                )
                for e in events
            ],
            total=total,
        )
