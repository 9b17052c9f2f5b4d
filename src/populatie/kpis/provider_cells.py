"""Keep the provider cells (:class:`KpiProviderCell`) equal to the figures they add up.

A cell is derived from the figures of its period and of the same period a year before, so an
import that brings figures of a period recomputes the cells of that period and of the same
period a year later, from every figure stored, in the import's own transaction: the cells are
never ahead of or behind the figures. Recomputing whole periods of one KPI and segment, rather
than patching cells, keeps one definition of a cell: the query below, which the migration that
made the table ran over every figure.

On PostgreSQL the table is locked first, so two imports of the same periods recompute one after
the other, the second seeing the first's figures; SQLite has one writer at a time anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, case, delete, func, insert, literal, select, text
from sqlmodel import Session, col

from populatie.kpis.models import KpiFigure, KpiProviderCell

__all__ = ["refresh_provider_cells", "slices_of"]

Slices = dict[tuple[str, str], set[str]]


def slices_of(figures: Iterable[tuple[str, str, str, str]]) -> Slices:
    """The periods to recompute per KPI and segment, for ``(kpi, segment, provider, period)``
    of the figures written: a provider figure's period, and the same period a year later, whose
    cells hold it as their year before."""
    periods: Slices = defaultdict(set)
    for kpi, segment, provider, period in figures:
        if provider:
            periods[(kpi, segment)] |= {period, _shifted(period, 1)}
    return dict(periods)


def _shifted(period: str, years: int) -> str:
    """The same month or quarter ``years`` later: ``2025-03`` → ``2026-03``, ``2025-Q1`` →
    ``2026-Q1``."""
    return f"{int(period[:4]) + years:04d}{period[4:]}"


def refresh_provider_cells(session: Session, slices: Slices | None = None) -> None:
    """Recompute the cells of ``slices`` (every cell when None) from the stored figures."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE kpi_provider_cell IN EXCLUSIVE MODE"))
    if slices is None:
        session.execute(delete(KpiProviderCell))
        for scoped in (False, True):
            session.execute(_insert(_cells(scoped, None, None, None)))
        return
    for (kpi, segment), periods in sorted(slices.items()):
        session.execute(
            delete(KpiProviderCell).where(
                col(KpiProviderCell.kpi_code) == kpi,
                col(KpiProviderCell.segment_code) == segment,
                col(KpiProviderCell.year).in_(sorted({int(p[:4]) for p in periods})),
                col(KpiProviderCell.period).in_(sorted(periods)),
            )
        )
        for scoped in (False, True):
            session.execute(_insert(_cells(scoped, kpi, segment, periods)))


_COLUMNS = (
    "kpi_code",
    "segment_code",
    "scope",
    "year",
    "provider",
    "category",
    "start_month",
    "months",
    "period",
    "numerator",
    "denominator",
    "value_milli",
    "figures",
    "before_numerator",
    "before_denominator",
    "before_value_milli",
    "before_figures",
)


def _insert(query: Select[Any]) -> Any:
    return insert(KpiProviderCell).from_select(list(_COLUMNS), query)


def _cells(scoped: bool, kpi: str | None, segment: str | None, periods: set[str] | None) -> Any:
    """The cells of every viewer (``scoped`` False: all provider figures, scope ``""``) or of
    each partnership (its own figures, scope its name), for ``periods`` of one KPI and segment
    or for everything; the year before is the row before in the series of the same provider,
    category and period of the year, when it is that year's."""
    figures = func.count()
    scope = col(KpiFigure.partnership_name) if scoped else literal("")
    unit = [
        col(KpiFigure.kpi_code),
        col(KpiFigure.segment_code),
        col(KpiFigure.provider),
        col(KpiFigure.category),
        col(KpiFigure.start_month),
        col(KpiFigure.months),
    ]
    if scoped:
        unit.append(col(KpiFigure.partnership_name))
    grouped: Any = (
        select(
            col(KpiFigure.kpi_code).label("kpi_code"),
            col(KpiFigure.segment_code).label("segment_code"),
            scope.label("scope"),
            col(KpiFigure.year).label("year"),
            col(KpiFigure.provider).label("provider"),
            col(KpiFigure.category).label("category"),
            col(KpiFigure.start_month).label("start_month"),
            col(KpiFigure.months).label("months"),
            col(KpiFigure.period).label("period"),
            func.sum(col(KpiFigure.numerator)).label("numerator"),
            func.sum(col(KpiFigure.denominator)).label("denominator"),
            case((figures == 1, func.max(col(KpiFigure.value_milli)))).label("value_milli"),
            figures.label("figures"),
        )
        .where(col(KpiFigure.provider) != "")
        .group_by(*unit, col(KpiFigure.year), col(KpiFigure.period))
    )
    if scoped:
        grouped = grouped.where(col(KpiFigure.partnership_name) != "")
    if kpi is not None and segment is not None and periods is not None:
        grouped = grouped.where(
            col(KpiFigure.kpi_code) == kpi,
            col(KpiFigure.segment_code) == segment,
            col(KpiFigure.period).in_(sorted(periods | {_shifted(p, -1) for p in periods})),
        )
    cells = grouped.subquery("cells")
    series: dict[str, Any] = {
        "partition_by": [
            cells.c.kpi_code,
            cells.c.segment_code,
            cells.c.scope,
            cells.c.provider,
            cells.c.category,
            cells.c.start_month,
            cells.c.months,
        ],
        "order_by": cells.c.year,
    }
    follows = func.lag(cells.c.year).over(**series) == cells.c.year - 1

    def before(column: Any) -> Any:
        return case((follows, func.lag(column).over(**series)))

    chained = select(
        *(cells.c[name] for name in _COLUMNS[:13]),
        before(cells.c.numerator).label("before_numerator"),
        before(cells.c.denominator).label("before_denominator"),
        before(cells.c.value_milli).label("before_value_milli"),
        before(cells.c.figures).label("before_figures"),
    ).subquery("chained")
    query = select(*(chained.c[name] for name in _COLUMNS))
    if periods is not None:
        query = query.where(chained.c.period.in_(sorted(periods)))
    return query
