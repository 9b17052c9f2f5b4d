"""The HTTP application: controllers, authentication, error mapping, one session per request.

``create_app()`` wires everything in one place: every controller under ``/api``, the bearer
authentication middleware and the one guard that applies each route's declared policy
(:mod:`populatie.auth.access`), problem details for every error (:mod:`populatie.api.problems`)
and the OpenAPI document at ``/schema``.
"""

from __future__ import annotations

import gc
from typing import Any

from litestar import Litestar, get
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsPlugin
from sqlalchemy import Engine

from populatie import __version__
from populatie.allocations.controllers import BudgetController, RunController
from populatie.api import schemas
from populatie.api.allow import AllowHeader
from populatie.api.budgets import BudgetReader
from populatie.api.controllers import ExportController
from populatie.api.deps import provide_session
from populatie.api.docs import openapi_asset, render_plugins
from populatie.api.nul_guard import NulGuard
from populatie.api.openapi import RequestBodySchemaPlugin
from populatie.api.pagination import provide_window
from populatie.api.problems import EXCEPTION_TO_PROBLEM
from populatie.auth.access import (
    PUBLIC,
    SECURITY_SCHEME,
    BearerAuthMiddleware,
    PrincipalResolver,
    access,
    authorize,
    check_policies,
    provide_principal,
)
from populatie.auth.controllers import AuditController
from populatie.budget_totals.controllers import BudgetTotalsController
from populatie.contracts.controllers import (
    ContractController,
    ContractHistoryController,
    ContractTariffController,
)
from populatie.cost_sharing.controllers import ContractSharesController, CostSharingController
from populatie.council_reports.controllers import CouncilReportController
from populatie.db import get_engine
from populatie.districts.controllers import DistrictController, MunicipalityController
from populatie.dossiers.controllers import DossierController, DossierFileController
from populatie.dossiers.pages import dossier_page_router
from populatie.kpis.controllers import KpiController
from populatie.kpis.pages import kpi_page_router
from populatie.planning.controllers import EstimateController, SensitivityController
from populatie.proposals.controllers import ProposalController, ProposalListController
from populatie.providers.controllers import MembershipController, ProviderController
from populatie.reconciliation.controllers import ReconciliationController
from populatie.registry.controllers import AreaController, LotController, PartnershipController
from populatie.segments.controllers import SegmentController
from populatie.settings import Settings, get_settings
from populatie.spending.controllers import SpendingController
from populatie.web import WebPlugin

OPENAPI_PATH = "/schema"
CONTROLLERS: list[Any] = [
    MunicipalityController,
    DistrictController,
    AreaController,
    PartnershipController,
    LotController,
    BudgetController,
    BudgetTotalsController,
    RunController,
    ProposalController,
    ProposalListController,
    ContractController,
    ContractHistoryController,
    ContractSharesController,
    CostSharingController,
    ContractTariffController,
    SpendingController,
    ReconciliationController,
    ExportController,
    AuditController,
    ProviderController,
    MembershipController,
    SegmentController,
    KpiController,
    EstimateController,
    SensitivityController,
    DossierController,
    DossierFileController,
    CouncilReportController,
]

__all__ = ["CONTROLLERS", "create_app"]


@get("/api/health", operation_id="Health", tags=["meta"], **access(PUBLIC))
async def health() -> schemas.Health:
    return schemas.Health(status="ok", version=__version__)


_heap_frozen = False


def freeze_heap() -> None:
    """Leave what import and start-up made (the geodata libraries, the app) out of garbage
    collection, once per process: a full collection then walks only what requests made, and no
    longer pauses every request in flight for tens of milliseconds."""
    global _heap_frozen
    if not _heap_frozen:
        gc.collect()
        gc.freeze()
        _heap_frozen = True


def create_app(
    engine: Engine | None = None,
    settings: Settings | None = None,
    *,
    extra_handlers: list[Any] | None = None,
) -> Litestar:
    """The app over ``engine`` (default: the configured database)."""
    allow = AllowHeader()
    app = Litestar(
        route_handlers=[
            health,
            openapi_asset,
            *CONTROLLERS,
            kpi_page_router(),
            dossier_page_router(),
            *(extra_handlers or []),
        ],
        dependencies={
            "session": Provide(provide_session),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "window": Provide(provide_window, sync_to_thread=False),
        },
        middleware=[
            NulGuard(),
            DefineMiddleware(BearerAuthMiddleware, exclude=[f"^{OPENAPI_PATH}"]),
        ],
        guards=[authorize],
        plugins=[
            ProblemDetailsPlugin(
                ProblemDetailsConfig(
                    enable_for_all_http_exceptions=True,
                    exception_to_problem_detail_map=EXCEPTION_TO_PROBLEM,
                )
            ),
            WebPlugin(),
            RequestBodySchemaPlugin(),
        ],
        # Pages, their style sheets and the API's JSON shrink several times over in gzip.
        compression_config=CompressionConfig(backend="gzip", minimum_size=500),
        on_startup=[freeze_heap],
        before_send=[allow],
        openapi_config=OpenAPIConfig(
            title="populatie",
            version=__version__,
            path=OPENAPI_PATH,
            render_plugins=render_plugins(),
            description=(
                "Population-based youth-care budgets for the H10 region. Every route but "
                "/api/health needs `Authorization: Bearer <token>` (issued by `populatie tokens "
                "create`). Errors are RFC 9457 problem details with a stable `type`."
            ),
            components=Components(
                security_schemes={
                    SECURITY_SCHEME: SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="A token from `populatie tokens create --role ROLE`.",
                    )
                }
            ),
            security=[{SECURITY_SCHEME: []}],
        ),
    )
    app.state.engine = engine or get_engine()
    app.state.settings = settings or get_settings()
    app.state.principals = PrincipalResolver(app.state.engine)
    app.state.budget_reader = BudgetReader(app.state.engine)
    check_policies(app.routes)
    allow.learn(app.routes)
    return app
