"""KPI figures: imported files of aggregated figures and their figures

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-02 09:45:00.000000

Counts and sums per period, partnership or provider, segment and KPI; never a child.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "kpi_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", _TEXT(length=64), nullable=False),
        sa.Column("file_name", _TEXT(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", _TEXT(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_hash"),
    )
    op.create_table(
        "kpi_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("kpi_code", _TEXT(length=40), nullable=False),
        sa.Column("period", _TEXT(length=7), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("start_month", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("partnership_name", _TEXT(length=200), nullable=False),
        sa.Column("provider", _TEXT(length=200), nullable=False),
        sa.Column("segment_code", _TEXT(length=40), nullable=False),
        sa.Column("municipality_code", _TEXT(length=6), nullable=False),
        sa.Column("area_code", _TEXT(length=20), nullable=False),
        sa.Column("category", _TEXT(length=2), nullable=False),
        sa.Column("numerator", sa.BigInteger(), nullable=True),
        sa.Column("denominator", sa.BigInteger(), nullable=True),
        sa.Column("value_milli", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["kpi_import.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "kpi_code",
            "period",
            "partnership_name",
            "provider",
            "segment_code",
            "municipality_code",
            "area_code",
            "category",
            name="uq_kpi_figure_key",
        ),
    )
    op.create_index("ix_kpi_figure_import_id", "kpi_figure", ["import_id"])
    op.create_index(
        "ix_kpi_figure_scope", "kpi_figure", ["partnership_name", "segment_code", "kpi_code"]
    )
    op.create_index(
        "ix_kpi_figure_series", "kpi_figure", ["kpi_code", "segment_code", "year", "start_month"]
    )


def downgrade() -> None:
    op.drop_index("ix_kpi_figure_series", table_name="kpi_figure")
    op.drop_index("ix_kpi_figure_scope", table_name="kpi_figure")
    op.drop_index("ix_kpi_figure_import_id", table_name="kpi_figure")
    op.drop_table("kpi_figure")
    op.drop_table("kpi_import")
