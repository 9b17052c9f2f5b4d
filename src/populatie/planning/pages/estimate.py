"""Estimated rates with their intervals, and a run's budget per area over them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy import select
from sqlmodel import Session, col

from populatie.allocations.service import list_runs
from populatie.configuration import DOMAINS, RegionConfig
from populatie.errors import (
    NotFoundError,
    PopulatieError,
)
from populatie.planning import service as planning
from populatie.planning.pages.common import (
    Message,
    Option,
    explained,
    indicator_label,
    run_labels,
)
from populatie.registry.models import Area
from populatie.spending.models import SpendingMonth
from populatie.web import planner_charts as charts
from populatie.web.formatting import (
    DOMAIN_LABELS,
    count,
    euro,
    percent,
)


@dataclass(frozen=True)
class RateView:
    indicator: str
    rate: str
    low: str
    high: str
    share: str
    collinear: bool


@dataclass(frozen=True)
class RangeRow:
    area: str
    run: str
    estimate: str
    low: str
    high: str
    exact: bool


@dataclass(frozen=True)
class EffectRow:
    """One rate of the run, and each area's change when that rate alone is ``step`` higher."""

    label: str
    changes: list[str]


@dataclass(frozen=True)
class EstimatePage:
    years: list[Option]
    domains: list[Option]
    municipalities: list[Option]
    runs: list[Option]
    draws: int
    year: int | None
    domain: str
    municipality: str
    r_squared: str = ""
    districts: int = 0
    rates: list[RateView] = field(default_factory=list)
    interval_svg: Markup | None = None
    ranges: list[RangeRow] = field(default_factory=list)
    range_svg: Markup | None = None
    run_label: str = ""
    problem: Message | None = None
    notes: list[Message] = field(default_factory=list)
    step: str = ""
    area_names: list[str] = field(default_factory=list)
    effects: list[EffectRow] = field(default_factory=list)


