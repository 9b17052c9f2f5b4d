"""The public shapes of proposals: the request bodies and the proposal with its history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from populatie.proposals.service import ProposalView

# Not empty and not only spaces (msgspec searches the pattern anywhere in the value).
Text = Annotated[str, Meta(min_length=1, max_length=2000, pattern=r"\S")]


class ProposalCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    note: Annotated[Text, Meta(description="Why this run should be adopted")]


class ApprovalCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    note: Annotated[str, Meta(max_length=2000, description="Optional remark")] = ""


class RejectionCreate(Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[Text, Meta(description="Why the proposal is rejected (required)")]


class ProposalStep(Struct, kw_only=True):
    step: Annotated[str, Meta(description="proposed, approved, rejected or adopted (operator)")]
    at: datetime
    actor: str
    role: str
    text: str
    round: int


class Proposal(Struct, kw_only=True):
    run_id: str
    year: int
    scenario: str
    municipalities: list[str]
    run_status: Annotated[str, Meta(description="draft, adopted or superseded (per municipality)")]
    state: Literal["none", "proposed", "approved", "rejected"]
    round: int
    note: str
    proposed_at: datetime | None
    proposed_by: str | None
    decided_at: datetime | None
    decided_by: str | None
    reason: str
    history: list[ProposalStep]


class ProposalPage(Struct, kw_only=True):
    items: list[Proposal]
    total: int


def proposal_schema(view: ProposalView) -> Proposal:
    return Proposal(
        run_id=view.run_id,
        year=view.year,
        scenario=view.scenario,
        municipalities=list(view.municipalities),
        run_status=view.run_status,
        state=view.state,  # type: ignore[arg-type]
        round=view.round,
        note=view.note,
        proposed_at=view.proposed_at,
        proposed_by=view.proposed_by,
        decided_at=view.decided_at,
        decided_by=view.decided_by,
        reason=view.reason,
        history=[
            ProposalStep(
                step=s.step, at=s.at, actor=s.actor, role=s.role, text=s.text, round=s.round
            )
            for s in view.history
        ],
    )
