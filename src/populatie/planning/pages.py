"""What the planner's pages show: the scenario form, runs side by side with the waterfall of
each area's change, and estimated rates with the budget ranges they imply.

View-models only, built from the planning and allocation services; the templates lay them
out. Amounts leave here formatted the Dutch way; every chart has its figures in a table too.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, AllocationRun, RunArea
from populatie.allocations.service import list_runs, run_report
from populatie.budget_totals.models import BudgetTotal
from populatie.configuration import DOMAINS, RegionConfig
from populatie.core import FOUR_PARTS, four_parts
from populatie.districts.models import Municipality
from populatie.errors import (
    AllocationError,
    ConfigurationError,
    DampingInfeasibleError,
    DataError,
    MissingFigureError,
    NotFoundError,
    PopulatieError,
)
from populatie.planning import service as planning
from populatie.planning.scenario_form import DAMPING_RULES, ScenarioForm
from populatie.registry.models import Area
from populatie.spending.models import SpendingMonth
from populatie.web import planner_charts as charts
from populatie.web.formatting import (
    DOMAIN_LABELS,
    RUN_STATUS_LABELS,
    count,
    date_time,
    euro,
    percent,
)

__all__ = [
    "INDICATOR_LABELS",
    "MAX_RUNS",
    "EstimatePage",
    "RunsPage",
    "ScenarioPage",
    "estimate_page",
    "runs_page",
    "scenario_page",
]

MAX_RUNS = 4
PART_LABELS = {
    "budget": "Budget",
    "population": "Bevolking",
    "need_mix": "Behoeftemix",
    "damping": "Demping",
}
INDICATOR_LABELS = {
    "inhabitants": "Inwoners",
    "young_population": "Jeugdigen (0–17 jaar)",
    "young_0_14": "Jeugdigen 0–14 jaar",
    "young_15_24": "Jongeren 15–24 jaar",
    "households": "Huishoudens",
    "households_with_children": "Huishoudens met kinderen",
    "low_income_households": "Huishoudens met een laag inkomen",
    "social_assistance": "Bijstandsuitkeringen",
    "youth_care_users": "Jongeren met jeugdzorg",
}


@dataclass(frozen=True)
class Message:
    """A Dutch sentence for the page and, apart, the technical reason in English (the page
    marks it ``lang="en"``), so a planner can pass it on to whoever keeps the model."""

    text: str
    reason: str = ""


_KIND_NL: tuple[tuple[type[PopulatieError], str], ...] = (
    (
        DampingInfeasibleError,
        "De dempingsregels laten niet genoeg ruimte om het budgettotaal precies te verdelen: "
        "verruim de demping of verander het totaal minder.",
    ),
    (MissingFigureError, "Voor een indicator ontbreken cijfers in een of meer wijken."),
    (AllocationError, "De verdeling kan met deze invoer niet worden berekend."),
    (ConfigurationError, "De invoer past niet bij de configuratie."),
    (NotFoundError, "Een gevraagde run of gegeven bestaat niet."),
    (DataError, "De gegevens zijn hiervoor niet toereikend."),
)


def explained(lead: str, exc: PopulatieError) -> Message:
    """``lead`` and what kind of problem stopped it, in Dutch; the error's own text apart."""
    kind = next((text for cls, text in _KIND_NL if isinstance(exc, cls)), "")
    return Message(f"{lead} {kind}".strip(), exc.message)


def indicator_label(key: str) -> str:
    return INDICATOR_LABELS.get(key, key)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool = False


def run_labels(session: Session, runs: Sequence[AllocationRun]) -> dict[str, str]:
    """``2026 · concept · scenario hoog · 02-12-2026 10:15 · planner`` per run, never an id.

    The status is :func:`~populatie.allocations.service.run_standing`'s, read for all runs
    with one query (a page lists every run)."""
    in_force: dict[str, set[str]] = defaultdict(set)
    for run_id, year, municipality in session.execute(
        select(col(Adoption.run_id), col(Adoption.year), col(Adoption.municipality_code))
    ):
        in_force[f"{run_id}/{year}"].add(str(municipality))
    labels = {}
    for run in runs:
        if in_force.get(f"{run.id}/{run.year}", set()) & set(run.municipalities):
            status = "adopted"
        else:
            status = "superseded" if run.adopted_at is not None else "draft"
        labels[run.id] = (
            f"{run.year} · {RUN_STATUS_LABELS[status]} · scenario {run.scenario} · "
            f"{date_time(run.created_at)} · {run.created_by}"
        )
    return labels


# ---------------------------------------------------------------------------------------------
# The scenario form
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    value: str
    error: str = ""

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(":", "-").replace("_", "-").lower()


