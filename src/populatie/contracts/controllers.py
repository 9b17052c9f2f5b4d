"""Thin HTTP layer over contracts: a consortium sees its own partnership's only; finance
registers and changes them, each change a new version in the history and the audit log."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, QueryParameter, RequestBody

from populatie.api import contracts, schemas
from populatie.api.deps import Caller, DbSession, Paging
from populatie.api.spending import get_contract_in_scope, list_contract_page
from populatie.auth.access import FINANCE, READ, READ_SCOPED, access

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

    @post(
        "/",
        operation_id="CreateContract",
        sync_to_thread=True,
        description="Register a contract on a lot (version 1 of its history). The partnership "
        "defaults to the one the lot was awarded to; two contracts on one lot may not overlap.",
        **access(FINANCE, errors=[409, 422]),
    )
    def create_contract(
        self,
        session: DbSession,
        principal: Caller,
        data: RequestBody[schemas.ContractCreate],
    ) -> schemas.Contract:
        return contracts.register(session, data, principal)

    @patch(
        "/{reference:path}",
        operation_id="ChangeContract",
        sync_to_thread=True,
        description="Change a contract: the fields given replace the current ones (a ceiling "
        "per year named), kept as the next version with the reason; a change that changes "
        "nothing is refused.",
        **access(FINANCE, errors=[409, 422]),
    )
    def change_contract(
        self,
        session: DbSession,
        principal: Caller,
        reference: FromPath[str],
        data: RequestBody[schemas.ContractUpdate],
    ) -> schemas.Contract:
        return contracts.change(session, reference.lstrip("/"), data, principal)


class ContractHistoryController(Controller):
    path = "/api/contract-history"
    tags = ["contracts"]  # noqa: RUF012

    @get(
        "/{reference:path}",
        operation_id="GetContractHistory",
        sync_to_thread=True,
        description="Every version of a contract, oldest first: its state after the change, "
        "what changed, who and why.",
        **access(READ),
    )
    def history(self, session: DbSession, reference: FromPath[str]) -> schemas.ContractHistory:
        return contracts.history(session, reference.lstrip("/"))


class ContractTariffController(Controller):
    path = "/api/contract-tariffs"
    tags = ["contracts"]  # noqa: RUF012

    @get(
        "/{reference:path}",
        operation_id="ListContractTariffs",
        sync_to_thread=True,
        description="A contract's tariffs per product and year (cents per unit): those in "
        "force, or every version with ``history``. A consortium sees only its own contracts'.",
        **access(READ_SCOPED),
    )
    def list_tariffs(
        self,
        session: DbSession,
        principal: Caller,
        reference: FromPath[str],
        year: Annotated[int | None, QueryParameter(ge=2000, le=2099)] = None,
        history: Annotated[
            bool, QueryParameter(description="Every version, not only those in force")
        ] = False,
    ) -> schemas.TariffPage:
        reference = reference.lstrip("/")
        get_contract_in_scope(session, reference, principal.scope)  # 404 outside the scope
        return contracts.tariffs(session, reference, year, history)

    @post(
        "/{reference:path}",
        operation_id="SetContractTariff",
        sync_to_thread=True,
        description="Set the tariff of one product and year: its next version, with the "
        "reason; setting the tariff it has is refused.",
        **access(FINANCE, errors=[409, 422]),
    )
    def set_tariff(
        self,
        session: DbSession,
        principal: Caller,
        reference: FromPath[str],
        data: RequestBody[schemas.TariffSet],
    ) -> schemas.Tariff:
        return contracts.set_tariff(session, reference.lstrip("/"), data, principal)
