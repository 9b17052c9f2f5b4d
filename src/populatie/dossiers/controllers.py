"""Thin HTTP layer over the dossier: ``/api/contract-dossiers/{reference}`` (JSON) and
``/api/contract-dossier-files/{reference}`` (the one document, a workbook).

Their own prefixes, because ``/api/contracts/{reference:path}`` takes the rest of its path.
Finance, planners and the auditor read every contract's dossier; a consortium its own
contracts' (with small counts withheld), and another's is not found.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, QueryParameter

from populatie.api.deps import Caller, DbSession
from populatie.auth.access import READ_SCOPED, access
from populatie.configuration import load_config
from populatie.dossiers import schemas
from populatie.dossiers.render import dossier_xlsx
from populatie.dossiers.service import contract_dossier
from populatie.kpis.service import register_of

__all__ = ["DossierController", "DossierFileController", "MilestoneYear", "build", "who_of"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MilestoneYear = Annotated[
    int | None,
    QueryParameter(
        ge=2000, le=2099, description="The milestone's year (default: the next go/no-go moment)"
    ),
]


def build(
    request: Request[Any, Any, Any],
    session: DbSession,
    principal: Caller,
    reference: str,
    milestone: int | None,
) -> schemas.Dossier:
    settings = request.app.state.settings
    return contract_dossier(
        session,
        reference,
        milestone,
        principal.scope,
        register_of(settings.config_dir),
        load_config(settings.config_dir),
    )


def who_of(principal: Caller) -> str:
    from populatie.web.formatting import ROLE_LABELS

    if principal.partnership is not None:
        return f"samenwerkingsverband {principal.partnership}"
    return ROLE_LABELS[principal.role.value]


def file_name(dossier: schemas.Dossier, suffix: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in dossier.contract.reference)
    return f"go-no-go-dossier-{safe}-{dossier.milestone.year}.{suffix}"


class DossierController(Controller):
    path = "/api/contract-dossiers"
    tags = ["contracts"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/{reference:path}",
        operation_id="GetContractDossier",
        sync_to_thread=True,
        description="A contract's go/no-go dossier for one of its milestones: spending against "
        "the ceiling per year up to the milestone, its partnership's KPIs against their norms "
        "(every segment: contracts carry none), and its open exceptions.",
        **access(READ_SCOPED, errors=[422]),
    )
    def get_dossier(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        reference: FromPath[str],
        milestone: MilestoneYear = None,
    ) -> schemas.Dossier:
        return build(request, session, principal, reference.lstrip("/"), milestone)


class DossierFileController(Controller):
    path = "/api/contract-dossier-files"
    tags = ["contracts"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/{reference:path}",
        operation_id="ExportContractDossier",
        sync_to_thread=True,
        description="The dossier as one Dutch workbook (the printable page is /dossier.html).",
        media_type=XLSX,
        **access(READ_SCOPED, errors=[422]),
    )
    def export(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        reference: FromPath[str],
        milestone: MilestoneYear = None,
    ) -> Response[bytes]:
        dossier = build(request, session, principal, reference.lstrip("/"), milestone)
        return Response(
            dossier_xlsx(dossier, datetime.now(UTC)),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{file_name(dossier, "xlsx")}"'},
        )
