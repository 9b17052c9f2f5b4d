"""Imported aggregated figures: the files, and one row per figure as the file gave it.

A figure is a count or a sum for a period, never a child: ``numerator`` and ``denominator`` are
counts (or, for a mean, a sum over a count), ``value_milli`` a median in thousandths. Where a
row names no partnership, provider, municipality, area or category the column holds ``""``, so
the unique key holds on every database (a NULL would never collide).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class KpiImport(SQLModel, table=True):
    """One imported file; its content hash makes importing the same file twice a no-op."""

    __tablename__ = "kpi_import"

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True)
    file_name: str
    rows: int
    imported_at: datetime
    imported_by: str


FIGURE_KEY = (
    "kpi_code",
    "period",
    "partnership_name",
    "provider",
    "segment_code",
    "municipality_code",
    "area_code",
    "category",
)


SUMMED = ("provider", "partnership_name", "category", "numerator", "denominator")
PERIOD_INDEX = ("kpi_code", "segment_code", "period", *SUMMED)
SERIES_INDEX = ("kpi_code", "segment_code", "year", "start_month", "months", "period", *SUMMED)


class KpiFigure(SQLModel, table=True):
    """One aggregated figure of one KPI for one period and one unit (partnership or provider)."""

    __tablename__ = "kpi_figure"
    __table_args__ = (
        UniqueConstraint(*FIGURE_KEY, name="uq_kpi_figure_key"),
        # Each view's filter is the start of one index, and the columns it adds up follow, so
        # no view reads every figure (migration 0017).
        Index("ix_kpi_figure_unit", "provider", "partnership_name", "segment_code", "kpi_code"),
        Index("ix_kpi_figure_period", *PERIOD_INDEX),
        Index("ix_kpi_figure_series", *SERIES_INDEX),
    )

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="kpi_import.id", index=True)
    line: int
    kpi_code: str = Field(max_length=40)
    period: str = Field(max_length=7, description="2026-03 (a month) or 2026-Q1 (a quarter)")
    year: int
    start_month: int
    months: int = Field(description="1 for a month, 3 for a quarter")
    partnership_name: str = Field(max_length=200)
    provider: str = Field(max_length=200)
    segment_code: str = Field(max_length=40)
    municipality_code: str = Field(max_length=6)
    area_code: str = Field(max_length=20)
    category: str = Field(max_length=2)
    numerator: int | None = Field(default=None, sa_type=BigInteger)
    denominator: int | None = Field(default=None, sa_type=BigInteger)
    value_milli: int | None = Field(default=None, sa_type=BigInteger)
