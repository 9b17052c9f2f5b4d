"""What each page shows: view-models built from the services the API and the CLI use.

Nothing here renders HTML except the SVG of :mod:`populatie.web.maps` and
:mod:`populatie.web.charts`; the templates only lay the view-models out. Every amount leaves
this module formatted the Dutch way (:mod:`populatie.web.formatting`).

The consortium page is built from its own partnership's records only: its areas, their
districts and shapes, the adopted amounts of those areas, its own reconciliation lines in those
areas and the exceptions about its own rows and contracts (duplicate invoices included), by the
rule the API applies: a row is the partnership's that held its contract on the booking date.
The reconciliation itself is computed for the whole year (as the CLI does) and narrowed here,
before anything reaches a template.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from markupsafe import Markup
from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, AllocationRun, RunArea
from populatie.allocations.service import (
    AreaResult,
    RunStanding,
    list_runs,
    run_report,
    run_standing,
)
from populatie.api.registry import district_features
from populatie.auth.authors import author_name
from populatie.configuration import DOMAINS
from populatie.contracts.milestones import milestones_for, milestones_of_record
from populatie.contracts.models import Contract
from populatie.contracts.service import list_contracts, lot_reference
from populatie.core.reconciliation import (
    EXCEPTION_KINDS,
    Reconciliation,
    ReconciliationException,
    ReconciliationLine,
    line_status,
    owner_on,
)
from populatie.districts.models import Municipality
from populatie.dutch_sheets import Lang
from populatie.errors import NotFoundError
from populatie.reconciliation.render import render_csv, write_xlsx
from populatie.reconciliation.render_nl import render_csv_nl, write_xlsx_nl
from populatie.reconciliation.service import reconcile_year, spending_owners
from populatie.registry.models import Area, AreaDistrict, Lot
from populatie.spending.models import SpendingMonth
from populatie.web import charts, maps
from populatie.web.exception_text import dutch_detail, dutch_notes, dutch_subject
from populatie.web.formatting import (
    DOMAIN_LABELS,
    EXCEPTION_LABELS,
    FUNDING_FORM_LABELS,
    MONTHS,
    RUN_STATUS_LABELS,
    STATUS_LABELS,
    STATUS_TONES,
    assumption_words,
    count,
    damping_words,
    date_time,
    euro,
    euro_whole,
    percent,
    remaining,
    scenario_name,
)

__all__ = [
    "ConsortiumPage",
    "FinancePage",
    "PlannerPage",
    "consortium_page",
    "finance_page",
    "planner_page",
    "reconciliation_export",
]

#: Worst first: the status an area or municipality shows is the first of these among its lines.
STATUS_ORDER = (
    "over ceiling",
    "forecast over ceiling",
    "over allocation",
    "forecast over allocation",
    "no allocation",
    "on track",
)
FORECAST_METHOD_NL = (
    "Prognose voor het hele jaar: het gemiddelde per maand tot nu toe maal de maanden dat het "
    "contract loopt (lineair doorgetrokken, zonder seizoenscorrectie)."
)
EXPORT_MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",  # the response adds "; charset=utf-8" to every text/ type
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class LegendItem:
    swatch: Markup
    label: str


@dataclass(frozen=True)
class Status:
    code: str
    label: str

    @property
    def css(self) -> str:
        return "status-" + self.code.replace(" ", "-")

    @property
    def tone(self) -> str:
        return STATUS_TONES.get(self.code, "neutral")


def _status(code: str, spent_cents: int | None = None) -> Status:
    """``code`` in words; "on track" with nothing spent yet says that instead, as nothing
    received is no sign of being on course."""
    if code == "on track" and not spent_cents:
        code = "no spending"
    return Status(code=code, label=STATUS_LABELS.get(code, code))


def _worst(codes: Iterable[str]) -> str:
    present = set(codes)
    return next((s for s in STATUS_ORDER if s in present), "on track")


def _short_label(area: Area, single: bool) -> str:
    """``L1`` for one of several areas of a municipality; the area's name for the only one."""
    return area.name if single else area.code.rsplit("-", 1)[-1]


# ---------------------------------------------------------------------------------------------
# Exceptions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceView:
    booked_on: str
    invoice: str
    amount: str
    source: str


@dataclass(frozen=True)
class ExceptionView:
    kind: str
    label: str
    subject: str
    amount: str
    rows: str
    detail: str
    detail_lang: str
    evidence: list[EvidenceView]


def _exception_view(exc: ReconciliationException, *, with_detail: bool) -> ExceptionView:
    evidence = []
    for e in exc.evidence:
        cents = e.get("amount_cents")
        due, paid = e.get("due_cents"), e.get("paid_cents")
        if isinstance(due, int) and isinstance(paid, int):
            # an instalment of a schedule: no row of its own, its month, what was due and paid
            evidence.append(
                EvidenceView(
                    booked_on=str(e.get("month", "")),
                    invoice=f"termijn {euro(due)}",
                    amount=f"betaald {euro(paid)}",
                    source="",
                )
            )
            continue
        evidence.append(
            EvidenceView(
                booked_on=str(e.get("booked_on", "")),
                invoice=str(e.get("invoice_reference", "")),
                amount=euro(cents) if isinstance(cents, int) else "—",
                source=f"{e.get('file', '')}, regel {e.get('line', '?')}" if with_detail else "",
            )
        )
    detail, lang = dutch_detail(exc) if with_detail else ("", "nl")
    return ExceptionView(
        kind=exc.kind,
        label=EXCEPTION_LABELS.get(exc.kind, exc.kind),
        subject=dutch_subject(exc),
        amount=euro(exc.amount_cents),
        rows=count(exc.rows) if exc.rows else "",
        detail=detail,
        detail_lang=lang,
        evidence=evidence,
    )


