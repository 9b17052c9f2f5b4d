"""The KPI views: each KPI against its norm with its trend, signals, the funnel plot, providers
against their own past and their peers, and the CSV export of it all.

A consortium sees its own partnership only, and every count under :data:`SUPPRESS_BELOW` is
withheld from it, as CBS does with small numbers: the figure's value, numerator and denominator
are not sent, and nothing derived from them is either (a trend, a signal, a funnel point and
its limits, a peer or own-past comparison). Finance, planners and the auditor see every figure.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import case, func, null, select
from sqlmodel import Session, col

from populatie.core.funnel import funnel, funnel_curve
from populatie.errors import DataError, NotFoundError
from populatie.kpis import schemas
from populatie.kpis.models import KpiFigure
from populatie.kpis.parsing import parse_period
from populatie.kpis.register import Kpi, Register
from populatie.kpis.signals import Observation, find_signals, outside
from populatie.spreadsheets import csv_row

__all__ = [
    "SUPPRESS_BELOW",
    "export_csv",
    "funnel_view",
    "overview",
    "provider_comparison",
    "register_view",
    "signal_list",
]

SUPPRESS_BELOW = 10
FUNNEL_METHOD = (
    "p0 = sum of events / sum of cases over the providers shown; limits p0 ± z·sqrt(p0(1−p0)/n), "
    "normal approximation of the binomial, z = 1.959964 (95 %) and 3.090232 (99.8 %)"
)


@dataclass
class _Sums:
    numerator: int | None = None
    denominator: int | None = None
    value_milli: int | None = None
    rows: int = 0

    def merge(self, other: _Sums) -> None:
        """Add a group the database summed already: as if its rows were added one by one."""
        self.numerator = _plus(self.numerator, other.numerator)
        self.denominator = _plus(self.denominator, other.denominator)
        self.value_milli = other.value_milli if self.rows == 0 else None
        self.rows += other.rows


def _plus(a: int | None, b: int | None) -> int | None:
    if b is None:
        return a
    return b if a is None else a + b


def _small(kpi: Kpi, s: _Sums) -> bool:
    counts = []
    if kpi.measure in ("rate", "count"):
        counts.append(s.numerator)
    if kpi.measure in ("rate", "mean", "median"):
        counts.append(s.denominator)
    return any(c is not None and c < SUPPRESS_BELOW for c in counts)


def _value(kpi: Kpi, s: _Sums) -> float | None:
    """The figure rounded half to even to three decimals, computed exactly in integers.

    The same number as ``float(round(Decimal(n) / Decimal(d) * scale, 3))``: the quotient is
    rounded once, from the exact fraction, and ``q / 1000`` is the float nearest to it, as
    ``float`` of the decimal is; integers only because a view computes thousands of these.
    """
    if kpi.measure == "count" and s.numerator is not None:
        return float(s.numerator)
    if kpi.measure in ("rate", "mean") and s.numerator is not None and s.denominator:
        top, bottom = _ratio(kpi.scale)
        return _milli_half_even(s.numerator * top * 1000, s.denominator * bottom) / 1000
    if kpi.measure == "median" and s.value_milli is not None:
        return s.value_milli / 1000
    return None


@lru_cache(maxsize=64)
def _ratio(scale: Decimal) -> tuple[int, int]:
    return scale.as_integer_ratio()


def _milli_half_even(top: int, bottom: int) -> int:
    """``top / bottom`` rounded to a whole number, a tie to the even one."""
    if bottom < 0:
        top, bottom = -top, -bottom
    whole, rest = divmod(top, bottom)
    if 2 * rest > bottom or (2 * rest == bottom and whole % 2 == 1):
        whole += 1
    return whole


def _scope_names(session: Session, scope: str | None, names: Iterable[str]) -> list[str]:
    return [scope] if scope is not None else sorted(set(names))


def _kpi(register: Register, code: str) -> Kpi:
    kpi = register.get(code)
    if kpi is None:
        raise NotFoundError(f"no KPI {code!r} in the register")
    return kpi


def _partnership_groups(
    session: Session,
    *,
    scope: str | None,
    segment: str | None,
    kpi: str | None,
    year: int | None,
) -> list[tuple[str, str, str, str, int, int, str, str, str, _Sums]]:
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
            _Sums(_int(n), _int(d), _int(v), int(count)),
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


@dataclass(frozen=True)
class _Group:
    provider: str
    partnership: str
    category: str
    period: str
    sums: _Sums


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
        _Group(provider, partnership, cat, at, _Sums(_int(n), _int(d), _int(v), int(count)))
        for provider, partnership, cat, at, n, d, v, count in session.execute(query)
    ]


def _int(value: object) -> int | None:
    """A database sum as an integer (PostgreSQL sums a bigint as a numeric)."""
    return None if value is None else int(value)  # type: ignore[call-overload]


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


# --- per partnership and segment -------------------------------------------------------------


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
        _kpi(register, kpi)
    wanted = scope if scope is not None else partnership
    # A figure for the whole partnership (no area, no municipality) stands for it; without one,
    # the figures of its areas or municipalities are added up. Never both: that would count twice.
    parts: dict[tuple[str, str, str, str, int], dict[tuple[int, str], list[_Sums]]] = defaultdict(
        dict
    )
    for g in _partnership_groups(session, scope=wanted, segment=segment, kpi=kpi, year=year):
        name, seg, code, category, months, start, period, area, municipality, sums = g
        whole_and_parts = parts[(name, seg, code, category, months)].setdefault(
            (start, period), [_Sums(), _Sums()]
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
    names = _scope_names(session, wanted, (s.partnership for s in series))
    return schemas.Overview(partnerships=names, suppressed_below=SUPPRESS_BELOW, series=series)


def _series(
    kpi: Kpi,
    partnership: str,
    segment: str,
    category: str,
    months: int,
    periods: Sequence[tuple[tuple[int, str], _Sums]],
    scope: str | None,
) -> schemas.Series:
    points = []
    observations = []
    for (start, period), sums in periods:
        year = start // 12
        norm = kpi.norm(segment, year)
        norm_value = float(norm.value) if norm is not None else None
        hidden = scope is not None and _small(kpi, sums)
        value = None if hidden else _value(kpi, sums)
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


# --- between providers -----------------------------------------------------------------------


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
    definition = _kpi(register, kpi)
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
    by_provider: dict[str, _Sums] = defaultdict(_Sums)
    for g in found:
        by_provider[g.provider].merge(g.sums)
    groups = [
        (name, s.numerator or 0, s.denominator or 0)
        for name, s in sorted(by_provider.items())
        if s.denominator
    ]
    names = _scope_names(session, scope, (g.partnership for g in found if g.partnership))
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
    total = _Sums(sum(g[1] for g in groups), sum(g[2] for g in groups), None, len(groups))
    if scope is not None and _small(definition, total):
        return empty
    result = funnel(groups)
    providers = []
    for point in result.points:
        hidden = scope is not None and _small(definition, _Sums(point.events, point.cases, None, 1))
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


def _limits(cases: int, lim: object) -> schemas.FunnelLimits:
    from populatie.core.funnel import Limits

    assert isinstance(lim, Limits)
    return schemas.FunnelLimits(
        cases=cases,
        lower_95=lim.lower_95,
        upper_95=lim.upper_95,
        lower_998=lim.lower_998,
        upper_998=lim.upper_998,
    )


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
    definition = _kpi(register, kpi)
    if year is None:
        latest = _latest(session, scope=scope, segment=segment, kpi=kpi)
        year = latest[1] if latest else None
    medians = definition.measure == "median"
    consortium = scope is not None
    # Per provider, category and period of the year: the sums, the peers' beside them and the
    # same period a year before, all joined by the database (see _cells_query), so only the
    # rows shown come back; sorted here, as Python orders names (a database collation may not).
    rows: list[Any] = []
    if year is not None:
        query = _cells_query(scope, segment, kpi, medians, year)
        rows = sorted(session.connection().execute(query), key=lambda r: (r[0], r[1], r[3], r[4]))

    def shown(s: _Sums | None) -> float | None:
        if s is None or (consortium and _small(definition, s)):
            return None
        return _value(definition, s)

    series: list[schemas.ProviderSeries] = []
    for row in rows:
        provider, category, period = row[0], row[1], row[2]
        sums = _Sums(_int(row[5]), _int(row[6]), _int(row[7]), int(row[8]))
        total_rows = int(row[11])
        peers = None
        if not medians and total_rows > sums.rows:
            peers = _Sums(
                _minus(_int(row[9]), sums.numerator),
                _minus(_int(row[10]), sums.denominator),
                None,
                total_rows - sums.rows,
            )
        before = (
            None
            if row[15] is None
            else _Sums(_int(row[12]), _int(row[13]), _int(row[14]), int(row[15]))
        )
        hidden = consortium and _small(definition, sums)
        point = schemas.ProviderPoint(
            period=period,
            value=None if hidden else _value(definition, sums),
            suppressed=hidden,
            previous_year=shown(before),
            peers=shown(peers),
        )
        last = series[-1] if series else None
        if last is not None and last.provider == provider and last.category == category:
            last.points.append(point)
        else:
            series.append(
                schemas.ProviderSeries(provider=provider, category=category, points=[point])
            )
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


def _cells_query(scope: str | None, segment: str, kpi: str, median: bool, year: int) -> Any:
    """Per provider, category and period of ``year``: the sums and their count; beside them
    the same over every provider of that period and category (a window over the groups), so
    the peers are the total less the provider without a second pass; and the provider's sums
    of the same period a year before (a window too), so that only the year's rows return.

    Columns: provider, category, period, start month, months; numerator, denominator, value,
    rows; the period's numerator, denominator and rows; the year before's four."""
    rows = func.count()
    numerator = func.sum(col(KpiFigure.numerator))
    denominator = func.sum(col(KpiFigure.denominator))
    window = [col(KpiFigure.period), col(KpiFigure.category)]
    # Only a median reads its value, so a share is answered from the index alone.
    value = case((rows == 1, func.max(col(KpiFigure.value_milli)))) if median else null()
    series: dict[str, Any] = {
        "partition_by": [
            col(KpiFigure.provider),
            col(KpiFigure.category),
            col(KpiFigure.start_month),
            col(KpiFigure.months),
        ],
        "order_by": col(KpiFigure.year),
    }
    grouped = (
        select(
            col(KpiFigure.provider).label("provider"),
            col(KpiFigure.category).label("category"),
            col(KpiFigure.period).label("period"),
            col(KpiFigure.year).label("year"),
            col(KpiFigure.start_month).label("start_month"),
            col(KpiFigure.months).label("months"),
            numerator.label("n"),
            denominator.label("d"),
            value.label("v"),
            rows.label("rows"),
            func.sum(numerator).over(partition_by=window).label("all_n"),
            func.sum(denominator).over(partition_by=window).label("all_d"),
            func.sum(rows).over(partition_by=window).label("all_rows"),
            # The same period a year before: the row before in the provider's series of that
            # period, as only the two years are read.
            func.lag(numerator).over(**series).label("before_n"),
            func.lag(denominator).over(**series).label("before_d"),
            (func.lag(value).over(**series) if median else null()).label("before_v"),
            func.lag(rows).over(**series).label("before_rows"),
        )
        .where(
            col(KpiFigure.kpi_code) == kpi,
            col(KpiFigure.segment_code) == segment,
            col(KpiFigure.provider) != "",
            col(KpiFigure.year).between(year - 1, year),
        )
        .group_by(
            col(KpiFigure.provider),
            col(KpiFigure.category),
            col(KpiFigure.start_month),
            col(KpiFigure.months),
            col(KpiFigure.year),
            col(KpiFigure.period),
        )
    )
    if scope is not None:
        grouped = grouped.where(col(KpiFigure.partnership_name) == scope)
    cells = grouped.subquery("cells")
    shown = [c for c in cells.c if c.name != "year"]
    return select(*shown).where(cells.c.year == year)


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


def _minus(a: int | None, b: int | None) -> int | None:
    if a is None:
        return None
    return a - (b or 0)


# --- register and export ---------------------------------------------------------------------


def register_view(register: Register) -> schemas.KpiRegister:
    items = []
    for kpi in register:
        data = kpi.as_json()
        data["norms"] = [schemas.KpiNorm(**n) for n in data["norms"]]
        items.append(schemas.KpiDefinition(**data))
    return schemas.KpiRegister(items=items, total=len(items))


EXPORT_COLUMNS = (
    "partnership",
    "segment",
    "kpi",
    "category",
    "period",
    "value",
    "numerator",
    "denominator",
    "suppressed",
    "norm",
    "norm_illustrative",
    "outside_norm",
)


def export_csv(view: schemas.Overview) -> bytes:
    """The overview as CSV; a withheld figure is ``x`` in its value, numerator and denominator."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for s in view.series:
        for p in s.points:
            mark = "x" if p.suppressed else ""
            writer.writerow(
                csv_row(
                    [
                        s.partnership,
                        s.segment,
                        s.kpi,
                        s.category,
                        p.period,
                        mark or _text(p.value),
                        mark or _text(p.numerator),
                        mark or _text(p.denominator),
                        "ja" if p.suppressed else "nee",
                        _text(p.norm),
                        "ja" if p.norm_illustrative else "nee",
                        "" if p.outside_norm is None else ("ja" if p.outside_norm else "nee"),
                    ]
                )
            )
    return out.getvalue().encode("utf-8")


def _text(value: float | int | None) -> str:
    return "" if value is None else str(value)
