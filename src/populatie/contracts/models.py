"""Contracts against the procurement lots: the current state, the ceilings per year, the history.

A contract is registered by finance and may change (an option to extend exercised, a ceiling
amended); every change writes a new ``contract_version`` row holding the full state after it, so
the history answers "what did the contract say on that day, and who changed it".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

FUNDING_FORMS: tuple[str, ...] = (
    "population-based",
    "task-based",
    "output-based-trajectory",
    "output-based-month",
    "effort-based",
)

#: How a task-based contract's yearly sum is paid: in every month in force, or in the first
#: month in force of every quarter.
INSTALMENT_FREQUENCIES: tuple[str, ...] = ("monthly", "quarterly")


class Contract(SQLModel, table=True):
    """The current state of one contract; ``version`` counts its changes."""

    __tablename__ = "contract"
    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="ck_contract_period"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=64, unique=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    partnership_name: str = Field(foreign_key="partnership.name")
    starts_on: date
    ends_on: date
    extendable_to: date | None = Field(
        default=None, description="The end if every option to extend is exercised"
    )
    funding_form: str = Field(max_length=30)
    indexation_basis_points: int = Field(
        default=0, description="Yearly indexation of the ceiling, in hundredths of a percent"
    )
    # A regional contract: the segment it buys, the products (empty: every product of the
    # segment) and the municipalities it covers (empty: the lot's own).
    segment: str | None = Field(default=None, max_length=40)
    product_codes: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    municipalities: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # Output-based per trajectory: the share paid at the start; the rest at completion.
    start_percent: int | None = None
    # Task-based: how the yearly sum is paid ("monthly" or "quarterly").
    instalments: str | None = Field(default=None, max_length=10)
    version: int = 1
    created_at: datetime
    created_by: str
    changed_at: datetime
    changed_by: str


class ContractCeiling(SQLModel, table=True):
    """The maximum the contract may cost in one year, as agreed (before indexation)."""

    __tablename__ = "contract_ceiling"
    __table_args__ = (CheckConstraint("ceiling_cents >= 0", name="ck_contract_ceiling_cents"),)

    contract_id: int = Field(foreign_key="contract.id", primary_key=True)
    year: int = Field(primary_key=True)
    ceiling_cents: int = Field(sa_type=BigInteger)


class ContractVersion(SQLModel, table=True):
    """One entry of a contract's history: the full state after a change, and what changed."""

    __tablename__ = "contract_version"

    contract_id: int = Field(foreign_key="contract.id", primary_key=True)
    version: int = Field(primary_key=True)
    changed_at: datetime
    changed_by: str
    reason: str = ""
    state: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


UNITS: tuple[str, ...] = ("hour", "day", "week", "month", "trajectory", "minute", "piece")


class ContractTariff(SQLModel, table=True):
    """One version of a tariff: cents per unit of one product in one year on one contract.
    A change adds the next version (who, when, why); the highest version is the tariff."""

    __tablename__ = "contract_tariff"
    __table_args__ = (
        UniqueConstraint("contract_id", "product_code", "year", "version"),
        CheckConstraint("tariff_cents >= 0", name="ck_contract_tariff_cents"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    product_code: str = Field(max_length=5)
    year: int
    unit: str = Field(max_length=20)
    tariff_cents: int = Field(sa_type=BigInteger)
    version: int
    recorded_at: datetime
    recorded_by: str
    reason: str


class ContractInstalment(SQLModel, table=True):
    """A task-based contract's schedule: what is due in one month of one year. The months of a
    year add up to that year's sum exactly."""

    __tablename__ = "contract_instalment"

    contract_id: int = Field(foreign_key="contract.id", primary_key=True)
    year: int = Field(primary_key=True)
    month: int = Field(primary_key=True)
    amount_cents: int = Field(sa_type=BigInteger)
