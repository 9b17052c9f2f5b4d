"""Each KPI per partnership and segment, period by period, against its norm with its trend,
and the signals: a KPI outside its norm two periods in a row, with its evidence.

The overview reads the partnerships' own figures (no provider); a consortium sees its own
partnership, its small counts withheld (:mod:`populatie.kpis.sums`), and no trend or signal is
drawn from a withheld figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from populatie.kpis import schemas
from populatie.kpis.models import KpiFigure
from populatie.kpis.register import Kpi, Register
from populatie.kpis.signals import Observation, find_signals, outside
from populatie.kpis.sums import SUPPRESS_BELOW, Sums, as_int, kpi_of, scope_names, small, value_of

__all__ = ["overview", "signal_list"]


def overview(
    session: Session,
    register: Register,
    scope: str | None,
    *,
    segment: str | None = None,
    kpi: str | None = None,
    year: int | None = None,
    partnership: str | None = None,
) -> schemas.Overview:
    """Each KPI per partnership and segment, period by period, against its norm."""
    if kpi is not None:
        kpi_of(register, kpi)
    wanted = scope if scope is not None else partnership
    # A figure for the whole partnership (no area, no municipality) stands for it; without one,
    # the figures of its areas or municipalities are added up. Never both: that would count twice.
    parts: dict[tuple[str, str, str, str, int], dict[tuple[int, str], list[Sums]]] = defaultdict(
        dict
    )
    for g in _partnership_groups(session, scope=wanted, segment=segment, kpi=kpi, year=year):
        name, seg, code, category, months, start, period, area, municipality, sums = g
        whole_and_parts = parts[(name, seg, code, category, months)].setdefault(
            (start, period), [Sums(), Sums()]
        )
        whole_and_parts[0 if not (area or municipality) else 1].merge(sums)
    groups = {
        key: {p: (pair[0] if pair[0].rows else pair[1]) for p, pair in by_period.items()}
        for key, by_period in parts.items()
    }
    series = []
    for (name, seg, code, category, months), by_period in sorted(groups.items()):
        definition = register.get(code)
        if definition is None:
            continue  # a KPI since taken out of the register
        series.append(
            _series(definition, name, seg, category, months, sorted(by_period.items()), scope)
        )
    names = scope_names(wanted, (s.partnership for s in series))
    return schemas.Overview(partnerships=names, suppressed_below=SUPPRESS_BELOW, series=series)


def _series(
    kpi: Kpi,
    partnership: str,
    segment: str,
    category: str,
    months: int,
    periods: Sequence[tuple[tuple[int, str], Sums]],
    scope: str | None,
) -> schemas.Series:
    points = []
    observations = []
    for (start, period), sums in periods:
        year = start // 12
        norm = kpi.norm(segment, year)
        norm_value = float(norm.value) if norm is not None else None
        hidden = scope is not None and small(kpi, sums)
        value = None if hidden else value_of(kpi, sums)
        points.append(
            schemas.Point(
                period=period,
                value=value,
                numerator=None if hidden else sums.numerator,
                denominator=None if hidden else sums.denominator,
                suppressed=hidden,
                norm=norm_value,
                norm_illustrative=norm.illustrative if norm is not None else False,
                outside_norm=outside(value, norm_value, kpi.direction),
            )
        )
        observations.append(Observation(period, start, months, value, norm_value))
    illustrative = any(p.norm_illustrative for p in points)
    signals = [
        schemas.SignalEvidence(
            periods=s.periods, values=s.values, norms=s.norms, norm_illustrative=illustrative
        )
        for s in find_signals(observations, kpi.direction)
    ]
    return schemas.Series(
        partnership=partnership,
        segment=segment,
        kpi=kpi.code,
        name_nl=kpi.name_nl,
        unit=kpi.unit,
        direction=kpi.direction,
        category=category,
        granularity="month" if months == 1 else "quarter",
        points=points,
        trend=_trend(points, kpi.direction),
        signals=signals,
    )


def _trend(points: Sequence[schemas.Point], direction: str) -> schemas.Trend | None:
    """The change from the one but last period to the last, when both are shown."""
    if len(points) < 2 or points[-1].value is None or points[-2].value is None:
        return None
    change = round(points[-1].value - points[-2].value, 3)
    better = None
    if change != 0 and direction in ("higher", "lower"):
        better = (change > 0) == (direction == "higher")
    return schemas.Trend(
        from_period=points[-2].period, to_period=points[-1].period, change=change, better=better
    )


def signal_list(
    session: Session,
    register: Register,
    scope: str | None,
    *,
    segment: str | None = None,
    year: int | None = None,
) -> schemas.SignalList:
    view = overview(session, register, scope, segment=segment, year=year)
    items = [
        schemas.SignalItem(
            partnership=s.partnership,
            segment=s.segment,
            kpi=s.kpi,
            name_nl=s.name_nl,
            category=s.category,
            direction=s.direction,
            evidence=evidence,
        )
        for s in view.series
        for evidence in s.signals
    ]
    return schemas.SignalList(
        partnerships=view.partnerships, suppressed_below=SUPPRESS_BELOW, signals=items
    )


def _partnership_groups(
    session: Session,
    *,
    scope: str | None,
    segment: str | None,
    kpi: str | None,
    year: int | None,
) -> list[tuple[str, str, str, str, int, int, str, str, str, Sums]]:
    """Partnership figures summed in the database per partnership, segment, KPI, category,
    period, area and municipality (the overview chooses between a whole and its parts)."""
    rows = func.count()
    keys = (
        col(KpiFigure.partnership_name),
        col(KpiFigure.segment_code),
        col(KpiFigure.kpi_code),
        col(KpiFigure.category),
        col(KpiFigure.months),
        col(KpiFigure.year),
        col(KpiFigure.start_month),
        col(KpiFigure.period),
        col(KpiFigure.area_code),
        col(KpiFigure.municipality_code),
    )
    query = (
        select(
            *keys,
            func.sum(col(KpiFigure.numerator)),
            func.sum(col(KpiFigure.denominator)),
            case((rows == 1, func.max(col(KpiFigure.value_milli)))),
            rows,
        )
        .where(col(KpiFigure.provider) == "", col(KpiFigure.partnership_name) != "")
        .group_by(*keys)
    )
    if scope is not None:
        query = query.where(col(KpiFigure.partnership_name) == scope)
    if segment is not None:
        query = query.where(col(KpiFigure.segment_code) == segment)
    if kpi is not None:
        query = query.where(col(KpiFigure.kpi_code) == kpi)
    if year is not None:
        query = query.where(col(KpiFigure.year) == year)
    return [
        (
            name,
            seg,
            code,
            category,
            int(months),
            int(at_year) * 12 + int(month) - 1,
            period,
            area,
            municipality,
            Sums(as_int(n), as_int(d), as_int(v), int(count)),
        )
        for (
            name,
            seg,
            code,
            category,
            months,
            at_year,
            month,
            period,
            area,
            municipality,
            n,
            d,
            v,
            count,
        ) in session.execute(query)
    ]
