"""Thin HTTP layer over allocation runs and the budgets their adoption sets.

Creating a run computes a whole allocation, so it runs in a worker thread
(``sync_to_thread=True``) and never holds up other requests.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter, RequestBody

from populatie.api import budgets, runs, schemas
from populatie.api.deps import Caller, DbSession, Paging, after_commit
from populatie.auth.access import FINANCE, PLAN, READ, READ_SCOPED, access

YearFilter = Annotated[int | None, QueryParameter(ge=1900, le=2200, description="Budget year")]


class RunController(Controller):
    path = "/api/runs"
    tags = ["allocation runs"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", operation_id="ListRuns", sync_to_thread=True, **access(READ))
    def list_runs(
        self, session: DbSession, window: Paging, year: YearFilter = None
    ) -> schemas.RunSummaryPage:
        return runs.list_runs(session, window, year)

    @get("/{run_id:str}", operation_id="GetRun", sync_to_thread=True, **access(READ))
    def get_run(self, session: DbSession, run_id: FromPath[str]) -> schemas.Run:
        return runs.run_json(session, run_id)

    @get(
        "/{run_id:str}/compare/{other_id:str}",
        operation_id="CompareRuns",
        sync_to_thread=True,
        description="Per area, the amounts of both runs and the change from `run_id` to "
        "`other_id`.",
        **access(READ),
    )
    def compare(
        self, session: DbSession, run_id: FromPath[str], other_id: FromPath[str]
    ) -> schemas.RunComparison:
        return runs.compare_runs(session, run_id, other_id)

    @post(
        "/",
        operation_id="CreateRun",
        sync_to_thread=True,
        description="Recalculate an allocation as a draft run, with scenario overrides of the "
        "configured rates, base amounts and damping bounds.",
        **access(PLAN, errors=[422]),
    )
    def create_run(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        data: RequestBody[schemas.RunCreate],
    ) -> schemas.Run:
        return runs.create_run(session, request.app.state.settings.config_dir, data, principal)

    @post(
        "/{run_id:str}/adopt",
        operation_id="AdoptRun",
        status_code=200,
        sync_to_thread=True,
        description="The same as `POST /api/runs/{run_id}/approval` without a note, kept for "
        "existing clients: adopts a run proposed by another token (atomically; the run adopted "
        "before becomes superseded). 403 (`four-eyes`) for the token that proposed it, 409 for "
        "a run not proposed.",
        **access(FINANCE, errors=[409]),
    )
    def adopt(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        run_id: FromPath[str],
    ) -> schemas.RunSummary:
        adopted = runs.adopt_run(session, run_id, principal)
        after_commit(session, request.app.state.budget_reader.clear)  # budgets are read anew
        return adopted


class BudgetController(Controller):
    path = "/api/budgets"
    tags = ["budgets"]  # noqa: RUF012

    @get(
        "/",
        operation_id="ListBudgets",
        sync_to_thread=True,
        description="The adopted allocation per area and domain, newest year first.",
        **access(READ_SCOPED),
    )
    def list_budgets(
        self,
        session: DbSession,
        principal: Caller,
        window: Paging,
        year: YearFilter = None,
        municipality: Annotated[str | None, QueryParameter(pattern=r"^GM\d{4}$")] = None,
    ) -> schemas.AreaBudgetPage:
        return budgets.list_budgets(session, window, principal.scope, year, municipality)