def _own_exceptions(result: Reconciliation, partnership: str) -> list[ReconciliationException]:
    """The exceptions about the partnership's own rows and contracts, as the API shows them.

    Kept to what can be attributed for certain: an exception about rows of no contract or lot
    of record (spending with no reference at all, a district in no area) is finance's to
    resolve and is not shown to a consortium.
    """
    return [e for e in result.exceptions if e.partnership == partnership]


# ---------------------------------------------------------------------------------------------
# The consortium page
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainFigures:
    label: str
    budget: str
    spent: str
    forecast: str
    spent_share: str
    status: Status


@dataclass(frozen=True)
class AreaView:
    code: str
    name: str
    label: str
    districts: int
    young_population: str
    per_young: str
    budget: str
    spent: str
    forecast: str
    remaining: str
    status: Status
    domains: list[DomainFigures]
    bars: Markup
    assumption: str


@dataclass(frozen=True)
class MonthRow:
    month: str
    spent: str
    cumulative: str
    budget_to_date: str


@dataclass(frozen=True)
class ConsortiumPage:
    partnership: str
    year: int | None
    years: list[Choice]
    to_month: str
    budget: str
    spent: str
    forecast: str
    remaining: str
    areas: list[AreaView]
    map_svg: Markup | None
    legend: list[LegendItem]
    map_unit: str
    line_svg: Markup | None
    months: list[MonthRow]
    exceptions: list[ExceptionView]
    forecast_method: str = FORECAST_METHOD_NL
    notes: list[str] = field(default_factory=list)
    contracts: list[OwnContract] = field(default_factory=list)


@dataclass(frozen=True)
class OwnContract:
    reference: str
    lot: str
    segment: str
    funding_form: str


def _own_contracts(session: Session, partnership: str) -> list[OwnContract]:
    """The contracts the partnership holds or held (as the API's scope: those its rows are
    booked on), with their segment and funding form in Dutch; nobody else's."""
    held = {
        reference
        for reference, periods in spending_owners(session).items()
        if any(owner == partnership for _, _, owner in periods)
    }
    return [
        OwnContract(
            reference=c.reference,
            lot=c.lot,
            segment=c.segment or "—",
            funding_form=FUNDING_FORM_LABELS.get(c.funding_form, c.funding_form),
        )
        for c in list_contracts(session)
        if c.reference in held
    ]


def _adopted_years(session: Session, municipalities: Sequence[str]) -> list[int]:
    if not municipalities:
        return []
    rows = session.execute(
        select(col(Adoption.year))
        .where(col(Adoption.municipality_code).in_(list(municipalities)))
        .distinct()
        .order_by(col(Adoption.year).desc())
    ).scalars()
    return [int(y) for y in rows]


def _monthly_spending(
    session: Session, year: int, to_month: int, areas: Sequence[str], partnership: str
) -> dict[str, list[int]]:
    """The partnership's spending per area and month (1..12) up to ``to_month``, attributed as
    reconciliation does: to the area of the lot that the reference names (directly or through
    its contract), else to the district's area, else to the only area of the municipality.
    Rows on a contract or lot another partnership held that month are that one's."""
    wanted = set(areas)
    owners = spending_owners(session)
    lot_area = {lot_reference(lot): lot.area_code for lot in session.execute(select(Lot)).scalars()}
    contract_area = {
        str(ref): lot_area[f"{m}/{n}"]
        for ref, m, n in session.execute(
            select(col(Contract.reference), col(Lot.municipality_code), col(Lot.number)).join(
                Lot, col(Lot.id) == col(Contract.lot_id)
            )
        )
    }
    district_area = {
        str(d): str(a)
        for d, a in session.execute(
            select(col(AreaDistrict.district_code), col(AreaDistrict.area_code))
        )
    }
    single: dict[str, list[str]] = defaultdict(list)
    for code, municipality in session.execute(select(col(Area.code), col(Area.municipality_code))):
        single[str(municipality)].append(str(code))
    out: dict[str, list[int]] = {code: [0] * 12 for code in areas}
    rows = session.execute(
        select(
            col(SpendingMonth.month),
            col(SpendingMonth.municipality_code),
            col(SpendingMonth.district_code),
            col(SpendingMonth.reference),
            func.sum(SpendingMonth.amount_cents),
        )
        .where(col(SpendingMonth.year) == year, col(SpendingMonth.month) <= to_month)
        .group_by(
            col(SpendingMonth.month),
            col(SpendingMonth.municipality_code),
            col(SpendingMonth.district_code),
            col(SpendingMonth.reference),
        )
    )
    for month, municipality, district, reference, cents in rows:
        owner = owner_on(owners, reference, date(year, int(month), 1))
        if owner is not None and owner != partnership:
            continue
        area = contract_area.get(reference) or lot_area.get(reference)
        if area is None:
            area = district_area.get(district) if district else None
        if area is None and len(single[str(municipality)]) == 1:
            area = single[str(municipality)][0]
        if area in wanted:
            out[area][int(month) - 1] += int(cents)
    return out


