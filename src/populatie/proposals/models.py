"""A run's proposal for adoption: its current state, and every step that led to it.

``run_proposal`` holds one row per run that was ever proposed, with the state of its latest
round (``proposed``, ``approved`` or ``rejected``; a run without a row was never proposed).
``run_proposal_event`` keeps every step of every round, never changed: who proposed, approved
or rejected it, when, and with which note or reason.

Who did a step is kept twice: ``*_by`` is the name the audit log uses (a token with its label,
or the command line's user), ``*_identity`` the bare identity the four-eyes rule compares
(``token:7``, ``user:anna``), so a token's label cannot make one holder look like two.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

STATES: tuple[str, ...] = ("proposed", "approved", "rejected")
STEPS: tuple[str, ...] = ("proposed", "approved", "rejected", "adopted")


class RunProposal(SQLModel, table=True):
    __tablename__ = "run_proposal"
    __table_args__ = (
        CheckConstraint("state IN ('proposed', 'approved', 'rejected')", name="ck_run_proposal"),
    )

    run_id: str = Field(primary_key=True, foreign_key="allocation_run.id", max_length=36)
    state: str = Field(max_length=10, index=True)
    round: int = 1
    note: str
    proposed_at: datetime
    proposed_by: str
    proposer_identity: str = Field(max_length=80)
    decided_at: datetime | None = None
    decided_by: str | None = None
    decider_identity: str | None = Field(default=None, max_length=80)
    reason: str = ""


class RunProposalEvent(SQLModel, table=True):
    """One step of a proposal: ``adopted`` is an adoption by the operator's own command
    (``populatie adopt``), which settles a pending proposal without a second person."""

    __tablename__ = "run_proposal_event"

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(foreign_key="allocation_run.id", index=True, max_length=36)
    round: int
    step: str = Field(max_length=10)
    at: datetime
    actor: str
    identity: str = Field(max_length=80)
    role: str = Field(max_length=20)
    text: str = ""
