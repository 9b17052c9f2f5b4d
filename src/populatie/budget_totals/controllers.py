"""Thin HTTP layer over the budget totals: finance sets them, planners and auditors read them.

Not to be confused with ``GET /api/budgets/`` (the adopted allocation per area): these are the
totals per municipality and domain that an allocation divides. A consortium has no business
with them and gets 404 (the route policy), like for anything not its own.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, put
from litestar.params import Parameter, RequestBody
from sqlalchemy.exc import IntegrityError

from populatie.api.deps import Caller, DbSession
from populatie.auth.access import FINANCE, READ, access
from populatie.budget_totals import schemas
from populatie.budget_totals.service import (
    FIRST_YEAR,
    LAST_YEAR,
    list_totals,
    set_totals,
    totals_history,
)
from populatie.errors import ConflictError, NotFoundError

Year = Annotated[int, Parameter(ge=FIRST_YEAR, le=LAST_YEAR, description="The budget year")]
MunicipalityCode = Annotated[
    str, Parameter(pattern=r"^GM\d{4}$", description="CBS municipality code")
]


class BudgetTotalsController(Controller):
    path = "/api/budgets"
    tags = ["budget totals"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/{year:int}",
        operation_id="ListBudgetTotals",
        sync_to_thread=True,
        description="The budget totals per municipality and domain of a year, in cents: what "
        "an allocation of that year divides. 404 when the year has none yet.",
        **access(READ),
    )
    def list_totals(self, session: DbSession, year: Year) -> schemas.BudgetTotalsYear:
        views = list_totals(session, year)
        if not views:
            raise NotFoundError(
                f"no budget totals for {year}: set them with PUT /api/budgets/{year}/GMnnnn "
                f"(`populatie budgets set`) or `populatie budgets index --from {year - 1} "
                f"--to {year} --pct PERCENT --basis …`"
            )
        items = [schemas.totals_schema(v) for v in views]
        return schemas.BudgetTotalsYear(year=year, items=items, total=len(items))

    @put(
        "/{year:int}/{municipality:str}",
        operation_id="SetBudgetTotals",
        sync_to_thread=True,
        description="Set the three domain totals of a municipality-year, in cents, with the "
        "reason: kept as the next version of its history and in the audit log. Totals equal "
        "to the current ones are refused (409).",
        **access(FINANCE, errors=[409, 422]),
    )
    def set_totals(
        self,
        session: DbSession,
        principal: Caller,
        year: Year,
        municipality: MunicipalityCode,
        data: RequestBody[schemas.BudgetTotalsUpdate],
    ) -> schemas.BudgetTotals:
        cents = {
            "prevention": data.prevention_cents,
            "access": data.access_cents,
            "specialist": data.specialist_cents,
        }
        try:
            view = set_totals(
                session,
                year,
                municipality,
                cents,
                actor=principal.actor,
                role=principal.role.value,
                reason=data.reason,
                basis=data.basis,
            )
        except IntegrityError:
            raise ConflictError(
                f"the budget totals of {municipality} in {year} were changed at the same "
                "moment; read them again"
            ) from None
        return schemas.totals_schema(view)

    @get(
        "/{year:int}/{municipality:str}/history",
        operation_id="GetBudgetTotalsHistory",
        sync_to_thread=True,
        description="Every version of a municipality-year's totals, oldest first: the totals "
        "after each change, its source (seed, set, index), who, when, why and on what basis.",
        **access(READ),
    )
    def history(
        self, session: DbSession, year: Year, municipality: MunicipalityCode
    ) -> schemas.BudgetTotalsHistory:
        items = [schemas.totals_schema(v) for v in totals_history(session, year, municipality)]
        return schemas.BudgetTotalsHistory(
            year=year, municipality=municipality, items=items, total=len(items)
        )