def _rate(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"€\u00a0{text}"


def estimate_page(
    session: Session,
    config: RegionConfig,
    *,
    year: int | None,
    domain: str | None,
    municipality: str | None,
    run_id: str | None,
    draws: int,
) -> EstimatePage:
    """Rates fitted to a year's spending per district with their bootstrap intervals, and the
    chosen run's budget per area over those intervals."""
    years = [
        int(y)
        for y in session.execute(
            select(col(SpendingMonth.year)).distinct().order_by(col(SpendingMonth.year).desc())
        ).scalars()
    ]
    domain = domain or "specialist"
    if domain not in DOMAINS:
        raise NotFoundError(f"domain {domain} does not exist")
    municipality = municipality or "GM0518"
    config.municipality_name(municipality)
    if year is None and years:
        year = years[0]
    runs = list_runs(session)
    if run_id is None:
        run_id = next((r.id for r in runs if year is not None and r.year == year + 1), None)
        run_id = run_id or (runs[0].id if runs else None)
    if run_id is not None and run_id not in {r.id for r in runs}:
        raise NotFoundError(f"allocation run {run_id} does not exist")
    page = EstimatePage(
        years=[Option(str(y), str(y), y == year) for y in years],
        domains=[Option(d, DOMAIN_LABELS[d], d == domain) for d in DOMAINS],
        municipalities=[
            Option(m.code, f"{m.name} ({m.code})", m.code == municipality)
            for m in config.municipalities
        ],
        runs=[
            Option(r.id, label, r.id == run_id)
            for r, label in zip(runs, run_labels(session, runs).values(), strict=True)
        ],
        draws=draws,
        year=year,
        domain=domain,
        municipality=municipality,
    )
    if year is None:
        return _with(
            page, problem=Message("Er zijn nog geen uitgaven ingelezen om op te schatten.")
        )
    try:
        spend = planning.spend_per_district(session, year, domain, municipality)
        report = planning.estimate(
            session,
            config,
            spend.cents,
            domain=domain,
            municipality=municipality,
            draws=draws,
            seed=1,
            source=f"uitgaven {year}",
            without_district_cents=spend.without_district_cents,
        )
    except PopulatieError as exc:
        return _with(page, problem=explained("De schatting kan niet worden gemaakt.", exc))
    e = report.estimate
    low = e.ci_low if e.ci_low is not None else e.rates
    high = e.ci_high if e.ci_high is not None else e.rates
    rates = [
        RateView(
            indicator=indicator_label(k),
            rate=_rate(float(e.rates[i])),
            low=_rate(float(low[i])) if e.ci_low is not None else "—",
            high=_rate(float(high[i])) if e.ci_high is not None else "—",
            share=percent(100 * float(e.shares[i])),
            collinear=bool(e.collinear[i]),
        )
        for i, k in enumerate(e.indicator_keys)
    ]
    interval_svg = charts.interval_chart(
        [
            charts.Interval(
                indicator_label(k),
                float(e.rates[i]),
                None if e.ci_low is None else float(e.ci_low[i]),
                None if e.ci_high is None else float(e.ci_high[i]),
            )
            for i, k in enumerate(e.indicator_keys)
        ],
        prefix="intervals",
        title=f"Geschatte tarieven {DOMAIN_LABELS[domain].lower()} met hun interval",
        description=f"Per indicator het geschatte tarief (punt) en het {e.level:.0%}-interval "
        "(lijn met eindstreepjes), elk op een eigen schaal vanaf 0. De tabel geeft de bedragen.",
    )
    notes: list[Message] = []
    if spend.without_district_cents:
        without = euro(spend.without_district_cents)
        notes.append(Message(f"{without} aan uitgaven had geen wijk en telt niet mee."))
    page = _with(
        page,
        r_squared="niet bepaald" if math.isnan(e.r_squared) else count(e.r_squared, 3),
        districts=len(report.districts),
        rates=rates,
        interval_svg=interval_svg,
        notes=notes,
    )
    if run_id is None:
        return page
    return _ranges(session, page, report, run_id, municipality, domain)


def _ranges(
    session: Session,
    page: EstimatePage,
    report: planning.EstimateReport,
    run_id: str,
    municipality: str,
    domain: str,
) -> EstimatePage:
    e = report.estimate
    interval = planning.RateInterval(
        domain=domain,
        municipality=municipality,
        indicators=list(e.indicator_keys),
        rates=[float(v) for v in e.rates],
        low=[float(v) for v in (e.ci_low if e.ci_low is not None else e.rates)],
        high=[float(v) for v in (e.ci_high if e.ci_high is not None else e.rates)],
    )
    label = next((o.label for o in page.runs if o.value == run_id), "")
    try:
        result = planning.sensitivity(session, run_id, estimate=interval)
    except PopulatieError as exc:
        problem = explained("Voor deze run is geen bandbreedte te berekenen.", exc)
        return _with(page, run_label=label, notes=[*page.notes, problem])
    part = next((m for m in result.municipalities if m.municipality == municipality), None)
    if part is None or not part.ranges:
        note = (
            Message("Voor deze run is geen bandbreedte te berekenen: de gemeente zit er niet in.")
            if part is None
            else Message(
                "Voor deze run is geen bandbreedte te berekenen: niet elke wijk heeft cijfers "
                "voor de geschatte indicatoren.",
                "; ".join(part.notes),
            )
        )
        return _with(page, run_label=label, notes=[*page.notes, note])
    r = part.ranges[0]
    j = DOMAINS.index(r.domain)
    rows, bars = [], []
    area_names = {
        str(c): str(n)
        for c, n in session.execute(
            select(col(Area.code), col(Area.name)).where(col(Area.code).in_(part.area_keys))
        )
    }
    for i, code in enumerate(part.area_keys):
        area = area_names.get(code, code)
        run_cents = int(part.amount_cents[j, i])
        rows.append(
            RangeRow(
                area=area,
                run=euro(run_cents),
                estimate=euro(int(r.amount_cents[i])),
                low=euro(int(r.min_cents[i])),
                high=euro(int(r.max_cents[i])),
                exact=bool(r.min_exact[i] and r.max_exact[i]),
            )
        )
        bars.append(
            charts.RangeBar(
                area, int(r.min_cents[i]), int(r.max_cents[i]), run_cents, int(r.amount_cents[i])
            )
        )
    svg = charts.range_chart(
        bars,
        prefix="ranges",
        title=f"Budget {DOMAIN_LABELS[domain].lower()} per gebied over de intervallen",
        description="Per gebied een balk van het laagste tot het hoogste bedrag als de tarieven "
        "binnen hun interval variëren; de punt is het bedrag van de run, de ruit het bedrag bij "
        "de geschatte tarieven. De as begint niet bij € 0. De tabel geeft de bedragen.",
    )
    effects = [
        EffectRow(
            label=f"{DOMAIN_LABELS[d]}: {indicator_label(k)} ({_rate(float(part.rates[ki, j]))})",
            changes=[euro(int(v)) for v in part.rate_effect[ki, j]],
        )
        for ki, k in enumerate(part.indicator_keys)
        for j, d in enumerate(DOMAINS)
        if part.rates[ki, j] != 0
    ]
    return _with(
        page,
        run_label=label,
        ranges=rows,
        range_svg=svg,
        step=percent(100 * result.step, 0),
        area_names=[area_names.get(c, c) for c in part.area_keys],
        effects=effects,
    )


def _with(page: EstimatePage, **changes: object) -> EstimatePage:
    from dataclasses import replace

    return replace(page, **changes)  # type: ignore[arg-type]
