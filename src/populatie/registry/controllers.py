"""Thin HTTP layer over areas, partnerships and lots.

A consortium token sees its own partnership's areas and lots only; another partnership's area
code answers 404, exactly as a code that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.openapi.spec import Example
from litestar.params import FromPath, FromQuery, PathParameter, QueryParameter

from populatie.api import registry, schemas
from populatie.api.budgets import BudgetReader
from populatie.api.deps import Caller, DbSession, Paging
from populatie.auth.access import READ, READ_SCOPED, access
from populatie.auth.tokens import Principal

MunicipalityFilter = Annotated[
    str | None, QueryParameter(pattern=r"^GM\d{4}$", description="Only this municipality (GMnnnn)")
]
LotPath = Annotated[
    str,
    PathParameter(
        description="The lot's reference, municipality/number (or its numeric id)",
        examples=[Example(value="GM0518/1")],
    ),
]
YearFilter = Annotated[int | None, QueryParameter(ge=1900, le=2200, description="Budget year")]


class AreaController(Controller):
    path = "/api/areas"
    tags = ["registry"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", operation_id="ListAreas", sync_to_thread=True, **access(READ_SCOPED))
    def list_areas(
        self,
        session: DbSession,
        principal: Caller,
        window: Paging,
        municipality: MunicipalityFilter = None,
        partnership: FromQuery[str | None] = None,
    ) -> schemas.AreaPage:
        return registry.list_areas(session, window, principal.scope, municipality, partnership)

    @get("/{code:str}", operation_id="GetArea", sync_to_thread=True, **access(READ_SCOPED))
    def get_area(self, session: DbSession, principal: Caller, code: FromPath[str]) -> schemas.Area:
        return registry.get_area(session, code, principal.scope)

    @get(
        "/{code:str}/budget",
        operation_id="GetAreaBudget",
        description="The adopted allocation per domain, for the newest year with an adoption "
        "unless `year` is given.",
        **access(READ_SCOPED),
    )
    async def get_budget(
        self, request: Request[Principal, Any, Any], code: FromPath[str], year: YearFilter = None
    ) -> schemas.AreaBudget:
        # the hottest read: answered from memory on the event loop, without a session
        reader: BudgetReader = request.app.state.budget_reader
        return await reader.area_budget(code, request.user.scope, year)


class PartnershipController(Controller):
    path = "/api/partnerships"
    tags = ["registry"]  # noqa: RUF012

    @get("/", operation_id="ListPartnerships", sync_to_thread=True, **access(READ))
    def list_partnerships(self, session: DbSession, window: Paging) -> schemas.PartnershipPage:
        return registry.list_partnerships(session, window)

    @get("/{name:str}", operation_id="GetPartnership", sync_to_thread=True, **access(READ))
    def get_partnership(self, session: DbSession, name: FromPath[str]) -> schemas.Partnership:
        return registry.get_partnership(session, name)


class LotController(Controller):
    path = "/api/lots"
    tags = ["registry"]  # noqa: RUF012

    @get("/", operation_id="ListLots", sync_to_thread=True, **access(READ_SCOPED))
    def list_lots(
        self,
        session: DbSession,
        principal: Caller,
        window: Paging,
        municipality: MunicipalityFilter = None,
    ) -> schemas.LotPage:
        return registry.list_lots(session, window, principal.scope, municipality)

    @get(
        "/{lot:path}",
        operation_id="GetLot",
        sync_to_thread=True,
        description="A lot by its reference, `GM0518/1` (the slash may be sent as `%2F`), as "
        "contracts and spending files name it; its numeric `id` is accepted too.",
        **access(READ_SCOPED),
    )
    def get_lot(self, session: DbSession, principal: Caller, lot: LotPath) -> schemas.Lot:
        return registry.get_lot(session, lot.lstrip("/"), principal.scope)
