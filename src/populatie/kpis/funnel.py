"""The providers of a segment in one period as a funnel plot of one share, with 95 % and
99.8 % control limits, so that a small provider is not flagged for noise.

The limits are pure core (:mod:`populatie.core.funnel`); here the figures are read and added
up per provider, and for a consortium its own providers only, small counts withheld, and no
plot at all when the period's whole is a small count.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, func, null, select
from sqlmodel import Session, col

from populatie.core.funnel import Limits, funnel, funnel_curve
from populatie.errors import DataError
from populatie.kpis import schemas
from populatie.kpis.models import KpiFigure
from populatie.kpis.parsing import parse_period
from populatie.kpis.register import Register
from populatie.kpis.sums import SUPPRESS_BELOW, Sums, as_int, kpi_of, scope_names, small

__all__ = ["FUNNEL_METHOD", "funnel_view"]

FUNNEL_METHOD = (
    "p0 = sum of events / sum of cases over the providers shown; limits p0 ± z·sqrt(p0(1−p0)/n), "
    "normal approximation of the binomial, z = 1.959964 (95 %) and 3.090232 (99.8 %)"
)


def funnel_view(
    session: Session,
    register: Register,
    scope: str | None,
    *,
    kpi: str = "dropout",
    segment: str = "B",
    period: str | None = None,
    category: str = "",
) -> schemas.Funnel:
    """The providers of a segment in one period as a funnel plot of one share."""
    definition = kpi_of(register, kpi)
    if definition.measure != "rate" or definition.scale != 100:
        raise DataError(f"a funnel plot compares shares; {kpi} is no share (measure rate, %)")
    if period is not None and parse_period(period) is None:
        raise DataError(f"{period!r} is not a month (2026-03) or a quarter (2026-Q1)")
    if period is None:
        latest = _latest(session, scope=scope, segment=segment, kpi=kpi)
        period = latest[0] if latest else None
    found = (
        _provider_groups(
            session,
            scope=scope,
            segment=segment,
            kpi=kpi,
            median=definition.measure == "median",
            period=period,
            category=category,
        )
        if period is not None
        else []
    )
    by_provider: dict[str, Sums] = defaultdict(Sums)
    for g in found:
        by_provider[g.provider].merge(g.sums)
    groups = [
        (name, s.numerator or 0, s.denominator or 0)
        for name, s in sorted(by_provider.items())
        if s.denominator
    ]
    names = scope_names(scope, (g.partnership for g in found if g.partnership))
    empty = schemas.Funnel(
        partnerships=names,
        kpi=kpi,
        segment=segment,
        periods=[period] if period else [],
        method=FUNNEL_METHOD,
        suppressed_below=SUPPRESS_BELOW,
        target=None,
        providers=[],
        curve=[],
    )
    if not groups:
        return empty
    total = Sums(sum(g[1] for g in groups), sum(g[2] for g in groups), None, len(groups))
    if scope is not None and small(definition, total):
        return empty
    result = funnel(groups)
    providers = []
    for point in result.points:
        hidden = scope is not None and small(definition, Sums(point.events, point.cases, None, 1))
        providers.append(
            schemas.FunnelProvider(
                provider=point.label,
                suppressed=hidden,
                events=None if hidden else point.events,
                cases=None if hidden else point.cases,
                proportion=None if hidden else point.proportion,
                limits=None if hidden else _limits(point.cases, point.limits),
                position=None if hidden else point.position,
            )
        )
    largest = max(g[2] for g in groups)
    curve = [_limits(n, lim) for n, lim in funnel_curve(result.target, largest)]
    return schemas.Funnel(
        partnerships=names,
        kpi=kpi,
        segment=segment,
        periods=[period] if period else [],
        method=FUNNEL_METHOD,
        suppressed_below=SUPPRESS_BELOW,
        target=result.target,
        providers=providers,
        curve=curve,
    )


def _limits(cases: int, lim: Limits) -> schemas.FunnelLimits:
    return schemas.FunnelLimits(
        cases=cases,
        lower_95=lim.lower_95,
        upper_95=lim.upper_95,
        lower_998=lim.lower_998,
        upper_998=lim.upper_998,
    )


@dataclass(frozen=True)
class _Group:
    provider: str
    partnership: str
    category: str
    period: str
    sums: Sums


def _provider_groups(
    session: Session,
    *,
    scope: str | None,
    segment: str,
    kpi: str,
    median: bool,
    period: str | None = None,
    category: str | None = None,
    years: tuple[int, int] | None = None,
) -> list[_Group]:
    """Provider figures of one KPI in one segment, summed in the database per provider,
    partnership, category and period; read from an index that holds every column used."""
    rows = func.count()
    query = (
        select(
            col(KpiFigure.provider),
            col(KpiFigure.partnership_name),
            col(KpiFigure.category),
            col(KpiFigure.period),
            func.sum(col(KpiFigure.numerator)),
            func.sum(col(KpiFigure.denominator)),
            # Only a median reads its value, so a share is answered from the index alone.
            case((rows == 1, func.max(col(KpiFigure.value_milli)))) if median else null(),
            rows,
        )
        .where(
            col(KpiFigure.kpi_code) == kpi,
            col(KpiFigure.segment_code) == segment,
            col(KpiFigure.provider) != "",
        )
        .group_by(
            col(KpiFigure.provider),
            col(KpiFigure.partnership_name),
            col(KpiFigure.category),
            col(KpiFigure.period),
        )
    )
    if scope is not None:
        query = query.where(col(KpiFigure.partnership_name) == scope)
    if period is not None:
        query = query.where(col(KpiFigure.period) == period)
    if category is not None:
        query = query.where(col(KpiFigure.category) == category)
    if years is not None:
        query = query.where(col(KpiFigure.year).between(*years))
    return [
        _Group(provider, partnership, cat, at, Sums(as_int(n), as_int(d), as_int(v), int(count)))
        for provider, partnership, cat, at, n, d, v, count in session.execute(query)
    ]


def _latest(
    session: Session, *, scope: str | None, segment: str, kpi: str
) -> tuple[str, int] | None:
    """The newest period with provider figures of ``kpi`` in ``segment``, and its year."""
    query = select(col(KpiFigure.period), col(KpiFigure.year)).where(
        col(KpiFigure.kpi_code) == kpi,
        col(KpiFigure.segment_code) == segment,
        col(KpiFigure.provider) != "",
    )
    if scope is not None:
        query = query.where(col(KpiFigure.partnership_name) == scope)
    row = session.execute(
        query.order_by(
            col(KpiFigure.year).desc(),
            col(KpiFigure.start_month).desc(),
            col(KpiFigure.months).asc(),
        ).limit(1)
    ).first()
    return None if row is None else (str(row[0]), int(row[1]))
