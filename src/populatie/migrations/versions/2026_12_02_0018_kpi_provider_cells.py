"""KPI provider cells: the provider figures added up per viewer scope and period, beside the year before

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 13:30:00.000000

The provider view summed and windowed two years of figures on every request; it now reads one
cell per point it shows. The import keeps the cells in its own transaction; this revision fills
them from the figures already stored, with the same definition (scope "" for the viewers who
see every partnership, a partnership's name for its consortium; the year before only when it is
the year before).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_KEY = [
    "kpi_code",
    "segment_code",
    "scope",
    "year",
    "provider",
    "category",
    "start_month",
    "months",
]
_UNIT = "kpi_code, segment_code, scope, provider, category, start_month, months"
_FILL = """
INSERT INTO kpi_provider_cell (
    kpi_code, segment_code, scope, year, provider, category, start_month, months, period,
    numerator, denominator, value_milli, figures,
    before_numerator, before_denominator, before_value_milli, before_figures
)
SELECT kpi_code, segment_code, scope, year, provider, category, start_month, months, period,
    numerator, denominator, value_milli, figures,
    CASE WHEN lag(year) OVER series = year - 1 THEN lag(numerator) OVER series END,
    CASE WHEN lag(year) OVER series = year - 1 THEN lag(denominator) OVER series END,
    CASE WHEN lag(year) OVER series = year - 1 THEN lag(value_milli) OVER series END,
    CASE WHEN lag(year) OVER series = year - 1 THEN lag(figures) OVER series END
FROM (
    SELECT kpi_code, segment_code, {scope} AS scope, year, provider, category, start_month,
        months, period, sum(numerator) AS numerator, sum(denominator) AS denominator,
        CASE WHEN count(*) = 1 THEN max(value_milli) END AS value_milli, count(*) AS figures
    FROM kpi_figure
    WHERE provider != '' {only}
    GROUP BY kpi_code, segment_code, {grouped}provider, category, start_month, months, year,
        period
) AS cells
WINDOW series AS (PARTITION BY {unit} ORDER BY year)
"""


def upgrade() -> None:
    op.create_table(
        "kpi_provider_cell",
        sa.Column("kpi_code", _TEXT(length=40), nullable=False),
        sa.Column("segment_code", _TEXT(length=40), nullable=False),
        sa.Column("scope", _TEXT(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("provider", _TEXT(length=200), nullable=False),
        sa.Column("category", _TEXT(length=2), nullable=False),
        sa.Column("start_month", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("period", _TEXT(length=7), nullable=False),
        sa.Column("numerator", sa.BigInteger(), nullable=True),
        sa.Column("denominator", sa.BigInteger(), nullable=True),
        sa.Column("value_milli", sa.BigInteger(), nullable=True),
        sa.Column("figures", sa.Integer(), nullable=False),
        sa.Column("before_numerator", sa.BigInteger(), nullable=True),
        sa.Column("before_denominator", sa.BigInteger(), nullable=True),
        sa.Column("before_value_milli", sa.BigInteger(), nullable=True),
        sa.Column("before_figures", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint(*_KEY, name="pk_kpi_provider_cell"),
        sqlite_with_rowid=False,
    )
    # Every viewer's cells, then each partnership's own.
    op.execute(_FILL.format(scope="''", grouped="", only="", unit=_UNIT))
    op.execute(
        _FILL.format(
            scope="partnership_name",
            grouped="partnership_name, ",
            only="AND partnership_name != ''",
            unit=_UNIT,
        )
    )


def downgrade() -> None:
    op.drop_table("kpi_provider_cell")