@dataclass(frozen=True)
class RateRow:
    indicator: str
    fields: list[FieldView]  # one per domain


@dataclass(frozen=True)
class ModelView:
    name: str
    description: str
    rows: list[RateRow]


@dataclass(frozen=True)
class BudgetRow:
    municipality: str
    fields: list[FieldView]


@dataclass(frozen=True)
class ScenarioPage:
    year: int
    years: list[Option]
    source: str
    name: FieldView
    models: list[ModelView]
    base: list[FieldView]
    damping: list[FieldView]
    budgets: list[BudgetRow]
    domains: list[str]
    errors: list[FieldView] = field(default_factory=list)
    general: list[Message] = field(default_factory=list)


def planning_years(session: Session) -> list[int]:
    """Years with runs or stored budget totals, and the year after the newest."""
    years = {int(y) for y in session.execute(select(col(AllocationRun.year)).distinct()).scalars()}
    years |= {int(y) for y in session.execute(select(col(BudgetTotal.year)).distinct()).scalars()}
    if years:
        years.add(max(years) + 1)
    return sorted(years, reverse=True)


def default_year(session: Session) -> int:
    """The newest year with a run, else the newest with totals."""
    newest = session.execute(select(func.max(AllocationRun.year))).scalar_one()
    if newest is not None:
        return int(newest)
    years = planning_years(session)
    if not years:
        raise NotFoundError("no budget totals and no runs yet")
    return years[-1] if len(years) == 1 else years[1]


def scenario_page(
    session: Session,
    form: ScenarioForm,
    errors: dict[str, str] | None = None,
    general: Sequence[Message] = (),
) -> ScenarioPage:
    errors = errors or {}
    values = form.values

    def view(name: str, label: str) -> FieldView:
        return FieldView(name, label, values.get(name, ""), errors.get(name, ""))

    models = []
    for model, per_domain in form.rates.items():
        indicators = sorted({k for d in per_domain.values() for k in d})
        rows = [
            RateRow(
                indicator=indicator_label(k),
                fields=[
                    view(
                        per_domain[d][k],
                        f"{indicator_label(k)}, {DOMAIN_LABELS[d].lower()} (model {model})",
                    )
                    for d in DOMAINS
                ],
            )
            for k in indicators
        ]
        models.append(ModelView(model, form.models[model], rows))
    damping = [
        view(form.damping[key], f"{label} ({unit})") for key, label, unit, *_ in DAMPING_RULES
    ]
    budgets = [
        BudgetRow(
            municipality=f"{form.municipality_names[m]} ({m})",
            fields=[
                view(per[d], f"Budget {form.municipality_names[m]}, {DOMAIN_LABELS[d].lower()}")
                for d in DOMAINS
            ],
        )
        for m, per in form.budgets.items()
    ]
    base = [view(form.base[d], f"Vaste voet {DOMAIN_LABELS[d].lower()}") for d in DOMAINS]
    name = view("name", "Naam van het scenario")
    every = [name, *base, *damping]
    every += [f for m in models for r in m.rows for f in r.fields]
    every += [f for b in budgets for f in b.fields]
    unknown = [FieldView(k, k, "", v) for k, v in errors.items() if k not in form.fields()]
    return ScenarioPage(
        year=form.year,
        years=[Option(str(y), str(y), y == form.year) for y in planning_years(session)],
        source=form.source,
        name=name,
        models=models,
        base=base,
        damping=damping,
        budgets=budgets,
        domains=[DOMAIN_LABELS[d] for d in DOMAINS],
        errors=[f for f in every if f.error] + unknown,
        general=list(general),
    )


# ---------------------------------------------------------------------------------------------
# Runs side by side
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunColumn:
    id: str
    label: str
    total: str
    budget: str


@dataclass(frozen=True)
class RunCell:
    amount: str
    target: str
    distance: str
    distance_pct: str


@dataclass(frozen=True)
class AreaRow:
    code: str
    name: str
    municipality: str
    cells: list[RunCell]


@dataclass(frozen=True)
class PartRow:
    label: str
    amount: str


@dataclass(frozen=True)
class AreaWaterfall:
    code: str
    name: str
    start: str
    end: str
    parts: list[PartRow]
    change: str
    adds_up: bool
    svg: Markup


@dataclass(frozen=True)
class RunsPage:
    choices: list[list[Option]]  # one select per slot
    columns: list[RunColumn]
    rows: list[AreaRow]
    municipalities: list[Option]
    domains: list[Option]
    explain_choices: list[Option]
    explain_from: str
    explain_to: str
    waterfalls: list[AreaWaterfall]
    notes: list[Message]
    new_run: str = ""