@dataclass(frozen=True)
class _AreaFigures:
    """One area's adopted budget, spending and forecast per domain (cents)."""

    budget: dict[str, int]
    spent: dict[str, int]
    forecast: dict[str, int]
    ceilings: list[str]  # statuses of its contracts that passed (or will pass) their ceiling
    young: float | None
    base: float | None  # the head count the map divides by

    @property
    def total_budget(self) -> int | None:
        return sum(self.budget.values()) if self.budget else None

    @property
    def per_head(self) -> float | None:
        total = self.total_budget
        return total / self.base if total is not None and self.base else None


def _area_view(area: Area, label: str, districts: int, f: _AreaFigures) -> AreaView:
    domains = []
    groups = []
    for d in DOMAINS:
        b, s, fc = f.budget.get(d), f.spent[d], f.forecast[d]
        domains.append(
            DomainFigures(
                label=DOMAIN_LABELS[d],
                budget=euro(b),
                spent=euro(s),
                forecast=euro(fc),
                spent_share=percent(100 * s / b) if b else "—",
                status=_status(line_status(s, fc, b), s),
            )
        )
        groups.append(charts.BarGroup(DOMAIN_LABELS[d], b, s, fc))
    total = f.total_budget
    spent, forecast = sum(f.spent.values()), sum(f.forecast.values())
    return AreaView(
        code=area.code,
        name=area.name,
        label=label,
        districts=districts,
        young_population=count(f.young),
        per_young=euro_whole(f.per_head),
        budget=euro(total),
        spent=euro(spent),
        forecast=euro(forecast),
        remaining=remaining(None if total is None else total - spent),
        # The area's own figures against its budget, and any contract past its ceiling.
        status=_status(_worst([*f.ceilings, line_status(spent, forecast, total)]), spent),
        domains=domains,
        bars=charts.bar_chart(
            groups,
            prefix=f"bars-{area.code}",
            title=f"{area.name}: budget, besteed en prognose per domein",
            description="Per domein drie balken: budget (omlijnd), besteed tot nu toe (donker) "
            "en prognose voor het jaar (gearceerd). De tabel eronder geeft de bedragen.",
        ),
        assumption=assumption_words(area.assumption),
    )


def _shapes(
    session: Session, municipalities: Iterable[str | None], areas: set[str]
) -> list[maps.MapShape]:
    """The boundaries of the districts of ``areas`` (and of no other), from the API's GeoJSON."""
    return [
        maps.MapShape(
            code=f.properties.code,
            name=f.properties.name,
            area=str(f.properties.area),
            geometry=f.geometry,
        )
        for m in municipalities
        for f in district_features(session, m).features
        if f.properties.area in areas
    ]


def _map_of(
    shapes: Sequence[maps.MapShape],
    areas: Sequence[maps.MapArea],
    scale: maps.Scale,
    *,
    prefix: str,
    unit: str,
    title: str,
    description: str,
) -> tuple[Markup | None, list[LegendItem]]:
    """The map and its legend (one entry per class, and "no data" where an area has none)."""
    svg = None
    if shapes:
        svg = maps.render_map(
            shapes, areas, scale, prefix=prefix, title=title, description=description
        )
    suffix = f" {unit}" if unit else ""
    legend = [LegendItem(maps.legend_swatch(prefix, c), c.label + suffix) for c in scale.classes]
    if any(a.value is None for a in areas):
        legend.append(LegendItem(maps.legend_swatch(prefix, None), "geen gegevens"))
    return svg, legend


