"""The cost-sharing key of each contract, with its history.

A key is never edited in place: setting one writes the next ``contract_cost_share_key`` version
(kind, who, when, why) with one ``contract_cost_share`` row per municipality it names, so the
history answers "which key did this contract have on that day, and who agreed it". For a fixed
key the rows carry the percentage in basis points; for the other kinds the weight is read at
the time of the calculation (inhabitants, need, spending) and the rows only name who shares.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel


class ContractCostShareKey(SQLModel, table=True):
    """One version of a contract's key."""

    __tablename__ = "contract_cost_share_key"
    __table_args__ = (
        UniqueConstraint("contract_id", "version", name="uq_contract_cost_share_key_version"),
        CheckConstraint(
            "kind IN ('fixed', 'inhabitants', 'need', 'use')", name="ck_cost_share_key_kind"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    version: int
    kind: str = Field(max_length=20)
    recorded_at: datetime
    recorded_by: str
    reason: str


class ContractCostShare(SQLModel, table=True):
    """A municipality named by one version of a key (with its fixed percentage, if fixed)."""

    __tablename__ = "contract_cost_share"
    __table_args__ = (
        CheckConstraint(
            "basis_points IS NULL OR (basis_points >= 0 AND basis_points <= 10000)",
            name="ck_contract_cost_share_basis_points",
        ),
    )

    key_id: int = Field(foreign_key="contract_cost_share_key.id", primary_key=True)
    municipality_code: str = Field(foreign_key="municipality.code", primary_key=True, max_length=6)
    basis_points: int | None = Field(
        default=None, description="A fixed key's percentage in 1/100 %; null for other kinds"
    )
