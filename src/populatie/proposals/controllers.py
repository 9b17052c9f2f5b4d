"""Thin HTTP layer over proposals: planners propose, finance approves or rejects.

Approval adopts the run, so the area budgets kept in memory are read anew once it is
committed, as after any adoption.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter, RequestBody

from populatie.api.deps import Caller, DbSession, Paging, after_commit
from populatie.auth.access import FINANCE, PLAN, READ, access
from populatie.proposals import schemas, service
from populatie.proposals.service import Actor

State = Literal["proposed", "approved", "rejected"]


class ProposalController(Controller):
    path = "/api/runs"
    tags = ["allocation runs"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/{run_id:str}/proposal",
        operation_id="GetRunProposal",
        sync_to_thread=True,
        description="The run's proposal for adoption with every step (`state` `none` if it "
        "was never proposed).",
        **access(READ),
    )
    def get_proposal(self, session: DbSession, run_id: FromPath[str]) -> schemas.Proposal:
        return schemas.proposal_schema(service.proposal_of(session, run_id))

    @post(
        "/{run_id:str}/proposal",
        operation_id="ProposeRun",
        sync_to_thread=True,
        description="Propose the run for adoption, with a note. 409 when it is proposed "
        "already or adopted already; a rejected run may be proposed again.",
        **access(PLAN, errors=[409]),
    )
    def propose(
        self,
        session: DbSession,
        principal: Caller,
        run_id: FromPath[str],
        data: RequestBody[schemas.ProposalCreate],
    ) -> schemas.Proposal:
        view = service.propose(session, run_id, Actor.of(principal), data.note)
        return schemas.proposal_schema(view)

    @post(
        "/{run_id:str}/approval",
        operation_id="ApproveRun",
        status_code=200,
        sync_to_thread=True,
        description="Approve the run's proposal: the run is adopted for its year and "
        "municipalities (atomically; the run adopted before is superseded). 403 "
        "(`four-eyes`) for the token that proposed it, whatever its role; 409 when the run "
        "is not proposed or already decided.",
        **access(FINANCE, errors=[409]),
    )
    def approve(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        principal: Caller,
        run_id: FromPath[str],
        data: RequestBody[schemas.ApprovalCreate | None] = None,
    ) -> schemas.Proposal:
        note = data.note if data is not None else ""
        view = service.approve(session, run_id, Actor.of(principal), note)
        after_commit(session, request.app.state.budget_reader.clear)
        return schemas.proposal_schema(view)

    @post(
        "/{run_id:str}/rejection",
        operation_id="RejectRun",
        status_code=200,
        sync_to_thread=True,
        description="Reject the run's proposal with a reason (required). 403 (`four-eyes`) "
        "for the token that proposed it; 409 when the run is not proposed or already decided.",
        **access(FINANCE, errors=[409]),
    )
    def reject(
        self,
        session: DbSession,
        principal: Caller,
        run_id: FromPath[str],
        data: RequestBody[schemas.RejectionCreate],
    ) -> schemas.Proposal:
        view = service.reject(session, run_id, Actor.of(principal), data.reason)
        return schemas.proposal_schema(view)


class ProposalListController(Controller):
    path = "/api/proposals"
    tags = ["allocation runs"]  # noqa: RUF012

    @get(
        "/",
        operation_id="ListRunProposals",
        sync_to_thread=True,
        description="Runs proposed for adoption, newest proposal first; `state=proposed` "
        "gives those that await a decision.",
        **access(READ),
    )
    def list_proposals(
        self,
        session: DbSession,
        window: Paging,
        wanted: Annotated[
            State | None, QueryParameter(name="state", description="Only this state")
        ] = None,
        year: Annotated[int | None, QueryParameter(ge=1900, le=2200)] = None,
    ) -> schemas.ProposalPage:
        views = service.list_proposals(session, wanted, year)
        page = views[window.offset : window.offset + window.limit]
        return schemas.ProposalPage(
            items=[schemas.proposal_schema(v) for v in page], total=len(views)
        )