def _targets(session: Session, run_id: str) -> dict[tuple[str, str], float]:
    rows = session.execute(
        select(col(RunArea.area_code), col(RunArea.domain), col(RunArea.target_cents)).where(
            col(RunArea.run_id) == run_id
        )
    )
    return {(str(a), str(d)): float(t) for a, d, t in rows}


def _default_runs(session: Session, runs: Sequence[AllocationRun]) -> list[str]:
    """The newest adopted run and the newest run besides it."""
    adopted = session.execute(
        select(col(Adoption.run_id)).order_by(col(Adoption.year).desc(), col(Adoption.adopted_at))
    ).scalars()
    first = next(iter(adopted), None)
    chosen = [str(first)] if first else []
    other = next((r.id for r in runs if r.id not in chosen), None)
    return chosen + ([other] if other else [])


def runs_page(
    session: Session,
    run_ids: Sequence[str],
    explain_id: str | None,
    municipality: str | None,
    domain: str | None,
    new_run: str | None = None,
) -> RunsPage:
    """Up to four runs side by side per area, each area's distance from its formula target,
    and the waterfall of each area's change from the first run to ``explain_id``."""
    runs = list_runs(session)
    known = {r.id: r for r in runs}
    chosen = list(dict.fromkeys(r for r in run_ids if r)) or _default_runs(session, runs)
    if len(chosen) > MAX_RUNS:
        raise DataError(f"at most {MAX_RUNS} runs side by side, got {len(chosen)}")
    for run_id in chosen:
        if run_id not in known:
            raise NotFoundError(f"allocation run {run_id} does not exist")
    if domain is not None and domain not in DOMAINS:
        raise NotFoundError(f"domain {domain} does not exist")
    domains = [domain] if domain else list(DOMAINS)
    labels = run_labels(session, runs)
    choices = [
        [Option("", "—", i >= len(chosen))]
        + [Option(r.id, labels[r.id], i < len(chosen) and chosen[i] == r.id) for r in runs]
        for i in range(MAX_RUNS)
    ]
    reports = [run_report(session, r) for r in chosen]
    targets = [_targets(session, r) for r in chosen]
    names = {a.code: (a.name, a.municipality) for rep in reports for a in rep.areas}
    all_municipalities = list(dict.fromkeys(a.municipality for rep in reports for a in rep.areas))
    if municipality is not None and municipality not in all_municipalities:
        raise NotFoundError(f"municipality {municipality} is in none of the runs")
    codes = [
        code
        for code in dict.fromkeys(a.code for rep in reports for a in rep.areas)
        if municipality is None or names[code][1] == municipality
    ]
    by_run = [{a.code: a for a in rep.areas} for rep in reports]
    municipality_names = {
        str(c): str(n)
        for c, n in session.execute(select(col(Municipality.code), col(Municipality.name)))
    }
    rows = []
    totals = [0] * len(chosen)
    for code in codes:
        cells = []
        for i, areas in enumerate(by_run):
            area = areas.get(code)
            if area is None:
                cells.append(RunCell("—", "—", "—", "—"))
                continue
            amount = sum(area.domains[d] for d in domains)
            target = round(sum(targets[i].get((code, d), 0.0) for d in domains))
            distance = amount - target
            share = 100 * distance / target if target else None
            totals[i] += amount
            cells.append(
                RunCell(
                    amount=euro(amount),
                    target=euro(target),
                    distance=euro(distance),
                    distance_pct=percent(share, 1, signed=True),
                )
            )
        rows.append(AreaRow(code, names[code][0], names[code][1], cells))
    columns = [
        RunColumn(
            id=rep.run_id,
            label=labels[rep.run_id],
            total=euro(totals[i]),
            budget=euro(
                sum(
                    rep.budget_cents[m][d]
                    for m in rep.budget_cents
                    if municipality is None or m == municipality
                    for d in domains
                )
            ),
        )
        for i, rep in enumerate(reports)
    ]
    notes: list[Message] = []
    waterfalls: list[AreaWaterfall] = []
    target_id = explain_id if explain_id in chosen[1:] else (chosen[1] if len(chosen) > 1 else None)
    if target_id is not None:
        waterfalls, notes = _waterfalls(session, chosen[0], target_id, set(codes), domain, names)
    return RunsPage(
        choices=choices,
        columns=columns,
        rows=rows,
        municipalities=[Option("", "Alle gemeenten", municipality is None)]
        + [
            Option(m, f"{municipality_names.get(m, m)} ({m})", m == municipality)
            for m in all_municipalities
        ],
        domains=[Option("", "Alle domeinen", domain is None)]
        + [Option(d, DOMAIN_LABELS[d], d == domain) for d in DOMAINS],
        explain_choices=[Option(r, labels[r], r == target_id) for r in chosen[1:]],
        explain_from=labels[chosen[0]] if chosen else "",
        explain_to=labels[target_id] if target_id else "",
        waterfalls=waterfalls,
        notes=notes,
        new_run=labels.get(new_run or "", ""),
    )


