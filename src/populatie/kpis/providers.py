"""Each provider of a segment against its own past and its peers: the profile, cost per client
and product mix per provider, period by period over one year.

The view reads the provider cells (:mod:`populatie.kpis.provider_cells`): one row per point it
shows, the provider's sums beside its own a year before, of the viewer's scope, found by the
cells' unique index. The peers of a point are the other providers of the same period and
category the viewer sees, pooled: the period's total less the provider, added up here from the
same rows. A consortium sees its own partnership's figures only and none of a small count, nor a
year before or a peers' figure that is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.kpis import schemas
from populatie.kpis.models import KpiFigure, KpiProviderCell
from populatie.kpis.register import Register
from populatie.kpis.sums import SUPPRESS_BELOW, Reading, kpi_of, plus

__all__ = ["provider_comparison"]

_CELL = KpiProviderCell


def provider_comparison(
    session: Session,
    register: Register,
    scope: str | None,
    *,
    kpi: str = "cost_per_client",
    segment: str = "B",
    year: int | None = None,
) -> schemas.ProviderComparison:
    """Each provider's figure per period of ``year`` (default: the newest with figures) beside
    its own a year before and its peers' (the other providers of the segment shown, pooled)."""
    definition = kpi_of(register, kpi)
    consortium = scope is not None
    where = (
        col(_CELL.kpi_code) == kpi,
        col(_CELL.segment_code) == segment,
        col(_CELL.scope) == (scope or ""),
    )
    if year is None:
        year = session.execute(select(func.max(col(_CELL.year))).where(*where)).scalar()
    # In the order of the year's periods from the database; by name here, as Python orders
    # names (a database collation may not), the sort keeping the periods' order.
    cells: Sequence[Any] = []
    if year is not None:
        query = (
            select(
                col(_CELL.provider),
                col(_CELL.category),
                col(_CELL.period),
                col(_CELL.numerator),
                col(_CELL.denominator),
                col(_CELL.value_milli),
                col(_CELL.figures),
                col(_CELL.before_numerator),
                col(_CELL.before_denominator),
                col(_CELL.before_value_milli),
                col(_CELL.before_figures),
            )
            .where(*where, col(_CELL.year) == year)
            .order_by(
                col(_CELL.provider),
                col(_CELL.category),
                col(_CELL.start_month),
                col(_CELL.months),
            )
        )
        # Plain tuples, each row let go as read: the garbage collector drops them from its
        # lists, so a full pass of it is not brought on by the rows of a view.
        result = session.connection().execute(query)
        cells = sorted((tuple(r) for r in result), key=lambda r: (r[0], r[1]))
    # The peers are not a median's: a median of medians is no one's median.
    totals = _period_totals(cells) if definition.measure != "median" else {}

    reading = Reading(definition)
    value, small = reading.value, reading.small

    def withheld(n: int | None, d: int | None, v: int | None) -> float | None:
        return None if small(n, d) else value(n, d, v)

    shown = withheld if consortium else value
    series: list[schemas.ProviderSeries] = []
    points: list[schemas.ProviderPoint] = []
    unit: tuple[str, str] | None = None
    for provider, category, period, n, d, v, rows, bn, bd, bv, brows in cells:
        peers = None
        total = totals.get((category, period))
        if total is not None and total[2] > rows:
            others_n, others_d = total[0], total[1]
            peers = shown(
                None if others_n is None else others_n - (n or 0),
                None if others_d is None else others_d - (d or 0),
                None,
            )
        hidden = consortium and small(n, d)
        point = schemas.ProviderPoint(
            period=period,
            value=None if hidden else value(n, d, v),
            suppressed=hidden,
            previous_year=None if brows is None else shown(bn, bd, bv),
            peers=peers,
        )
        if unit != (provider, category):
            unit = (provider, category)
            points = []
            series.append(
                schemas.ProviderSeries(provider=provider, category=category, points=points)
            )
        points.append(point)
    names = (
        [scope]
        if scope is not None
        else _partnerships_of(session, segment, kpi, (year - 1, year))
        if year is not None
        else []
    )
    return schemas.ProviderComparison(
        partnerships=names,
        kpi=kpi,
        segment=segment,
        unit=definition.unit,
        suppressed_below=SUPPRESS_BELOW,
        providers=series,
    )


def _period_totals(cells: Sequence[Sequence[Any]]) -> dict[tuple[str, str], list[Any]]:
    """Per category and period, every provider's numerator, denominator and figures together,
    as SQL's ``sum`` adds them (nothing known stays None)."""
    totals: dict[tuple[str, str], list[Any]] = {}
    for cell in cells:
        key = (cell[1], cell[2])
        total = totals.get(key)
        if total is None:
            totals[key] = [cell[3], cell[4], cell[6]]
        else:
            total[0] = plus(total[0], cell[3])
            total[1] = plus(total[1], cell[4])
            total[2] += cell[6]
    return totals


def _partnerships_of(session: Session, segment: str, kpi: str, years: tuple[int, int]) -> list[str]:
    """The partnerships the provider figures of ``years`` name, for a viewer who sees all."""
    query = (
        select(col(KpiFigure.partnership_name))
        .where(
            col(KpiFigure.kpi_code) == kpi,
            col(KpiFigure.segment_code) == segment,
            col(KpiFigure.provider) != "",
            col(KpiFigure.partnership_name) != "",
            col(KpiFigure.year).between(*years),
        )
        .distinct()
    )
    return sorted(session.execute(query).scalars())
