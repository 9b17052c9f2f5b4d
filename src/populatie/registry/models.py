"""Partnerships, areas and lots: who holds which budget, synced from ``config/``."""

from __future__ import annotations

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Partnership(SQLModel, table=True):
    name: str = Field(primary_key=True)
    lead_member: str
    members: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subcontractors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Area(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=20)
    name: str
    municipality_code: str = Field(foreign_key="municipality.code", index=True)
    partnership_name: str | None = Field(default=None, foreign_key="partnership.name")
    assumption: str = ""


class AreaDistrict(SQLModel, table=True):
    __tablename__ = "area_district"

    area_code: str = Field(foreign_key="area.code", primary_key=True)
    district_code: str = Field(primary_key=True, unique=True)


class Lot(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    municipality_code: str = Field(foreign_key="municipality.code")
    number: int
    area_code: str = Field(foreign_key="area.code")
    partnership_name: str = Field(foreign_key="partnership.name")
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    awarded_on: str | None = None
