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


class KpiProviderCell(SQLModel, table=True):
    """The provider figures of one period added up, as one viewer scope sees them, beside the
    same period a year before: what the provider view reads, so that it reads one row per point
    it shows instead of summing and windowing two years of figures on every request.

    ``scope`` is ``""`` for the viewers who see every partnership (every provider figure is
    added up) or one partnership's name (only the figures it reported, as its consortium sees
    them). Kept by :mod:`populatie.kpis.provider_cells` in the transaction of each import.
    """

    __tablename__ = "kpi_provider_cell"
    # The key is the table's order (SQLite stores it without a rowid), so a view's cells lie
    # together on disk and are read in one range, not looked up one by one.
    __table_args__ = ({"sqlite_with_rowid": False},)

    kpi_code: str = Field(max_length=40, primary_key=True)
    segment_code: str = Field(max_length=40, primary_key=True)
    scope: str = Field(max_length=200, primary_key=True)
    year: int = Field(primary_key=True)
    provider: str = Field(max_length=200, primary_key=True)
    category: str = Field(max_length=2, primary_key=True)
    start_month: int = Field(primary_key=True)
    months: int = Field(primary_key=True)
    period: str = Field(max_length=7)
    numerator: int | None = Field(default=None, sa_type=BigInteger)
    denominator: int | None = Field(default=None, sa_type=BigInteger)
    value_milli: int | None = Field(
        default=None, sa_type=BigInteger, description="the figure's median when there is one"
    )
    figures: int = Field(description="how many figures were added up")
    before_numerator: int | None = Field(default=None, sa_type=BigInteger)
    before_denominator: int | None = Field(default=None, sa_type=BigInteger)
    before_value_milli: int | None = Field(default=None, sa_type=BigInteger)
    before_figures: int | None = Field(
        default=None, description="None when the provider had no figure a year before"
    )
