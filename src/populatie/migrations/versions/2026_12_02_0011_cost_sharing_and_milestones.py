"""cost-sharing keys of contracts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:40:00.000000

Each contract's cost-sharing key (fixed percentages, inhabitants, need or use) as versions
that are never updated in place, and the municipalities each version names. Contract
milestones are configuration (config/milestones.toml) and need no table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contract_cost_share_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('fixed', 'inhabitants', 'need', 'use')", name="ck_cost_share_key_kind"
        ),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contract_id", "version", name="uq_contract_cost_share_key_version"),
    )
    with op.batch_alter_table("contract_cost_share_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_cost_share_key_contract_id"), ["contract_id"], unique=False
        )
    op.create_table(
        "contract_cost_share",
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("basis_points", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "basis_points IS NULL OR (basis_points >= 0 AND basis_points <= 10000)",
            name="ck_contract_cost_share_basis_points",
        ),
        sa.ForeignKeyConstraint(["key_id"], ["contract_cost_share_key.id"]),
        sa.ForeignKeyConstraint(["municipality_code"], ["municipality.code"]),
        sa.PrimaryKeyConstraint("key_id", "municipality_code"),
    )


def downgrade() -> None:
    op.drop_table("contract_cost_share")
    with op.batch_alter_table("contract_cost_share_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_cost_share_key_contract_id"))
    op.drop_table("contract_cost_share_key")
