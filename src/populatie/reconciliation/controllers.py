"""Thin HTTP layer over reconciliation: the same content as ``populatie reconcile``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter

from populatie.api import schemas
from populatie.api.deps import Caller, DbSession
from populatie.api.spending import reconciliation, reconciliation_json
from populatie.auth.access import READ_SCOPED, access
from populatie.configuration import load_config

Year = Annotated[int, QueryParameter(ge=2000, le=2099, description="Budget year")]
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
