"""Tables for people (rich) and JSON for other tools, for the planner commands."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from populatie.configuration import DOMAINS
from populatie.core import FOUR_PARTS, RateRange, elasticity, format_euro, four_parts
from populatie.planning.service import (
    EstimateReport,
    ExplainReport,
    MunicipalitySensitivity,
    SensitivityReport,
)

STEP_LABELS = {
    "budget": "budget total",
    "base": "base amounts",
    "population": "population",
    "damping": "damping",
    "rounding": "rounding",
}


#: The four parts a run stores (the planner page shows them), summed from the chain above.
FOUR_PART_LABELS = {
    "budget": "= budget total and base (four parts)",
    "population": "= population",
    "need_mix": "= need mix (counts and rates)",
    "damping": "= damping and rounding",
}


def render_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _euro_from(euro: float) -> str:
    return format_euro(round(euro * 100))


def _rate(value: float) -> str:
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def render_estimate(report: EstimateReport, console: Console) -> None:
    e = report.estimate
    r2 = "undefined" if math.isnan(e.r_squared) else f"{e.r_squared:.3f}"
    where = report.municipality or ", ".join(report.municipalities)
    table = Table(
        title=(
            f"Estimated {report.domain} rates — model {report.model}, {report.source}, "
            f"{len(report.districts)} districts of {where}; R² {r2}"
        ),
        title_justify="left",
    )
    table.add_column("Indicator")
    table.add_column("Rate (€ per unit)", justify="right")
    interval = f"{e.level:.0%} interval ({e.draws} draws, seed {report.seed})"
    table.add_column(interval if e.draws else "Interval", justify="right")
    table.add_column("Share of fitted total", justify="right")
    table.add_column("VIF", justify="right")
    table.add_column("")
    for k, key in enumerate(e.indicator_keys):
        ci = (
            "—"
            if e.ci_low is None or e.ci_high is None
            else f"{_rate(e.ci_low[k])} – {_rate(e.ci_high[k])}"
        )
        vif = "—" if not np.isfinite(e.vif[k]) else f"{e.vif[k]:.1f}"
        if np.isinf(e.vif[k]):
            vif = "∞"
        flag = f"collinear (VIF > {e.vif_threshold:g})" if e.collinear[k] else ""
        table.add_row(key, _rate(e.rates[k]), ci, f"{e.shares[k]:.1%}", vif, flag)
    console.print(table)

    areas = Table(title="Fit per area", title_justify="left")
    for name in ("Area", "Spend", "Fitted", "Residual"):
        areas.add_column(name, justify="left" if name == "Area" else "right")
    if e.area_spend is not None and e.area_fitted is not None and e.area_residuals is not None:
        for i, code in enumerate(report.area_keys):
            areas.add_row(
                code,
                _euro_from(e.area_spend[i]),
                _euro_from(e.area_fitted[i]),
                _euro_from(e.area_residuals[i]),
            )
    console.print(areas)
    if report.uninhabited:
        spent = sum(report.uninhabited.values())
        console.print(
            f"Left out of the fit, no inhabitants: {', '.join(report.uninhabited)}"
            + (f" (with {format_euro(spent)} of spend)." if spent else ".")
        )
    if report.without_district_cents:
        console.print(
            f"{format_euro(report.without_district_cents)} of spending had no district and is "
            "not in the fit."
        )
    if e.collinear.any():
        names = ", ".join(k for k, c in zip(e.indicator_keys, e.collinear, strict=True) if c)
        console.print(
            f"[yellow]Collinear indicators: {names}.[/] The data cannot tell them apart: their "
            "rates trade off against each other, so read them together (see the intervals)."
        )


def render_sensitivity(report: SensitivityReport, console: Console) -> None:
    pct = f"{report.step:.0%}"
    console.print(
        f"Sensitivity of run {report.run_id} ({report.year}, scenario {report.scenario}): "
        f"every figure is a full recalculation with one input {pct} higher, in euro, with the "
        "elasticity (change % / input %) in brackets."
    )
    for m in report.municipalities:
        if len(m.area_keys) == 1:
            console.print(
                f"{m.municipality}: one area, which receives the whole budget: no rate or count "
                "moves it."
            )
            continue
        _rates_table(m, report.step, console)
        _counts_table(m, report.step, console)
        _ranges_table(m, report.estimate_source, console)
        for note in m.notes:
            console.print(f"  - {note}")


def _rates_table(m: MunicipalitySensitivity, step: float, console: Console) -> None:
    pct = f"{step:.0%}"
    table = Table(
        title=f"{m.municipality}: a rate {pct} higher — change of each area's domain budget",
        title_justify="left",
    )
    table.add_column("Domain / indicator (rate)")
    for area in m.area_keys:
        table.add_column(area, justify="right")
    for k, key in enumerate(m.indicator_keys):
        for j, domain in enumerate(DOMAINS):
            if m.rates[k, j] == 0:
                continue
            change = m.rate_effect[k, j]
            cells = [
                _change(int(change[i]), elasticity(change[i], m.amount_cents[j, i], step))
                for i in range(len(m.area_keys))
            ]
            table.add_row(f"{domain} / {key} ({_rate(m.rates[k, j])})", *cells)
    console.print(table)


def _counts_table(m: MunicipalitySensitivity, step: float, console: Console) -> None:
    pct = f"{step:.0%}"
    table = Table(
        title=(
            f"{m.municipality}: an indicator's count {pct} higher in one area only — "
            "that area's change (all domains)"
        ),
        title_justify="left",
    )
    table.add_column("Indicator")
    for area in m.area_keys:
        table.add_column(area, justify="right")
    totals = m.amount_cents.sum(axis=0)
    for k, key in enumerate(m.indicator_keys):
        if not m.rates[k].any():
            continue
        cells = []
        for b in range(len(m.area_keys)):
            own = int(m.count_effect[k, b][:, b].sum())
            cells.append(_change(own, elasticity(own, totals[b], step)))
        table.add_row(key, *cells)
    console.print(table)


def _ranges_table(m: MunicipalitySensitivity, source: str, console: Console) -> None:
    for r in m.ranges:
        j = DOMAINS.index(r.domain)
        table = Table(
            title=(
                f"{m.municipality}: {r.domain} budget over the estimate's rate intervals"
                + (f" ({source})" if source else "")
            ),
            title_justify="left",
        )
        for name in ("Area", "This run", "At the estimate", "Lowest", "Highest"):
            table.add_column(name, justify="left" if name == "Area" else "right")
        for i, area in enumerate(m.area_keys):
            table.add_row(
                area,
                format_euro(int(m.amount_cents[j, i])),
                format_euro(int(r.amount_cents[i])),
                _extreme(int(r.min_cents[i]), int(r.reached_min_cents[i]), "≥"),
                _extreme(int(r.max_cents[i]), int(r.reached_max_cents[i]), "≤"),
            )
        console.print(table)
        _witnesses_table(m, r, console)
        if not (r.min_exact.all() and r.max_exact.all()):
            console.print(
                "  bound: a proven limit no rates inside the intervals pass (damping can hold "
                "other areas in ways no corner shows); 'reached' is the most extreme amount found "
                "and the rates that give it are listed. The true extreme lies between the two."
            )


def _extreme(value: int, reached: int, sign: str) -> str:
    if value == reached:
        return format_euro(value)
    return f"bound {sign} {format_euro(value)} (reached {format_euro(reached)})"


def _witnesses_table(m: MunicipalitySensitivity, r: RateRange, console: Console) -> None:
    table = Table(
        title=f"{m.municipality}: the {r.domain} rates that give each area's lowest and highest",
        title_justify="left",
    )
    table.add_column("Area / extreme")
    for key in m.indicator_keys:
        table.add_column(key, justify="right")
    for i, area in enumerate(m.area_keys):
        table.add_row(f"{area} lowest", *(_rate(v) for v in r.low_rates[i]))
        table.add_row(f"{area} highest", *(_rate(v) for v in r.high_rates[i]))
    console.print(table)


def _change(cents: int, value: Any) -> str:
    e = float(value)
    sign = "+" if cents > 0 else ""
    text = f"{sign}{format_euro(cents)}"
    return text if math.isnan(e) else f"{text} ({e:.2f})"


def render_explain(report: ExplainReport, domain: str, console: Console) -> None:
    console.print(
        f"From run {report.run_a} ({report.label_a}) to run {report.run_b} ({report.label_b}): "
        "each row is one step of the chain; the parts add up to the change exactly."
    )
    for municipality, per_domain in report.waterfalls.items():
        w = per_domain[domain]
        table = Table(
            title=f"{municipality} — {'all domains' if domain == 'total' else domain}",
            title_justify="left",
        )
        table.add_column("Step")
        for area in w.area_keys:
            table.add_column(area, justify="right")
        table.add_row("run A", *(format_euro(int(v)) for v in w.start_cents))
        for s, step in enumerate(w.steps):
            row = w.parts[s]
            if not row.any():
                continue
            table.add_row(_step_label(step), *(_signed(int(v)) for v in row))
        table.add_row("run B", *(format_euro(int(v)) for v in w.end_cents), style="bold")
        table.add_row("change", *(_signed(int(v)) for v in w.change_cents))
        summary = four_parts(w)
        table.add_section()
        for name in FOUR_PARTS:
            label = FOUR_PART_LABELS[name]
            table.add_row(label, *(_signed(int(v)) for v in summary[name]), style="dim")
        console.print(table)
    for note in report.notes:
        console.print(f"  - {note}")


def _step_label(step: str) -> str:
    if step in STEP_LABELS:
        return STEP_LABELS[step]
    kind, _, indicator = step.partition(":")
    return f"{indicator} ({'count' if kind == 'count' else 'rate'})"


def _signed(cents: int) -> str:
    return ("+" if cents > 0 else "") + format_euro(cents)