def _monthly_view(
    monthly: Sequence[int],
    to_month: int,
    year: int,
    budget: int | None,
    forecast: int,
) -> tuple[Markup, list[MonthRow]]:
    """The line of spending to date against the budget, and the table beside it."""
    svg = charts.line_chart(
        charts.MonthlySeries(
            budget_cents=budget, spent_by_month=monthly, to_month=to_month, forecast_cents=forecast
        ),
        prefix="line-own",
        title=f"Uitgaven {year} per maand, opgeteld, tegen het budget",
        description=(
            "Doorgetrokken lijn met punten: de uitgaven opgeteld tot en met elke maand. "
            "Gestreepte lijn: het jaarbudget gelijk over de maanden verdeeld. Gestippelde lijn: "
            "de prognose tot december. De tabel eronder geeft de bedragen."
        ),
    )
    rows = []
    running = 0
    for m in range(to_month):
        running += monthly[m]
        rows.append(
            MonthRow(
                month=MONTHS[m],
                spent=euro(monthly[m]),
                cumulative=euro(running),
                budget_to_date=euro(None if budget is None else budget * (m + 1) // 12),
            )
        )
    return svg, rows


def consortium_page(session: Session, partnership: str, year: int | None) -> ConsortiumPage:
    """The partnership's own areas: budget, spending and forecast per domain, on a map."""
    areas = list(
        session.execute(
            select(Area).where(col(Area.partnership_name) == partnership).order_by(col(Area.code))
        ).scalars()
    )
    codes = [a.code for a in areas]
    municipalities = sorted({a.municipality_code for a in areas})
    years = _adopted_years(session, municipalities)
    if year is None:
        year = years[0] if years else None
    elif year not in years:
        raise NotFoundError(f"no adopted allocation for {partnership} in {year}")
    choices = [Choice(str(y), str(y), y == year) for y in years]
    empty = ConsortiumPage(
        partnership=partnership,
        year=year,
        years=choices,
        to_month="",
        budget=euro(None),
        spent=euro(None),
        forecast=euro(None),
        remaining=euro(None),
        areas=[],
        map_svg=None,
        legend=[],
        map_unit="",
        line_svg=None,
        months=[],
        exceptions=[],
        contracts=_own_contracts(session, partnership),
    )
    if year is None or not codes:
        return empty

    # Adopted amounts of the own areas only.
    budget: dict[tuple[str, str], int] = {}
    young: dict[str, float | None] = {}
    population: dict[str, float | None] = {}
    rows = session.execute(
        select(RunArea)
        .join(
            Adoption,
            (col(Adoption.run_id) == col(RunArea.run_id))
            & (col(Adoption.municipality_code) == col(RunArea.municipality_code)),
        )
        .where(col(Adoption.year) == year, col(RunArea.area_code).in_(codes))
    ).scalars()
    for r in rows:
        budget[(r.area_code, r.domain)] = int(r.amount_cents)
        young[r.area_code] = r.young_population
        population[r.area_code] = r.population

    result = reconcile_year(session, year, partnership=partnership)
    lines = [
        line for line in result.lines if line.area in set(codes) and line.partnership == partnership
    ]
    spent: dict[tuple[str, str], int] = defaultdict(int)
    forecast: dict[tuple[str, str], int] = defaultdict(int)
    ceilings: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        assert line.area is not None
        if line.domain == "total":
            if "ceiling" in line.status:
                ceilings[line.area].append(line.status)
            continue
        spent[(line.area, line.domain)] += line.spent_cents
        forecast[(line.area, line.domain)] += line.forecast_cents

    district_counts = {
        str(a): int(n)
        for a, n in session.execute(
            select(col(AreaDistrict.area_code), func.count())
            .where(col(AreaDistrict.area_code).in_(codes))
            .group_by(col(AreaDistrict.area_code))
        )
    }
    areas_per_municipality = {
        str(m): int(n)
        for m, n in session.execute(
            select(col(Area.municipality_code), func.count()).group_by(col(Area.municipality_code))
        )
    }
    # Per young inhabitant where every area has the figure; else per inhabitant, for all alike.
    by_young = all(young.get(c) for c in codes)
    unit = "per jeugdige" if by_young else "per inwoner"
    views: list[AreaView] = []
    map_areas: list[maps.MapArea] = []
    for area in areas:
        figures = _AreaFigures(
            budget={d: budget[(area.code, d)] for d in DOMAINS if (area.code, d) in budget},
            spent={d: spent[(area.code, d)] for d in DOMAINS},
            forecast={d: forecast[(area.code, d)] for d in DOMAINS},
            ceilings=ceilings[area.code],
            young=young.get(area.code),
            base=young.get(area.code) if by_young else population.get(area.code),
        )
        label = _short_label(area, areas_per_municipality.get(area.municipality_code, 1) == 1)
        views.append(_area_view(area, label, district_counts.get(area.code, 0), figures))
        value = figures.per_head
        map_areas.append(maps.MapArea(area.code, label, area.name, value, euro_whole(value)))
    map_svg, legend = _map_of(
        _shapes(session, municipalities, set(codes)),
        map_areas,
        maps.sequential_scale([a.value for a in map_areas], euro_whole, unit),
        prefix="map-own",
        unit=unit,
        title=f"Kaart van de gebieden van {partnership}",
        description=(
            f"De wijken van de gebieden van {partnership}, gekleurd naar budget {unit} in "
            f"{year}. Donkerder is meer; elke klasse heeft ook een eigen arcering. Elk "
            "gebied draagt zijn naam en bedrag; de tabel onder de kaart geeft dezelfde "
            "cijfers."
        ),
    )
    total_budget_all = sum(budget.values()) if budget else None
    total_forecast_all = sum(forecast.values())
    monthly_by_area = _monthly_spending(session, year, result.to_month, codes, partnership)
    line_svg, months = _monthly_view(
        [sum(monthly_by_area[c][m] for c in codes) for m in range(12)],
        result.to_month,
        year,
        total_budget_all,
        total_forecast_all,
    )
    total_spent_all = sum(spent.values())
    notes = []
    if len(budget) < len(codes) * len(DOMAINS):
        notes.append(f"Niet voor elk gebied is een budget voor {year} vastgesteld.")
    return ConsortiumPage(
        partnership=partnership,
        year=year,
        years=choices,
        to_month=f"{MONTHS[result.to_month - 1]} {year}",
        budget=euro(total_budget_all),
        spent=euro(total_spent_all),
        forecast=euro(total_forecast_all),
        remaining=remaining(
            None if total_budget_all is None else total_budget_all - total_spent_all
        ),
        areas=views,
        map_svg=map_svg,
        legend=legend,
        map_unit=unit,
        line_svg=line_svg,
        months=months,
        exceptions=[
            _exception_view(e, with_detail=False) for e in _own_exceptions(result, partnership)
        ],
        notes=notes,
        contracts=empty.contracts,
    )


# ---------------------------------------------------------------------------------------------
# The planner page
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    code: str
    name: str
    label: str
    municipality: str
    partnership: str
    base: str
    other: str
    change: str
    change_pct: str
    budget: str
    population: str
    need_mix: str
    damping: str
    adds_up: bool | None
    bounds: str


@dataclass(frozen=True)
class PlannerPage:
    runs: list[Choice]
    base: Choice | None
    other: Choice | None
    municipalities: list[Choice]
    domains: list[Choice]
    rows: list[ComparisonRow]
    map_svg: Markup | None
    legend: list[LegendItem]
    explanation_note: str
    total_base: str = ""
    total_other: str = ""
    total_change: str = ""


def _standing_label(standing: RunStanding) -> str:
    """``vastgesteld (9 van 10; GM0518 vervangen)`` for a run in force for only part."""
    label = RUN_STATUS_LABELS.get(standing.status, standing.status)
    if standing.status == "adopted" and standing.superseded_for:
        total = len(standing.adopted_for) + len(standing.superseded_for)
        label += (
            f" ({len(standing.adopted_for)} van {total}; "
            f"{', '.join(standing.superseded_for)} vervangen)"
        )
    return label


def run_name(session: Session, run: AllocationRun, status: str) -> str:
    """A run as people name it: year, status, scenario, when and by whom, never its id:
    ``2026 · concept · standaardinstellingen · 23-11-2026 17:51 · door planner (sleutel 2)``."""
    return (
        f"{run.year} · {status} · {scenario_name(run.scenario)} · "
        f"{date_time(run.created_at)} · door {author_name(session, run.created_by)}"
    )


def _run_label(session: Session, run: AllocationRun, standing: RunStanding) -> str:
    return run_name(session, run, _standing_label(standing))


def _distinct(labels: list[str]) -> list[str]:
    """Two runs made in the same minute by the same person read alike: number the later ones."""
    seen: dict[str, int] = defaultdict(int)
    out = []
    for label in labels:
        seen[label] += 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _parts(
    a: AreaResult | None, b: AreaResult | None, domains: Sequence[str]
) -> tuple[dict[str, int] | None, str]:
    """The change from ``a`` to ``b`` split into budget, population, need mix and damping.

    A run stores, per area and domain, how its amount differs from the adopted allocation of
    the year before. When ``a`` is that allocation, ``b``'s parts are the answer; when both runs
    start from the same allocation, the difference of their parts is (it adds up to ``b − a``
    exactly); when ``b`` is ``a``'s starting point, the parts of ``a`` with the sign turned.
    """
    names = ("budget", "population", "need_mix", "damping")
    if a is None or b is None:
        return None, "none"
    total = dict.fromkeys(names, 0)
    method = ""
    for d in domains:
        a_prev = a.previous_cents.get(d) if a.previous_cents else None
        b_prev = b.previous_cents.get(d) if b.previous_cents else None
        if b.explanation and b_prev is not None and b_prev == a.domains[d]:
            parts, how = b.explanation[d], "b-from-a"
        elif (
            a.explanation and b.explanation and a_prev is not None and a_prev == b_prev is not None
        ):
            parts = {n: b.explanation[d][n] - a.explanation[d][n] for n in names}
            how = "common-base"
        elif a.explanation and a_prev is not None and a_prev == b.domains[d]:
            parts, how = {n: -a.explanation[d][n] for n in names}, "a-from-b"
        else:
            return None, "none"
        for n in names:
            total[n] += int(parts[n])
        method = how if method in ("", how) else "mixed"
    return total, method


_EXPLANATION_NOTES = {
    "b-from-a": "De verklaring is die van de vergelijkingsrun ten opzichte van de uitgangsrun "
    "(de vastgestelde verdeling waar de vergelijkingsrun van uitgaat).",
    "common-base": "Beide runs gaan uit van dezelfde vastgestelde verdeling; de verklaring is het "
    "verschil van hun verklaringen en telt precies op tot het verschil.",
    "a-from-b": "De uitgangsrun gaat uit van de vergelijkingsrun; de verklaring is die van de "
    "uitgangsrun met het teken omgekeerd.",
    "mixed": "De verklaring is per domein op de passende manier bepaald en telt op tot het "
    "verschil.",
    "none": "Voor deze twee runs is geen verklaring in delen beschikbaar: ze gaan niet uit van "
    "dezelfde vastgestelde verdeling en de ene is niet het uitgangspunt van de andere. "
    "`populatie explain` rekent die keten wel door.",
}


def _rules(damping: object) -> dict[str, object]:
    return {str(k): v for k, v in damping.items()} if isinstance(damping, dict) else {}


def planner_page(
    session: Session,
    base_id: str | None,
    other_id: str | None,
    municipality: str | None,
    domain: str | None,
) -> PlannerPage:
    """Two runs side by side: per area the change, its parts, and a map of the change."""
    runs = list_runs(session)
    standings = {run.id: run_standing(session, run) for run in runs}
    if other_id is None and runs:
        other_id = runs[0].id
    if base_id is None and other_id is not None:
        other_run = next((r for r in runs if r.id == other_id), None)
        adopted = [r for r in runs if standings[r.id].status == "adopted" and r.id != other_id]
        earlier = [r for r in adopted if other_run is not None and r.year == other_run.year - 1]
        fallback = [r for r in runs if r.id != other_id]
        candidates = earlier or adopted or fallback
        base_id = candidates[0].id if candidates else None
    known = {r.id for r in runs}
    for run_id in (base_id, other_id):
        if run_id is not None and run_id not in known:
            raise NotFoundError(f"allocation run {run_id} does not exist")
    if domain is not None and domain not in DOMAINS:
        raise NotFoundError(f"domain {domain} does not exist")
    domains = [domain] if domain else list(DOMAINS)
    labels = _distinct([_run_label(session, r, standings[r.id]) for r in runs])
    run_choices = [Choice(r.id, label) for r, label in zip(runs, labels, strict=True)]
    damping_of = {r.id: _rules(r.config_snapshot.get("damping")) for r in runs}
    base_choice = next((c for c in run_choices if c.value == base_id), None)
    other_choice = next((c for c in run_choices if c.value == other_id), None)
    domain_choices = [Choice("", "Alle domeinen", domain is None)] + [
        Choice(d, DOMAIN_LABELS[d], d == domain) for d in DOMAINS
    ]
    names = {
        str(c): str(n)
        for c, n in session.execute(select(col(Municipality.code), col(Municipality.name)))
    }
    if base_id is None or other_id is None:
        return PlannerPage(
            runs=run_choices,
            base=base_choice,
            other=other_choice,
            municipalities=[],
            domains=domain_choices,
            rows=[],
            map_svg=None,
            legend=[],
            explanation_note="",
        )
    a_report = run_report(session, base_id)
    b_report = run_report(session, other_id)
    in_both = [m for m in b_report.municipalities if m in set(a_report.municipalities)]
    if municipality is not None and municipality not in in_both:
        raise NotFoundError(f"municipality {municipality} is in neither run")
    municipality_choices = [Choice("", "Alle gemeenten", municipality is None)] + [
        Choice(m, f"{names.get(m, m)} ({m})", m == municipality) for m in in_both
    ]
    a_areas = {a.code: a for a in a_report.areas}
    areas_per_municipality: dict[str, int] = defaultdict(int)
    for b in b_report.areas:
        areas_per_municipality[b.municipality] += 1
    rows = []
    methods = set()
    change_pct: dict[str, float | None] = {}
    map_areas = []
    totals = [0, 0]
    for b in b_report.areas:
        if municipality is not None and b.municipality != municipality:
            continue
        a = a_areas.get(b.code)
        a_cents = sum(a.domains[d] for d in domains) if a else None
        b_cents = sum(b.domains[d] for d in domains)
        change = None if a_cents is None else b_cents - a_cents
        pct = 100 * change / a_cents if change is not None and a_cents else None
        parts, method = _parts(a, b, domains)
        methods.add(method)
        label = b.code.rsplit("-", 1)[-1] if areas_per_municipality[b.municipality] > 1 else b.name
        change_pct[b.code] = pct
        totals[0] += a_cents or 0
        totals[1] += b_cents
        rows.append(
            ComparisonRow(
                code=b.code,
                name=b.name,
                label=label,
                municipality=names.get(b.municipality, b.municipality),
                partnership=b.partnership or "—",
                base=euro(a_cents),
                other=euro(b_cents),
                change=euro(change),
                change_pct=percent(pct, 2, signed=True),
                budget=euro(parts["budget"]) if parts else "—",
                population=euro(parts["population"]) if parts else "—",
                need_mix=euro(parts["need_mix"]) if parts else "—",
                damping=euro(parts["damping"]) if parts else "—",
                adds_up=None if parts is None else sum(parts.values()) == change,
                bounds="; ".join(
                    f"{DOMAIN_LABELS[d].lower()}: {damping_words(bound, damping_of[other_id])}"
                    for d, bound in sorted(b.bounds.items())
                    if d in domains
                ),
            )
        )
        map_areas.append(
            maps.MapArea(
                code=b.code,
                label=label,
                title=b.name,
                value=pct,
                value_text=percent(pct, 1, signed=True),
            )
        )
    map_svg, legend = _map_of(
        _shapes(session, [municipality], {r.code for r in rows}),
        map_areas,
        maps.sequential_scale(change_pct.values(), lambda v: percent(v, 1, signed=True), ""),
        prefix="map-change",
        unit="",
        title="Kaart van het verschil per gebied",
        description="De wijken gekleurd naar het verschil van hun gebied tussen de twee "
        "runs, in procent van de uitgangsrun. Donkerder is meer groei; elke klasse heeft ook "
        "een eigen arcering en elk gebied draagt zijn verschil. De tabel geeft de bedragen.",
    )
    method = "none" if "none" in methods else (methods.pop() if len(methods) == 1 else "mixed")
    return PlannerPage(
        runs=[Choice(c.value, c.label, c.value == base_id) for c in run_choices],
        base=base_choice,
        other=other_choice,
        municipalities=municipality_choices,
        domains=domain_choices,
        rows=rows,
        map_svg=map_svg,
        legend=legend,
        explanation_note=_EXPLANATION_NOTES[method] if rows else "",
        total_base=euro(totals[0]),
        total_other=euro(totals[1]),
        total_change=euro(totals[1] - totals[0]),
    )


# ---------------------------------------------------------------------------------------------
# The finance page
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MunicipalityRow:
    code: str
    name: str
    areas: int
    run: str
    budget: str
    spent: str
    forecast: str
    status: Status


@dataclass(frozen=True)
class ContractRow:
    lot: str
    area: str
    partnership: str
    contract: str
    allocated: str
    ceiling: str
    spent: str
    forecast: str
    remaining: str
    status: Status
    milestones: str = ""  # the go/no-go moments and options of the contract's period
    terms: str = ""  # segment, funding form and products, in Dutch


@dataclass(frozen=True)
class KindCount:
    label: str
    count: int
    amount: str


@dataclass(frozen=True)
class FinancePage:
    year: int
    month: int
    years: list[Choice]
    months: list[Choice]
    to_month: str
    municipalities: list[MunicipalityRow]
    contracts: list[ContractRow]
    without_contract: list[ContractRow]
    kinds: list[KindCount]
    exceptions: list[ExceptionView]
    notes: list[str]
    forecast_method: str = FORECAST_METHOD_NL
    budget: str = ""
    spent: str = ""
    forecast: str = ""


def _finance_years(session: Session) -> list[int]:
    years = {int(y) for y in session.execute(select(col(Adoption.year)).distinct()).scalars()}
    years |= {int(y) for y in session.execute(select(col(SpendingMonth.year)).distinct()).scalars()}
    return sorted(years, reverse=True)


def default_finance_year(session: Session) -> int | None:
    """The newest year with spending, else the newest with an adopted allocation."""
    spending = session.execute(select(func.max(SpendingMonth.year))).scalar_one()
    if spending is not None:
        return int(spending)
    years = _finance_years(session)
    return years[0] if years else None


def _contract_row(line: ReconciliationLine, area_names: dict[str, str]) -> ContractRow:
    area = (
        f"{area_names.get(line.area, line.area)} ({line.area})"
        if line.area
        else f"gemeente {line.municipality}"
    )
    return ContractRow(
        lot=line.lot or "—",
        area=area,
        partnership=line.partnership or "—",
        contract=line.contract or "geen contract",
        allocated=euro(line.allocated_cents),
        ceiling=euro(line.ceiling_cents),
        spent=euro(line.spent_cents),
        forecast=euro(line.forecast_cents),
        remaining=remaining(line.remaining_cents),
        status=_status(line.status, line.spent_cents),
    )


def _terms_texts(session: Session) -> dict[str, str]:
    """Per contract, what it buys and how it is paid, as one line of Dutch: finance reads a
    regional contract's findings against these terms."""
    texts = {}
    for c in list_contracts(session):
        parts = [f"segment {c.segment}"] if c.segment else []
        form = FUNDING_FORM_LABELS.get(c.funding_form, c.funding_form)
        if c.start_percent is not None:
            form += f" ({c.start_percent} % bij start, {100 - c.start_percent} % bij afronding)"
        if c.instalments:
            form += ", per maand" if c.instalments == "monthly" else ", per kwartaal"
        parts.append(form)
        if c.product_codes:
            parts.append("producten " + ", ".join(c.product_codes))
        texts[c.reference] = " · ".join(parts)
    return texts


def _milestone_texts(session: Session) -> dict[str, str]:
    """Per contract, its milestones (config/milestones.toml) as one line of Dutch names."""
    known = milestones_of_record()
    return {
        c.reference: " · ".join(
            m.name_nl for m in milestones_for(known, c.starts_on, c.ends_on, c.extendable_to)
        )
        for c in session.execute(select(Contract)).scalars()
    }


def finance_reconciliation(
    session: Session, year: int | None, to_month: int | None
) -> Reconciliation:
    """The reconciliation the finance page shows: of ``year``, else the newest year."""
    if year is None:
        year = default_finance_year(session)
    if year is None:
        raise NotFoundError("nothing to reconcile yet: no adopted allocation and no spending")
    return reconcile_year(session, year, to_month)


def finance_page(
    session: Session,
    year: int | None,
    to_month: int | None,
    result: Reconciliation | None = None,
) -> FinancePage:
    """All municipalities, lots and contracts, the reconciliation status and its exceptions
    (of ``result`` when the caller computed it already)."""
    years = _finance_years(session)
    if result is None:
        result = finance_reconciliation(session, year, to_month)
    year = result.year
    names = {
        str(c): str(n)
        for c, n in session.execute(
            select(col(Municipality.code), col(Municipality.name)).order_by(col(Municipality.code))
        )
    }
    area_names = {a.code: a.name for a in session.execute(select(Area)).scalars()}
    areas_of: dict[str, int] = defaultdict(int)
    for a in session.execute(select(Area)).scalars():
        areas_of[a.municipality_code] += 1
    adoptions = {
        a.municipality_code: a.run_id
        for a in session.execute(select(Adoption).where(col(Adoption.year) == year)).scalars()
    }
    budgets = {
        str(m): int(c)
        for m, c in session.execute(
            select(col(RunArea.municipality_code), func.sum(RunArea.amount_cents))
            .join(
                Adoption,
                (col(Adoption.run_id) == col(RunArea.run_id))
                & (col(Adoption.municipality_code) == col(RunArea.municipality_code)),
            )
            .where(col(Adoption.year) == year)
            .group_by(col(RunArea.municipality_code))
        )
    }
    spent: dict[str, int] = defaultdict(int)
    forecast: dict[str, int] = defaultdict(int)
    statuses: dict[str, list[str]] = defaultdict(list)
    for line in result.lines:
        if line.domain == "total":
            spent[line.municipality] += line.spent_cents
            forecast[line.municipality] += line.forecast_cents
            statuses[line.municipality].append(line.status)
    adopted_runs = {
        r.id: r
        for r in session.execute(
            select(AllocationRun).where(col(AllocationRun.id).in_(set(adoptions.values())))
        ).scalars()
    }
    adopted_names = {
        code: run_name(session, adopted_runs[run_id], RUN_STATUS_LABELS["adopted"])
        for code, run_id in adoptions.items()
        if run_id in adopted_runs
    }
    municipalities = [
        MunicipalityRow(
            code=code,
            name=name,
            areas=areas_of.get(code, 0),
            run=adopted_names.get(code, "geen"),
            budget=euro(budgets.get(code)),
            spent=euro(spent.get(code, 0)),
            forecast=euro(forecast.get(code, 0)),
            status=_status(_worst(statuses.get(code, [])), spent.get(code, 0)),
        )
        for code, name in names.items()
    ]
    totals = [line for line in result.lines if line.domain == "total"]
    contracts = [_contract_row(line, area_names) for line in totals if line.contract]
    seen = {line.lot for line in totals if line.contract}
    for lot in session.execute(
        select(Lot).order_by(col(Lot.municipality_code), col(Lot.number))
    ).scalars():
        ref = lot_reference(lot)
        if ref not in seen:
            contracts.append(
                ContractRow(
                    lot=ref,
                    area=f"{area_names.get(lot.area_code, lot.area_code)} ({lot.area_code})",
                    partnership=lot.partnership_name,
                    contract="geen contract",
                    allocated="—",
                    ceiling="—",
                    spent="—",
                    forecast="—",
                    remaining="—",
                    status=_status("on track", 0),
                )
            )
    contracts.sort(key=lambda r: (r.lot, r.contract))
    milestones = _milestone_texts(session)
    terms = _terms_texts(session)
    contracts = [
        replace(c, milestones=milestones.get(c.contract, ""), terms=terms.get(c.contract, ""))
        for c in contracts
    ]
    without = [_contract_row(line, area_names) for line in totals if not line.contract]
    by_kind: dict[str, list[ReconciliationException]] = defaultdict(list)
    for exc in result.exceptions:
        by_kind[exc.kind].append(exc)
    kinds = [
        KindCount(
            label=EXCEPTION_LABELS.get(kind, kind),
            count=len(by_kind[kind]),
            amount=euro(sum(e.amount_cents for e in by_kind[kind])),
        )
        for kind in EXCEPTION_KINDS
    ]
    return FinancePage(
        year=year,
        month=result.to_month,
        years=[Choice(str(y), str(y), y == year) for y in years],
        months=[Choice(str(m), MONTHS[m - 1], m == result.to_month) for m in range(1, 13)],
        to_month=f"{MONTHS[result.to_month - 1]} {year}",
        municipalities=municipalities,
        contracts=contracts,
        without_contract=without,
        kinds=kinds,
        exceptions=[_exception_view(e, with_detail=True) for e in result.exceptions],
        notes=dutch_notes(result),
        budget=euro(sum(budgets.values())),
        spent=euro(sum(spent.values())),
        forecast=euro(sum(forecast.values())),
    )


def reconciliation_export(
    session: Session, year: int, to_month: int | None, fmt: str, lang: Lang = "nl"
) -> tuple[bytes, str]:
    """The reconciliation as the CLI writes it (``reconcile --format xlsx|csv [--lang en]``):
    the bytes and a file name such as ``reconciliation-2025-12.xlsx``."""
    result = reconcile_year(session, year, to_month)
    name = f"reconciliation-{year}-{result.to_month:02d}.{fmt}"
    if fmt == "csv":
        text = render_csv_nl(result) if lang == "nl" else render_csv(result)
        return text.encode("utf-8"), name
    if fmt != "xlsx":
        raise NotFoundError(f"no export in format {fmt}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        (write_xlsx_nl if lang == "nl" else write_xlsx)(result, path)
        return path.read_bytes(), name
