"""Allocation runs: immutable records of one recalculation, and the adoption pointer.

A run never changes after it is written. It keeps its own copy of every indicator count it was
computed from (``run_district_count``): loading newer data replaces the figures, not what an old
run used, so the run can still be rebuilt, explained and compared. Which run is adopted is
kept apart in ``adoption``, one row per municipality and year, so "at most one adopted run per
municipality-year" is a primary key the database enforces, also under concurrent requests; a
run's status is derived from it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel


class AllocationRun(SQLModel, table=True):
    __tablename__ = "allocation_run"

    id: str = Field(primary_key=True, max_length=36)
    year: int = Field(index=True)
    municipalities: list[str] = Field(sa_column=Column(JSON, nullable=False))
    scenario: str = "config"
    created_at: datetime
    created_by: str
    data_vintage: int
    allocation_unit: str = Field(
        default="district",
        max_length=20,
        sa_column_kwargs={"server_default": "district"},
        description="district or neighbourhood: what the per-unit rows' codes name",
    )
    data_hash: str = Field(max_length=64)
    content_hash: str = Field(max_length=64, description="Hash of inputs: config + data")
    config_snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    budget_cents: dict[str, dict[str, int]] = Field(sa_column=Column(JSON, nullable=False))
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    adopted_at: datetime | None = None
    adopted_by: str | None = None


class RunArea(SQLModel, table=True):
    """Per area and domain: the amount and how it came to be."""

    __tablename__ = "run_area"

    run_id: str = Field(foreign_key="allocation_run.id", primary_key=True)
    area_code: str = Field(primary_key=True, max_length=20)
    domain: str = Field(primary_key=True, max_length=20)
    municipality_code: str
    need: float
    target_cents: float
    amount_cents: int = Field(sa_type=BigInteger)
    bound: str = ""
    population: float | None = None
    young_population: float | None = None
    previous_cents: int | None = Field(default=None, sa_type=BigInteger)
    budget_effect_cents: int | None = Field(default=None, sa_type=BigInteger)
    population_effect_cents: int | None = Field(default=None, sa_type=BigInteger)
    need_mix_effect_cents: int | None = Field(default=None, sa_type=BigInteger)
    damping_effect_cents: int | None = Field(default=None, sa_type=BigInteger)


class RunDistrictNeed(SQLModel, table=True):
    """Per unit and domain: the need. ``district_code`` holds the code of the run's
    allocation unit, a district (``WK``) or a neighbourhood (``BU``)."""

    __tablename__ = "run_district_need"

    run_id: str = Field(foreign_key="allocation_run.id", primary_key=True)
    district_code: str = Field(primary_key=True, max_length=10)
    domain: str = Field(primary_key=True, max_length=20)
    area_code: str
    need: float


class RunDistrictCount(SQLModel, table=True):
    """Per district and indicator: the count the run read, as the figure was when it ran.

    The unit is the run's allocation unit (district or neighbourhood code). Every count of the
    run's need model, and the population and young-population figures where
    the run summed them per area; ``derived`` is copied from the figure (see
    :class:`~populatie.districts.models.IndicatorFigure`).
    """

    __tablename__ = "run_district_count"

    run_id: str = Field(foreign_key="allocation_run.id", primary_key=True)
    district_code: str = Field(primary_key=True, max_length=10)
    indicator: str = Field(primary_key=True, max_length=40)
    value: float
    derived: bool = False


class Adoption(SQLModel, table=True):
    year: int = Field(primary_key=True)
    municipality_code: str = Field(primary_key=True, max_length=6)
    run_id: str = Field(foreign_key="allocation_run.id", index=True)
    adopted_at: datetime
    adopted_by: str
