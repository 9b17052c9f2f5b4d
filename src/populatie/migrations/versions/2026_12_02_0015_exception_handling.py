"""exception handling marks

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 10:20:00.000000

Finance marks a reconciliation exception as handled, with a note. Exceptions are recomputed on
every run, so the mark is kept under the exception's stable identity (kind, subject and year,
hashed): the mark stays when the reconciliation is run again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exception_handling",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("handled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("handled_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("exception_handling", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exception_handling_year"), ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exception_handling", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exception_handling_year"))
    op.drop_table("exception_handling")
