"""KPI figures: indexes that match the views' filters, so no view reads every figure

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 10:30:00.000000

The funnel plot reads one period of one KPI in one segment, the provider comparison two years
of it, the overview the partnership figures (no provider): each view's filter is the start of
one index, and for the first two the columns they add up follow, so the database answers from
the index alone. This revision also joins the two branches that both follow 0009.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUMMED = ["provider", "partnership_name", "category", "numerator", "denominator"]


def upgrade() -> None:
    op.drop_index("ix_kpi_figure_series", table_name="kpi_figure")
    op.drop_index("ix_kpi_figure_scope", table_name="kpi_figure")
    op.create_index(
        "ix_kpi_figure_unit",
        "kpi_figure",
        ["provider", "partnership_name", "segment_code", "kpi_code"],
    )
    op.create_index(
        "ix_kpi_figure_period", "kpi_figure", ["kpi_code", "segment_code", "period", *_SUMMED]
    )
    op.create_index(
        "ix_kpi_figure_series",
        "kpi_figure",
        ["kpi_code", "segment_code", "year", "start_month", "months", "period", *_SUMMED],
    )


def downgrade() -> None:
    op.drop_index("ix_kpi_figure_series", table_name="kpi_figure")
    op.drop_index("ix_kpi_figure_period", table_name="kpi_figure")
    op.drop_index("ix_kpi_figure_unit", table_name="kpi_figure")
    op.create_index(
        "ix_kpi_figure_scope", "kpi_figure", ["partnership_name", "segment_code", "kpi_code"]
    )
    op.create_index(
        "ix_kpi_figure_series", "kpi_figure", ["kpi_code", "segment_code", "year", "start_month"]
    )
