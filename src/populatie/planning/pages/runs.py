"""Up to four runs side by side, each area's distance from its formula target, and the
waterfall of each area's change from the first run to another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, AllocationRun, RunArea
from populatie.allocations.service import list_runs, run_report
from populatie.configuration import DOMAINS
from populatie.core import FOUR_PARTS, four_parts
from populatie.districts.models import Municipality
from populatie.errors import (
    DataError,
    NotFoundError,
    PopulatieError,
)
from populatie.planning import service as planning
from populatie.planning.pages.common import (
    MAX_RUNS,
    PART_LABELS,
    Message,
    Option,
    explained,
    run_labels,
)
from populatie.web import waterfall_chart as charts
from populatie.web.formatting import (
    DOMAIN_LABELS,
    euro,
    percent,
)


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
                    [charts.Step(PART_LABELS[n], c.parts[n]) for n in FOUR_PARTS],
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
