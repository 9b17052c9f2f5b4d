"""Council reports: frozen snapshots per municipality and period, with their content hash

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:40:00.000000

Also joins the two heads 0011 (cost sharing) and 0013 (KPIs), which both follow 0009.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "council_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", _TEXT(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("to_month", sa.Integer(), nullable=False),
        sa.Column("content_hash", _TEXT(length=64), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", _TEXT(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_hash"),
    )
    op.create_index("ix_council_report_municipality_code", "council_report", ["municipality_code"])


def downgrade() -> None:
    op.drop_index("ix_council_report_municipality_code", table_name="council_report")
    op.drop_table("council_report")
