"""Budget totals per year, municipality and domain: the current state and every version of it.

Finance sets the totals ``B(d)`` the allocation divides (SPEC "Allocation", step 2). They change
during the year (a council amendment, an indexation), so every change writes a new
``budget_total_version`` row with the full state after it, who, when, why and on what basis; the
``budget_total`` row is only the newest of them, for reading.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint
from sqlmodel import Field, SQLModel

# Where a version came from: set by hand, made by indexation, or seeded from config/budgets.toml.
SOURCES: tuple[str, ...] = ("set", "index", "seed")


class BudgetTotal(SQLModel, table=True):
    """The current totals of one municipality-year; ``version`` counts its changes."""

    __tablename__ = "budget_total"
    __table_args__ = (
        CheckConstraint(
            "prevention_cents >= 0 AND access_cents >= 0 AND specialist_cents >= 0",
            name="ck_budget_total_cents",
        ),
    )

    year: int = Field(primary_key=True)
    municipality_code: str = Field(primary_key=True, max_length=6, foreign_key="municipality.code")
    prevention_cents: int = Field(sa_type=BigInteger)
    access_cents: int = Field(sa_type=BigInteger)
    specialist_cents: int = Field(sa_type=BigInteger)
    version: int = 1
    source: str = Field(max_length=10)
    changed_at: datetime
    changed_by: str


class BudgetTotalVersion(SQLModel, table=True):
    """One entry of the history: the totals after a change, who made it, why, on what basis."""

    __tablename__ = "budget_total_version"
    __table_args__ = (
        CheckConstraint(
            "prevention_cents >= 0 AND access_cents >= 0 AND specialist_cents >= 0",
            name="ck_budget_total_version_cents",
        ),
    )

    year: int = Field(primary_key=True)
    municipality_code: str = Field(primary_key=True, max_length=6)
    version: int = Field(primary_key=True)
    prevention_cents: int = Field(sa_type=BigInteger)
    access_cents: int = Field(sa_type=BigInteger)
    specialist_cents: int = Field(sa_type=BigInteger)
    source: str = Field(max_length=10)
    reason: str = ""
    basis: str = ""
    changed_at: datetime
    changed_by: str
