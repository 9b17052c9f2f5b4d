"""neighbourhood units: neighbourhoods and their figures, runs on either unit

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-02 10:35:00.000000

A run's per-unit rows (need, counts) hold a district code (``WKnnnnnn``, 8 characters) or a
neighbourhood code (``BUnnnnnnnn``, 10), so their code columns widen to 10; the run records
which unit it ran on. The neighbourhoods of record and their figures get their own tables, so
nothing that reads district figures ever meets a neighbourhood.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_WIDENED = ("run_district_need", "run_district_count")


def upgrade() -> None:
    for table in _WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "district_code",
                existing_type=_TEXT(length=8),
                type_=_TEXT(length=10),
                existing_nullable=False,
            )
    with op.batch_alter_table("allocation_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "allocation_unit", _TEXT(length=20), nullable=False, server_default="district"
            )
        )
    op.create_table(
        "neighbourhood",
        sa.Column("code", _TEXT(length=10), nullable=False),
        sa.Column("name", _TEXT(), nullable=False),
        sa.Column("district_code", _TEXT(length=8), nullable=False),
        sa.Column("municipality_code", _TEXT(length=6), nullable=False),
        sa.Column("vintage", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("neighbourhood", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_neighbourhood_municipality_code"), ["municipality_code"], unique=False
        )
    op.create_table(
        "neighbourhood_figure",
        sa.Column("code", _TEXT(length=10), nullable=False),
        sa.Column("vintage", sa.Integer(), nullable=False),
        sa.Column("indicator", _TEXT(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source_file", _TEXT(), nullable=False),
        sa.Column("derived", sa.Boolean(), nullable=False),
        sa.Column("derivation", _TEXT(), nullable=False),
        sa.PrimaryKeyConstraint("code", "vintage", "indicator"),
    )


def downgrade() -> None:
    op.drop_table("neighbourhood_figure")
    with op.batch_alter_table("neighbourhood", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_neighbourhood_municipality_code"))
    op.drop_table("neighbourhood")
    with op.batch_alter_table("allocation_run", schema=None) as batch_op:
        batch_op.drop_column("allocation_unit")
    # Rows of neighbourhood runs would not fit the narrower column: remove those runs first.
    for table in _WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "district_code",
                existing_type=_TEXT(length=10),
                type_=_TEXT(length=8),
                existing_nullable=False,
            )
