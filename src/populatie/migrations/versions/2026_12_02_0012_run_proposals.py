"""run proposals (four eyes on adoption)

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-02 09:40:00.000000

A planner proposes a run for adoption and finance approves or rejects it; the state of each
run's proposal and every step of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "run_proposal",
        _text("run_id", 36),
        _text("state", 10),
        sa.Column("round", sa.Integer(), nullable=False),
        _text("note"),
        sa.Column("proposed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        _text("proposed_by"),
        _text("proposer_identity", 80),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        _text("decided_by", nullable=True),
        _text("decider_identity", 80, nullable=True),
        _text("reason"),
        sa.CheckConstraint("state IN ('proposed', 'approved', 'rejected')", name="ck_run_proposal"),
        sa.ForeignKeyConstraint(["run_id"], ["allocation_run.id"]),
        sa.PrimaryKeyConstraint("run_id"),
    )
    with op.batch_alter_table("run_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_proposal_state"), ["state"], unique=False)
    op.create_table(
        "run_proposal_event",
        sa.Column("id", sa.Integer(), nullable=False),
        _text("run_id", 36),
        sa.Column("round", sa.Integer(), nullable=False),
        _text("step", 10),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        _text("actor"),
        _text("identity", 80),
        _text("role", 20),
        _text("text"),
        sa.ForeignKeyConstraint(["run_id"], ["allocation_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("run_proposal_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_proposal_event_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("run_proposal_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_proposal_event_run_id"))
    op.drop_table("run_proposal_event")
    with op.batch_alter_table("run_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_proposal_state"))
    op.drop_table("run_proposal")
