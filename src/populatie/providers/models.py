"""Providers and their memberships of partnerships, as a register with history.

Rows are never updated in place: a change (a new KvK number, a membership that ends) is the
next ``version`` of the same key, and the current state is the highest version of each key.
So the register always says what it said on any earlier day, and who changed it and why.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

ROLES: tuple[str, ...] = ("lead", "member", "subcontractor")


class Provider(SQLModel, table=True):
    """One version of a provider; the key is its name (as invoices name it)."""

    __table_args__ = (UniqueConstraint("name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    version: int
    kvk_number: str | None = Field(default=None, max_length=8)
    agb_code: str | None = Field(default=None, max_length=8)
    recorded_at: datetime
    recorded_by: str
    reason: str = ""


class Membership(SQLModel, table=True):
    """One version of a provider's membership of a partnership from ``valid_from`` to
    ``valid_to`` (inclusive; None: open). The key is (partnership, provider, valid_from)."""

    __table_args__ = (
        UniqueConstraint("partnership_name", "provider_name", "valid_from", "version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    partnership_name: str = Field(foreign_key="partnership.name", index=True)
    provider_name: str
    role: str = Field(max_length=20)
    valid_from: date
    valid_to: date | None = None
    version: int
    recorded_at: datetime
    recorded_by: str
    reason: str = ""
    source: str = ""
