"""regional contracts: segment, products, municipalities, tariffs, instalments; spending detail

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:45:00.000000

A contract gains the segment, products and municipalities it covers and the terms of its
funding form (the start share of a trajectory, the instalments of a task); tariffs per product
and year are versioned rows. Spending rows gain optional detail columns (all nullable, so
earlier rows stay as they were), with two small tables beside them for the checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("segment", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("product_codes", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("municipalities", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("start_percent", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("instalments", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True)
        )
    op.create_table(
        "contract_tariff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("product_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("tariff_cents", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint("tariff_cents >= 0", name="ck_contract_tariff_cents"),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contract_id", "product_code", "year", "version"),
    )
    with op.batch_alter_table("contract_tariff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_tariff_contract_id"), ["contract_id"], unique=False
        )
    op.create_table(
        "contract_instalment",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"]),
        sa.PrimaryKeyConstraint("contract_id", "year", "month"),
    )
    with op.batch_alter_table("spending", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("segment", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("product_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True)
        )
        batch_op.add_column(sa.Column("quantity_hundredths", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch_op.add_column(
            sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "assignment_reference", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True
            )
        )
    op.create_table(
        "spending_detail_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("month_id", sa.Integer(), nullable=False),
        sa.Column("segment", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("product_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("quantity_hundredths", sa.BigInteger(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("first_spending_id", _ROW_ID, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("spending_detail_month", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spending_detail_month_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_spending_detail_month_month_id"), ["month_id"], unique=False
        )
    op.create_table(
        "spending_stage",
        sa.Column("spending_id", _ROW_ID, nullable=False),
        sa.Column("month_id", sa.Integer(), nullable=False),
        sa.Column(
            "assignment_reference", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False
        ),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("product_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("quantity_hundredths", sa.BigInteger(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("spending_id"),
    )
    with op.batch_alter_table("spending_stage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spending_stage_assignment_reference"),
            ["assignment_reference"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("spending_stage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spending_stage_assignment_reference"))
    op.drop_table("spending_stage")
    with op.batch_alter_table("spending_detail_month", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spending_detail_month_month_id"))
        batch_op.drop_index(batch_op.f("ix_spending_detail_month_import_id"))
    op.drop_table("spending_detail_month")
    with op.batch_alter_table("spending", schema=None) as batch_op:
        for name in (
            "assignment_reference",
            "stage",
            "unit",
            "quantity_hundredths",
            "product_code",
            "segment",
        ):
            batch_op.drop_column(name)
    op.drop_table("contract_instalment")
    with op.batch_alter_table("contract_tariff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_tariff_contract_id"))
    op.drop_table("contract_tariff")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        for name in ("instalments", "start_percent", "municipalities", "product_codes", "segment"):
            batch_op.drop_column(name)
