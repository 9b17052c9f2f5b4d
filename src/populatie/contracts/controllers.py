"""Thin HTTP layer over contracts: a consortium sees its own partnership's only."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from populatie.api import schemas
from populatie.api.deps import Caller, DbSession, Paging
from populatie.api.spending import get_contract_in_scope, list_contract_page
from populatie.auth.access import READ_SCOPED, access

YearFilter = Annotated[
    int | None, QueryParameter(ge=2000, le=2099, description="Only contracts in force that year")
]


class ContractController(Controller):
    path = "/api/contracts"
    tags = ["contracts"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", operation_id="ListContracts", sync_to_thread=True, **access(READ_SCOPED))
    def list_contracts(
        self, session: DbSession, principal: Caller, window: Paging, year: YearFilter = None
    ) -> schemas.ContractPage:
        return list_contract_page(session, window, principal.scope, year)

    @get(
        "/{reference:path}",
        operation_id="GetContract",
        sync_to_thread=True,
        **access(READ_SCOPED),
    )
    def get_contract(
        self, session: DbSession, principal: Caller, reference: FromPath[str]
    ) -> schemas.Contract:
        return get_contract_in_scope(session, reference.lstrip("/"), principal.scope)
