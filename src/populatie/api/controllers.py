"""Thin HTTP layer over the exports: files for spreadsheets and maps, scoped like the JSON."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from populatie.api import exports
from populatie.api.deps import Caller, DbSession
from populatie.api.spending import reconciliation
from populatie.auth.access import READ_SCOPED, access
from populatie.configuration import load_config
from populatie.dutch_sheets import Lang

YearFilter = Annotated[int | None, QueryParameter(ge=1900, le=2200, description="Budget year")]
Year = Annotated[int, QueryParameter(ge=2000, le=2099, description="Budget year")]
ToMonth = Annotated[int | None, QueryParameter(ge=1, le=12, description="Up to this month")]
Language = Annotated[
    Lang,
    QueryParameter(
        description="`nl` (default): as Dutch Excel opens it (euro, `;`, decimal comma, BOM; "
        "Dutch headers and sheets). `en`: the English machine format (cents, `,`).",
    ),
]
CSV = "text/csv"
GEOJSON = "application/geo+json"


def _file(content: bytes | str, media_type: str, name: str) -> Response[bytes]:
    body = content.encode() if isinstance(content, str) else content
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class ExportController(Controller):
    path = "/api/exports"
    tags = ["exports"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/budgets.csv",
        operation_id="ExportBudgetsCsv",
        media_type=CSV,
        sync_to_thread=True,
        **access(READ_SCOPED),
    )
    def budgets_csv(
        self, session: DbSession, principal: Caller, year: YearFilter = None, lang: Language = "nl"
    ) -> Response[bytes]:
        content = exports.budgets_csv(session, principal.scope, year, lang)
        return _file(content, CSV, "budgets.csv")

    @get(
        "/budgets.xlsx",
        operation_id="ExportBudgetsXlsx",
        media_type=exports.XLSX_MEDIA_TYPE,
        sync_to_thread=True,
        **access(READ_SCOPED),
    )
    def budgets_xlsx(
        self, session: DbSession, principal: Caller, year: YearFilter = None, lang: Language = "nl"
    ) -> Response[bytes]:
        content = exports.budgets_xlsx(session, principal.scope, year, lang)
        return _file(content, exports.XLSX_MEDIA_TYPE, "budgets.xlsx")

    @get(
        "/budgets.geojson",
        operation_id="ExportBudgetsGeojson",
        media_type=GEOJSON,
        sync_to_thread=True,
        description="Each district of the areas (newest boundary, WGS84) with its area's "
        "adopted budget (newest year unless `year` is given).",
        **access(READ_SCOPED),
    )
    def budgets_geojson(
        self, session: DbSession, principal: Caller, year: YearFilter = None
    ) -> dict[str, Any]:
        return exports.budgets_geojson(session, principal.scope, year)

    @get(
        "/reconciliation.csv",
        operation_id="ExportReconciliationCsv",
        media_type=CSV,
        sync_to_thread=True,
        **access(READ_SCOPED, errors=[422]),
    )
    def reconciliation_csv(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        year: Year,
        to_month: ToMonth = None,
        lang: Language = "nl",
    ) -> Response[bytes]:
        config = load_config(request.app.state.settings.config_dir)
        result = reconciliation(session, year, to_month, principal.scope, config)
        name = f"reconciliation-{result.year}-{result.to_month:02d}.csv"
        return _file(exports.reconciliation_csv(result, lang), CSV, name)

    @get(
        "/reconciliation.xlsx",
        operation_id="ExportReconciliationXlsx",
        media_type=exports.XLSX_MEDIA_TYPE,
        sync_to_thread=True,
        **access(READ_SCOPED, errors=[422]),
    )
    def reconciliation_xlsx(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        year: Year,
        to_month: ToMonth = None,
        lang: Language = "nl",
    ) -> Response[bytes]:
        config = load_config(request.app.state.settings.config_dir)
        result = reconciliation(session, year, to_month, principal.scope, config)
        name = f"reconciliation-{result.year}-{result.to_month:02d}.xlsx"
        content = exports.reconciliation_xlsx(result, lang)
        return _file(content, exports.XLSX_MEDIA_TYPE, name)
