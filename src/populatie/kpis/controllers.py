"""Thin HTTP layer over the KPIs: the register, the views, the export, and the import.

Every view is scoped: a consortium sees its own partnership, with counts under 10 withheld
(:mod:`populatie.kpis.views`); finance, planners and the auditor see all. Finance imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter

from populatie.api.deps import Caller, DbSession
from populatie.auth.access import FINANCE, READ, READ_SCOPED, access
from populatie.kpis import schemas, views
from populatie.kpis.register import Register
from populatie.kpis.service import import_figures, register_of
from populatie.spending.controllers import MAX_UPLOAD_BYTES, upload_name

CSV = "text/csv"
Code = Annotated[str | None, QueryParameter(max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")]
SegmentCode = Annotated[
    str, QueryParameter(max_length=40, pattern=r"^[A-Za-z0-9_\-]+$", description="Segment")
]
KpiCode = Annotated[str, QueryParameter(max_length=40, pattern=r"^[a-z0-9_]+$", description="KPI")]
Year = Annotated[int | None, QueryParameter(ge=2000, le=2099, description="Year")]
Period = Annotated[
    str | None,
    QueryParameter(pattern=r"^20\d{2}-(0[1-9]|1[0-2]|Q[1-4])$", description="2026-03 or 2026-Q1"),
]
Category = Annotated[str | None, QueryParameter(pattern=r"^\d{2}$", description="iJw category")]
PartnershipFilter = Annotated[
    str | None,
    QueryParameter(max_length=200, description="Only this partnership (a consortium: its own)"),
]


def _register(request: Request[Any, Any, Any]) -> Register:
    return register_of(request.app.state.settings.config_dir)


@dataclass
class FigureUploadForm:
    """A file of aggregated figures: CSV or XLSX (see the README for its columns)."""

    file: UploadFile


class KpiController(Controller):
    path = "/api/kpis"
    tags = ["kpis"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/register",
        operation_id="ListKpis",
        sync_to_thread=True,
        description="The KPI register: definitions, units, directions, norms (illustrative "
        "ones marked) and sources.",
        **access(READ),
    )
    def list_kpis(self, request: Request[Any, Any, Any]) -> schemas.KpiRegister:
        return views.register_view(_register(request))

    @get(
        "/",
        operation_id="GetKpiOverview",
        sync_to_thread=True,
        description="Each KPI per partnership and segment against its norm, with its trend.",
        **access(READ_SCOPED),
    )
    def get_overview(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        segment: Code = None,
        kpi: Code = None,
        year: Year = None,
        partnership: PartnershipFilter = None,
    ) -> schemas.Overview:
        return views.overview(
            session,
            _register(request),
            principal.scope,
            segment=segment,
            kpi=kpi,
            year=year,
            partnership=partnership,
        )

    @get(
        "/signals",
        operation_id="ListKpiSignals",
        sync_to_thread=True,
        description="KPIs outside their norm for two consecutive periods, with the evidence.",
        **access(READ_SCOPED),
    )
    def list_signals(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        segment: Code = None,
        year: Year = None,
    ) -> schemas.SignalList:
        return views.signal_list(
            session, _register(request), principal.scope, segment=segment, year=year
        )

    @get(
        "/funnel",
        operation_id="GetKpiFunnel",
        sync_to_thread=True,
        description="The providers of a segment as a funnel plot of one share, with 95 % and "
        "99.8 % control limits.",
        **access(READ_SCOPED),
    )
    def get_funnel(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        kpi: KpiCode = "dropout",
        segment: SegmentCode = "B",
        period: Period = None,
        category: Category = None,
    ) -> schemas.Funnel:
        return views.funnel_view(
            session,
            _register(request),
            principal.scope,
            kpi=kpi,
            segment=segment,
            period=period,
            category=category or "",
        )

    @get(
        "/providers",
        operation_id="CompareKpiProviders",
        sync_to_thread=True,
        description="Each provider per period of a year (default: the newest) beside its own "
        "figure a year before and its peers.",
        **access(READ_SCOPED),
    )
    def compare_providers(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        kpi: KpiCode = "cost_per_client",
        segment: SegmentCode = "B",
        year: Year = None,
    ) -> schemas.ProviderComparison:
        return views.provider_comparison(
            session, _register(request), principal.scope, kpi=kpi, segment=segment, year=year
        )

    @get(
        "/export.csv",
        operation_id="ExportKpisCsv",
        media_type=CSV,
        sync_to_thread=True,
        description="The overview as CSV; a withheld figure is written as x.",
        **access(READ_SCOPED),
    )
    def export(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        segment: Code = None,
        year: Year = None,
    ) -> Response[bytes]:
        view = views.overview(
            session, _register(request), principal.scope, segment=segment, year=year
        )
        return Response(
            views.export_csv(view),
            media_type=CSV,
            headers={"Content-Disposition": 'attachment; filename="kpis.csv"'},
        )

    @post(
        "/figures",
        operation_id="ImportKpiFigures",
        status_code=200,
        sync_to_thread=True,
        request_max_body_size=MAX_UPLOAD_BYTES,
        description="Import a file of aggregated figures (CSV or XLSX): all or nothing; the "
        "same file twice is a no-op.",
        **access(FINANCE, errors=[422]),
    )
    def upload(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        data: Annotated[FigureUploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> schemas.FigureImport:
        outcome = import_figures(
            request.app.state.engine,
            data.file.file.read(),
            upload_name(data.file.filename),
            _register(request),
            actor=principal.actor,
            role=principal.role.value,
        )
        return schemas.FigureImport(
            imported=outcome.imported,
            import_id=outcome.import_id,
            content_hash=outcome.content_hash,
            file_name=outcome.file_name,
            rows=outcome.rows,
        )