@dataclass(frozen=True)
class _Change:
    """One area's change from run A to run B: the amounts and the four parts (cents)."""

    code: str
    start: int
    end: int
    parts: dict[str, int]


def _stored_changes(
    session: Session, run_a: str, run_b: str, domain: str | None
) -> list[_Change] | None:
    """The parts run B stored against the adopted run it follows, when that run is A.

    A run stores, per area and domain, the four parts of its change against the previous
    year's adopted allocation: the waterfall ``populatie explain A B`` sums into four, so they
    are the same to the cent, without rebuilding both runs again. None where B does not start
    from A's amounts in every area and domain (or stored no parts).
    """
    rows_a = {
        (r.area_code, r.domain): r
        for r in session.execute(select(RunArea).where(col(RunArea.run_id) == run_a)).scalars()
    }
    rows_b = list(session.execute(select(RunArea).where(col(RunArea.run_id) == run_b)).scalars())
    if not rows_b or len(rows_b) != len(rows_a):
        return None
    changes: dict[str, _Change] = {}
    for r in rows_b:
        a = rows_a.get((r.area_code, r.domain))
        stored = (
            r.budget_effect_cents,
            r.population_effect_cents,
            r.need_mix_effect_cents,
            r.damping_effect_cents,
        )
        if a is None or r.previous_cents != a.amount_cents or None in stored:
            return None
        if domain is not None and r.domain != domain:
            continue
        change = changes.setdefault(
            r.area_code, _Change(r.area_code, 0, 0, dict.fromkeys(FOUR_PARTS, 0))
        )
        changes[r.area_code] = _Change(
            r.area_code,
            change.start + a.amount_cents,
            change.end + r.amount_cents,
            {n: change.parts[n] + int(v or 0) for n, v in zip(FOUR_PARTS, stored, strict=True)},
        )
    return list(changes.values())


def _computed_changes(
    session: Session, run_a: str, run_b: str, domain: str | None
) -> tuple[list[_Change], list[Message]]:
    """The waterfall of ``populatie explain A B``, summed into the four parts."""
    report = planning.explain(session, run_a, run_b)
    out: list[_Change] = []
    for per_domain in report.waterfalls.values():
        w = per_domain[domain or "total"]
        parts = four_parts(w)
        out.extend(
            _Change(
                code,
                int(w.start_cents[i]),
                int(w.end_cents[i]),
                {name: int(parts[name][i]) for name in FOUR_PARTS},
            )
            for i, code in enumerate(w.area_keys)
        )
    notes = [
        Message(f"Alleen in één van beide runs: {n.split(' is only in run ')[0]}.")
        for n in report.notes
        if " is only in run " in n
    ]
    return out, notes


def _waterfalls(
    session: Session,
    run_a: str,
    run_b: str,
    codes: set[str],
    domain: str | None,
    names: dict[str, tuple[str, str]],
) -> tuple[list[AreaWaterfall], list[Message]]:
    changes = _stored_changes(session, run_a, run_b, domain)
    notes: list[Message] = []
    if changes is None:
        try:
            changes, notes = _computed_changes(session, run_a, run_b, domain)
        except PopulatieError as exc:
            lead = "De verandering per gebied kan voor deze twee runs niet in delen worden "
            return [], [explained(lead + "gesplitst.", exc)]
    out = []
    for c in changes:
        if c.code not in codes:
            continue
        name = names.get(c.code, (c.code, ""))[0]
        out.append(
            AreaWaterfall(
                code=c.code,
                name=name,
                start=euro(c.start),
                end=euro(c.end),
                parts=[PartRow(PART_LABELS[n], euro(c.parts[n])) for n in FOUR_PARTS],
                change=euro(c.end - c.start),
                adds_up=sum(c.parts.values()) == c.end - c.start,
                svg=charts.waterfall_chart(
                    [charts.WaterfallStep(PART_LABELS[n], c.parts[n]) for n in FOUR_PARTS],
                    prefix=f"wf-{c.code}",
                    title=f"{name}: de verandering in vier delen",
                    description="Budget, bevolking, behoeftemix en demping als zwevende "
                    "balken (stijging donker, daling gearceerd), daaronder het hele "
                    "verschil vanaf € 0. De tabel ernaast geeft de bedragen.",
                ),
            )
        )
    order = {code: i for i, code in enumerate(names)}
    out.sort(key=lambda w: order.get(w.code, len(order)))
    return out, notes


# ---------------------------------------------------------------------------------------------
# Estimation and sensitivity
# ---------------------------------------------------------------------------------------------


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
