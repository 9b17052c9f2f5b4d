"""Thin HTTP layer over reconciliation: the same content as ``populatie reconcile``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import PathParameter, QueryParameter, RequestBody

from populatie.api import schemas
from populatie.api.deps import Caller, DbSession
from populatie.api.spending import reconciliation, reconciliation_json
from populatie.auth.access import FINANCE, READ_SCOPED, access
from populatie.configuration import load_config
from populatie.reconciliation.handling import mark_handled

Year = Annotated[int, QueryParameter(ge=2000, le=2099, description="Budget year")]
PathYear = Annotated[int, PathParameter(ge=2000, le=2099, description="Budget year")]
ExceptionKey = Annotated[
    str, PathParameter(pattern=r"^[0-9a-f]{20}$", description="The exception's ``key``")
]
ToMonth = Annotated[
    int | None,
    QueryParameter(ge=1, le=12, description="Up to and including this month (default: last)"),
]


class ReconciliationController(Controller):
    path = "/api/reconciliation"
    tags = ["reconciliation"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/",
        operation_id="GetReconciliation",
        sync_to_thread=True,
        description="Per contract, lot, area and domain: allocated, ceiling, spent, forecast, "
        "remaining, variance, status; and the exceptions with their evidence. A consortium "
        "gets its own lines and the exceptions about its own lots and contracts.",
        **access(READ_SCOPED, errors=[422]),
    )
    def get_reconciliation(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        year: Year,
        to_month: ToMonth = None,
    ) -> schemas.Reconciliation:
        config = load_config(request.app.state.settings.config_dir)
        result = reconciliation(session, year, to_month, principal.scope, config)
        return reconciliation_json(result)

    @post(
        "/{year:int}/exceptions/{key:str}/handling",
        operation_id="MarkExceptionHandled",
        status_code=200,
        sync_to_thread=True,
        description="Mark an exception of the year's reconciliation handled, with a note "
        "(replacing an earlier mark); audited. The mark is kept under the exception's stable "
        "key, so it stays when the reconciliation runs again.",
        **access(FINANCE, errors=[404, 422]),
    )
    def mark_handled(
        self,
        session: DbSession,
        principal: Caller,
        year: PathYear,
        key: ExceptionKey,
        data: RequestBody[schemas.ExceptionHandlingCreate],
    ) -> schemas.ExceptionHandling:
        mark = mark_handled(session, year, key, data.note, principal)
        return schemas.ExceptionHandling(
            key=mark.key,
            year=mark.year,
            kind=mark.kind,
            subject=mark.subject,
            note=mark.note,
            handled_at=mark.handled_at,
            handled_by=mark.handled_by,
        )
