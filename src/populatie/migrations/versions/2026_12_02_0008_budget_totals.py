"""budget totals with history

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:45:00.000000

Budget totals per year, municipality and domain become data that finance sets (until now they
were read from config/budgets.toml only, which now merely seeds them on ``populatie load``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _cents() -> list[sa.Column[int]]:
    return [
        sa.Column("prevention_cents", sa.BigInteger(), nullable=False),
        sa.Column("access_cents", sa.BigInteger(), nullable=False),
        sa.Column("specialist_cents", sa.BigInteger(), nullable=False),
    ]


CENTS_CHECK = "prevention_cents >= 0 AND access_cents >= 0 AND specialist_cents >= 0"


def upgrade() -> None:
    op.create_table(
        "budget_total",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        *_cents(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint(CENTS_CHECK, name="ck_budget_total_cents"),
        sa.ForeignKeyConstraint(["municipality_code"], ["municipality.code"]),
        sa.PrimaryKeyConstraint("year", "municipality_code"),
    )
    op.create_table(
        "budget_total_version",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_cents(),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("basis", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint(CENTS_CHECK, name="ck_budget_total_version_cents"),
        sa.PrimaryKeyConstraint("year", "municipality_code", "version"),
    )


def downgrade() -> None:
    op.drop_table("budget_total_version")
    op.drop_table("budget_total")
