"""Thin HTTP layer over council reports: finance creates; finance, planners and the auditor
list and download. A consortium gets 404 on all of it: a council report is the municipality's
account of every partnership in it, not a partnership's own data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import PathParameter, QueryParameter, RequestBody
from msgspec import Meta, Struct
from sqlmodel import Session

from populatie.api.deps import Caller, DbSession
from populatie.auth.access import FINANCE, READ, access
from populatie.configuration import load_config
from populatie.council_reports.models import CouncilReport
from populatie.council_reports.service import (
    create_report,
    export_report,
    file_name,
    get_report,
    list_reports,
)
from populatie.kpis.service import register_of

__all__ = ["CouncilReportController"]

MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Ids are the database's integers: anything past them is refused as a bad path, not tried.
ReportId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="The council report's id")]


class CouncilReportCreate(Struct, kw_only=True):
    municipality: Annotated[str, Meta(pattern=r"^GM\d{4}$", examples=["GM0518"])]
    year: Annotated[int, Meta(ge=2000, le=2099)]
    to_month: Annotated[int, Meta(ge=1, le=12)] = 12


class CouncilReportOut(Struct, kw_only=True):
    id: int
    municipality: str
    year: int
    to_month: int
    content_hash: str
    created_at: datetime
    created_by: str
    created: bool | None = None


class CouncilReportPage(Struct, kw_only=True):
    items: list[CouncilReportOut]
    total: int


def _out(r: CouncilReport, created: bool | None = None) -> CouncilReportOut:
    assert r.id is not None
    return CouncilReportOut(
        id=r.id,
        municipality=r.municipality_code,
        year=r.year,
        to_month=r.to_month,
        content_hash=r.content_hash,
        created_at=r.created_at,
        created_by=r.created_by,
        created=created,
    )


class CouncilReportController(Controller):
    path = "/api/council-reports"
    tags = ["council reports"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @post(
        "/",
        operation_id="CreateCouncilReport",
        status_code=200,
        sync_to_thread=True,
        description="Freeze a municipality's adopted run, reconciliation and KPIs for a year up "
        "to a month; the same content a second time answers the report stored before.",
        **access(FINANCE, errors=[422]),
    )
    def create(
        self,
        request: Request[Any, Any, Any],
        principal: Caller,
        data: RequestBody[CouncilReportCreate],
    ) -> CouncilReportOut:
        settings = request.app.state.settings
        outcome = create_report(
            request.app.state.engine,
            data.municipality,
            data.year,
            data.to_month,
            register_of(settings.config_dir),
            load_config(settings.config_dir),
            actor=principal.actor,
            role=principal.role.value,
        )
        return _out(outcome.report, outcome.created)

    @get(
        "/",
        operation_id="ListCouncilReports",
        sync_to_thread=True,
        description="The stored council reports, newest first.",
        **access(READ),
    )
    def list(
        self,
        session: DbSession,
        municipality: Annotated[str | None, QueryParameter(pattern=r"^GM\d{4}$")] = None,
    ) -> CouncilReportPage:
        items = [_out(r) for r in list_reports(session, municipality)]
        return CouncilReportPage(items=items, total=len(items))

    @get(
        "/{report_id:int}/pdf",
        operation_id="DownloadCouncilReportPdf",
        sync_to_thread=True,
        media_type=MEDIA["pdf"],
        description="The report as PDF (printed by headless Chromium), rendered from its "
        "stored snapshot: the same bytes whenever it is downloaded.",
        **access(READ),
    )
    def pdf(self, session: DbSession, report_id: ReportId) -> Response[bytes]:
        return _file(_stored(session, report_id), "pdf")

    @get(
        "/{report_id:int}/xlsx",
        operation_id="DownloadCouncilReportXlsx",
        sync_to_thread=True,
        media_type=MEDIA["xlsx"],
        description="The report as a Dutch workbook, rendered from its stored snapshot: the "
        "same bytes whenever it is downloaded.",
        **access(READ),
    )
    def xlsx(self, session: DbSession, report_id: ReportId) -> Response[bytes]:
        return _file(_stored(session, report_id), "xlsx")


def _file(report: CouncilReport, fmt: Literal["pdf", "xlsx"]) -> Response[bytes]:
    return Response(
        export_report(report, fmt),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{file_name(report, fmt)}"'},
    )


def _stored(session: Session, report_id: int) -> CouncilReport:
    report = get_report(session, report_id)
    session.expunge(report)
    return report
