"""Planner use cases over a session: estimate rates, sensitivity of a run, waterfall of two runs.

- :func:`spend_per_district` sums imported spending per district for a year and domain;
  :func:`estimate` fits rates to any per-district spend (from spending, or a frame a planner
  brings) and :func:`write_scenario` turns the fit into a scenario file that
  ``populatie allocate --scenario`` runs like any other.
- :func:`sensitivity` recomputes a stored run with each rate, and each area's count of each
  indicator, 10 % higher; given an estimate, also each area's range over the estimate's intervals.
- :func:`explain` splits every area's change between two runs into exact parts.

All of them read; none writes to the database.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.configuration import DOMAINS, ModelConfig, RegionConfig
from populatie.core import (
    AllocationInputs,
    Estimate,
    RateRange,
    Waterfall,
    combine,
    count_effects,
    elasticity,
    estimate_rates,
    four_parts,
    rate_effects,
    rate_range,
    waterfall,
)
from populatie.districts.models import District
from populatie.errors import AllocationError, ConfigurationError, DataError, MissingFigureError
from populatie.planning.inputs import figures, run_inputs
from populatie.spending.models import SpendingMonth

__all__ = [
    "DistrictSpend",
    "EstimateReport",
    "ExplainReport",
    "RateInterval",
    "SensitivityReport",
    "estimate",
    "explain",
    "load_estimate",
    "scenario_text",
    "sensitivity",
    "spend_per_district",
    "write_scenario",
]

# ---------------------------------------------------------------------------------------------
# Spending per district
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictSpend:
    """Spend per district (cents) of one year and domain, and what could not be placed."""

    year: int
    domain: str
    cents: dict[str, int]
    without_district_cents: int
    municipalities: list[str]

    @property
    def total_cents(self) -> int:
        return sum(self.cents.values()) + self.without_district_cents


def spend_per_district(
    session: Session, year: int, domain: str, municipality: str | None = None
) -> DistrictSpend:
    """Imported spending of ``year`` in ``domain``, summed per district (monthly totals).

    Spending booked without a district cannot say where the need was; it is counted apart and
    reported, never spread. No spending with a district at all is an error.
    """
    _check_domain(domain)
    query = (
        select(
            col(SpendingMonth.municipality_code),
            col(SpendingMonth.district_code),
            func.sum(SpendingMonth.amount_cents),
        )
        .where(col(SpendingMonth.year) == year)
        .where(col(SpendingMonth.domain) == domain)
        .group_by(col(SpendingMonth.municipality_code), col(SpendingMonth.district_code))
    )
    if municipality is not None:
        query = query.where(col(SpendingMonth.municipality_code) == municipality)
    cents: dict[str, int] = {}
    without = 0
    municipalities: set[str] = set()
    for code, district, amount in session.execute(query):
        if district:
            cents[str(district)] = cents.get(str(district), 0) + int(amount)
            municipalities.add(str(code))
        else:
            without += int(amount)
    if not cents:
        where = f" for {municipality}" if municipality else ""
        raise DataError(
            f"no {domain} spending with a district in {year}{where}: import spending first "
            "(rows without a district cannot be used to estimate rates)"
        )
    return DistrictSpend(year, domain, cents, without, sorted(municipalities))


# ---------------------------------------------------------------------------------------------
# Estimation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstimateReport:
    """An estimate with what it was fitted on; ``as_json`` is what ``--format json`` prints
    and what ``populatie sensitivity --estimate`` reads back."""

    domain: str
    source: str
    municipality: str | None
    model: str
    municipalities: list[str]
    districts: list[str]
    spend_cents: list[int]
    area_keys: list[str]
    estimate: Estimate
    seed: int | None
    without_district_cents: int = 0
    #: Districts left out of the fit because nobody lives there, with their spend (cents).
    uninhabited: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        e = self.estimate
        return {
            "domain": self.domain,
            "source": self.source,
            "municipality": self.municipality,
            "model": self.model,
            "municipalities": self.municipalities,
            "units": len(self.districts),
            "r_squared": _finite(e.r_squared),
            "draws": e.draws,
            "seed": self.seed,
            "level": e.level,
            "vif_threshold": e.vif_threshold,
            "without_district_cents": self.without_district_cents,
            "excluded_districts": [
                {"code": code, "reason": "no inhabitants", "spend_cents": cents}
                for code, cents in self.uninhabited.items()
            ],
            "indicators": [
                {
                    "indicator": key,
                    "rate": float(e.rates[k]),
                    "ci_low": None if e.ci_low is None else float(e.ci_low[k]),
                    "ci_high": None if e.ci_high is None else float(e.ci_high[k]),
                    "share": float(e.shares[k]),
                    "vif": _finite(float(e.vif[k])),
                    "collinear": bool(e.collinear[k]),
                }
                for k, key in enumerate(e.indicator_keys)
            ],
            "areas": [
                {
                    "code": code,
                    "spend_cents": round(_value(e.area_spend, i) * 100),
                    "fitted_cents": round(_value(e.area_fitted, i) * 100),
                    "residual_cents": round(_value(e.area_residuals, i) * 100),
                }
                for i, code in enumerate(self.area_keys)
            ],
            "districts": [
                {
                    "code": code,
                    "spend_cents": self.spend_cents[u],
                    "fitted_cents": round(float(e.fitted[u]) * 100),
                    "residual_cents": round(float(e.residuals[u]) * 100),
                }
                for u, code in enumerate(self.districts)
            ],
        }


def estimate(
    session: Session,
    config: RegionConfig,
    spend_cents: Mapping[str, int],
    *,
    domain: str,
    municipality: str | None = None,
    indicators: Sequence[str] | None = None,
    draws: int = 1000,
    seed: int | None = 1,
    level: float = 0.95,
    vif_threshold: float = 10.0,
    source: str = "",
    without_district_cents: int = 0,
    missing: str = "zero",
) -> EstimateReport:
    """Fit non-negative rates for ``domain`` to spend per district (cents).

    The units are every district of record of ``municipality``, or without one, of every
    municipality with spend in ``spend_cents``, except districts without inhabitants (their
    need is no need for people; they are left out and listed). A district without spend counts
    as 0 with ``missing="zero"`` (imported spending: nothing was booked there); with
    ``missing="error"`` (a spend file, which should list every district) it is an error that
    names the districts, because a silent 0 moves the rates. The
    indicators are ``indicators`` or those the model of the municipality (else the default
    model) rates in this domain; the rates come out in euro per unit. Every unit needs a figure
    for every indicator in the data of record: a gap is an error that names it.
    """
    _check_domain(domain)
    record = {
        str(code): str(m)
        for code, m in session.execute(select(col(District.code), col(District.municipality_code)))
    }
    unknown = sorted(d for d in spend_cents if d not in record)
    if unknown:
        raise DataError(
            f"spend is booked on district(s) that are not of record: {', '.join(unknown[:5])}",
            details=[{"district": d} for d in unknown],
        )
    if municipality is not None:
        config.municipality_name(municipality)  # raises on an unknown code
        chosen = [municipality]
    else:
        chosen = sorted({record[d] for d in spend_cents})
    if municipality:
        of_municipality = sorted(d for d, m in record.items() if m == municipality)
        newest = int(session.execute(select(func.max(District.vintage))).scalar_one())
        chain = config.model_chain(municipality)
        have = figures(session, of_municipality, newest, chain)
        available = [k for k in chain if all((d, k) in have for d in of_municipality)]
        model_name, model = config.model_for(municipality, available)
    else:
        model_name, model = ("default", _default_model(config))
    keys = list(indicators) if indicators else sorted(model.rates.get(domain, {}))
    if not keys:
        raise ConfigurationError(
            f"model {model_name} rates no indicator for {domain}; name them with --indicator"
        )
    districts = sorted(d for d, m in record.items() if m in chosen)
    vintage = int(session.execute(select(func.max(District.vintage))).scalar_one())
    people = figures(session, districts, vintage, [config.population_indicator])
    empty = [d for d in districts if people.get((d, config.population_indicator)) == 0]
    uninhabited = {d: int(spend_cents.get(d, 0)) for d in empty}
    districts = [d for d in districts if d not in uninhabited]
    absent = [d for d in districts if d not in spend_cents]
    if absent and missing != "zero":
        raise DataError(
            f"{len(absent)} district(s) have no spend in the file: {', '.join(absent[:10])}"
            + (" …" if len(absent) > 10 else "")
            + "; list them with amount 0, or pass --missing zero to count them as 0",
            details=[{"district": d, "reason": "no spend given"} for d in absent],
        )
    found = figures(session, districts, vintage, keys)
    for d in districts:
        for k in keys:
            if (d, k) not in found:
                raise MissingFigureError(
                    f"no figure for indicator {k!r} in district {d}: choose indicators every "
                    "district has, or one municipality (--municipality)",
                    details=[{"unit": d, "indicator": k}],
                )
    counts = np.array([[found[(d, k)] for k in keys] for d in districts], dtype=float)
    cents = [int(spend_cents.get(d, 0)) for d in districts]
    area_of = config.district_areas(record)
    area_keys = sorted({area_of[d] for d in districts})
    index = {a: i for i, a in enumerate(area_keys)}
    fit = estimate_rates(
        counts,
        np.array(cents, dtype=float) / 100.0,
        indicator_keys=keys,
        unit_area=np.array([index[area_of[d]] for d in districts], dtype=np.intp),
        n_areas=len(area_keys),
        draws=draws,
        rng=np.random.default_rng(seed) if draws else None,
        level=level,
        vif_threshold=vif_threshold,
    )
    return EstimateReport(
        domain=domain,
        source=source,
        municipality=municipality,
        model=model_name,
        municipalities=chosen,
        districts=districts,
        spend_cents=cents,
        area_keys=area_keys,
        estimate=fit,
        seed=seed if draws else None,
        without_district_cents=without_district_cents,
        uninhabited=uninhabited,
    )


def scenario_text(report: EstimateReport, config: RegionConfig, name: str) -> str:
    """A scenario TOML: every model of ``config``, with the estimated domain of the estimated
    model replaced by the fitted rates; the comment says where the rates come from."""
    e = report.estimate
    lines = [
        f"# Scenario {name}: ESTIMATED rates for {report.domain} in model {report.model},",
        f"# fitted by non-negative least squares to {report.source or 'spend per district'}",
        f"# over {len(report.districts)} districts of {', '.join(report.municipalities)}; "
        f"R² = {_r2(e.r_squared)}.",
    ]
    if e.ci_low is not None and e.ci_high is not None:
        lines.append(f"# {e.level:.0%} bootstrap intervals ({e.draws} draws, seed {report.seed}):")
        for k, key in enumerate(e.indicator_keys):
            flag = f"  (collinear: VIF {e.vif[k]:.1f})" if e.collinear[k] else ""
            lines.append(
                f"#   {key} = {_number(e.rates[k])}  "
                f"[{_number(e.ci_low[k])}, {_number(e.ci_high[k])}]{flag}"
            )
    lines += [
        "# The other models and domains are copied from the configuration unchanged.",
        "# Run it with: populatie allocate --year YEAR --scenario <this file>",
        "",
        f"name = {_toml_string(name)}",
        "description = "
        + _toml_string(
            f"Estimated {report.domain} rates ({report.model}) from {report.source}, "
            f"R² {_r2(e.r_squared)}"
        ),
    ]
    fitted = {k: float(e.rates[i]) for i, k in enumerate(e.indicator_keys)}
    for model_name, model in config.models.items():
        lines += ["", f"[models.{model_name}]"]
        if model.description:
            lines.append(f"description = {_toml_string(model.description)}")
        if model.municipalities:
            items = ", ".join(_toml_string(m) for m in model.municipalities)
            lines.append(f"municipalities = [{items}]")
        if model.fallback is not None:
            lines.append(f"fallback = {_toml_string(model.fallback)}")
        for domain in DOMAINS:
            rates = dict(model.rates.get(domain, {}))
            if model_name == report.model and domain == report.domain:
                rates = fitted
            if domain not in model.rates and rates is not fitted:
                continue
            lines.append(f"[models.{model_name}.rates.{domain}]")
            lines += [f"{k} = {_number(v)}" for k, v in sorted(rates.items())]
    return "\n".join(lines) + "\n"


def write_scenario(
    report: EstimateReport, config: RegionConfig, path: Path, config_dir: Path
) -> Path:
    """Write :func:`scenario_text` to ``path`` and check that it loads as a scenario."""
    from populatie.configuration import load_config

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scenario_text(report, config, path.stem), encoding="utf-8")
    load_config(config_dir, path)  # raises if the file would not run
    return path


@dataclass(frozen=True)
class RateInterval:
    """One domain's estimated rates with their intervals, as sensitivity reads them back."""

    domain: str
    municipality: str | None
    indicators: list[str]
    rates: list[float]
    low: list[float]
    high: list[float]
    source: str = ""


def load_estimate(path: Path) -> RateInterval:
    """Read an estimate written by ``populatie estimate --format json``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data["indicators"]
        intervals = RateInterval(
            domain=str(data["domain"]),
            municipality=data.get("municipality"),
            indicators=[str(r["indicator"]) for r in rows],
            rates=[float(r["rate"]) for r in rows],
            low=[float(r["ci_low"] if r["ci_low"] is not None else r["rate"]) for r in rows],
            high=[float(r["ci_high"] if r["ci_high"] is not None else r["rate"]) for r in rows],
            source=str(data.get("source", "")),
        )
    except FileNotFoundError:
        raise DataError(f"estimate file {path.name} does not exist") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"{path.name} is not an estimate from `populatie estimate --format json`: {exc!r}"
        ) from None
    _check_domain(intervals.domain)
    return intervals


# ---------------------------------------------------------------------------------------------
# Sensitivity
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MunicipalitySensitivity:
    municipality: str
    area_keys: list[str]
    indicator_keys: list[str]
    amount_cents: np.ndarray  # domains × areas
    rates: np.ndarray  # indicators × domains
    rate_effect: np.ndarray  # indicators × domains × areas
    count_effect: np.ndarray  # indicators × moved area × domains × areas
    ranges: list[RateRange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SensitivityReport:
    run_id: str
    year: int
    scenario: str
    step: float
    municipalities: list[MunicipalitySensitivity]
    estimate_source: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "year": self.year,
            "scenario": self.scenario,
            "step": self.step,
            "estimate": self.estimate_source or None,
            "municipalities": [_sensitivity_json(m, self.step) for m in self.municipalities],
        }


def sensitivity(
    session: Session,
    run_id: str,
    *,
    step: float = 0.10,
    estimate: RateInterval | None = None,
) -> SensitivityReport:
    """Rate and count effects for every area of a run; ranges over an estimate's intervals."""
    if not 0 < step <= 10:
        raise DataError(f"the step must be a share above 0 (0.10 is 10 %), got {step}")
    extra = estimate.indicators if estimate else ()
    only = [estimate.municipality] if estimate and estimate.municipality else None
    rebuilt = run_inputs(session, run_id, extra_indicators=extra, extra_for=only)
    result: list[MunicipalitySensitivity] = []
    for municipality, part in rebuilt.municipalities.items():
        inputs = part.inputs
        ranges: list[RateRange] = []
        notes: list[str] = []
        if estimate is not None:
            ranges, notes = _ranges(municipality, part.extended_inputs, estimate)
        result.append(
            MunicipalitySensitivity(
                municipality=municipality,
                area_keys=list(inputs.area_keys),
                indicator_keys=list(inputs.indicator_keys),
                amount_cents=np.stack([part.amount_cents[d] for d in inputs.domains]),
                rates=inputs.rates,
                rate_effect=rate_effects(inputs, step),
                count_effect=count_effects(inputs, step),
                ranges=ranges,
                notes=notes,
            )
        )
    return SensitivityReport(
        run_id=rebuilt.run_id,
        year=rebuilt.year,
        scenario=rebuilt.scenario,
        step=step,
        municipalities=result,
        estimate_source=estimate.source if estimate else "",
    )


def _ranges(
    municipality: str, inputs: AllocationInputs, estimate: RateInterval
) -> tuple[list[RateRange], list[str]]:
    if estimate.municipality not in (None, municipality):
        return [], []
    missing = [k for k in estimate.indicators if k not in inputs.indicator_keys]
    if missing:
        return [], [
            f"{municipality}: no figures for {', '.join(missing)} in every district; "
            "the estimate's range is not computed here"
        ]
    k_count = len(inputs.indicator_keys)
    rates, low, high = np.zeros(k_count), np.zeros(k_count), np.zeros(k_count)
    for i, key in enumerate(estimate.indicators):
        k = inputs.indicator_keys.index(key)
        rates[k], low[k], high[k] = estimate.rates[i], estimate.low[i], estimate.high[i]
    low, high = np.minimum(low, rates), np.maximum(high, rates)
    try:
        return [rate_range(inputs, estimate.domain, rates, low, high)], []
    except AllocationError as exc:  # e.g. intervals that reach all-zero rates
        return [], [f"{municipality}: the estimate's range is not computed: {exc.message}"]


def _sensitivity_json(m: MunicipalitySensitivity, step: float) -> dict[str, Any]:
    domains = list(DOMAINS)
    rates = []
    for k, key in enumerate(m.indicator_keys):
        for j, domain in enumerate(domains):
            if m.rates[k, j] == 0:
                continue
            change = m.rate_effect[k, j]
            rates.append(
                {
                    "indicator": key,
                    "domain": domain,
                    "rate": float(m.rates[k, j]),
                    "areas": {
                        a: {
                            "change_cents": int(change[i]),
                            "elasticity": _finite(
                                float(elasticity(change[i], m.amount_cents[j, i], step))
                            ),
                        }
                        for i, a in enumerate(m.area_keys)
                    },
                }
            )
    counts = []
    totals = m.amount_cents.sum(axis=0)
    for k, key in enumerate(m.indicator_keys):
        for b, area in enumerate(m.area_keys):
            effect = m.count_effect[k, b]  # domains × areas
            own = int(effect[:, b].sum())
            counts.append(
                {
                    "indicator": key,
                    "area": area,
                    "own_change_cents": own,
                    "own_elasticity": _finite(float(elasticity(own, totals[b], step))),
                    "changes_cents": {
                        d: {a: int(effect[j, i]) for i, a in enumerate(m.area_keys)}
                        for j, d in enumerate(domains)
                    },
                }
            )
    ranges = [
        {
            "domain": r.domain,
            "areas": {
                a: {
                    "run_cents": int(m.amount_cents[domains.index(r.domain), i]),
                    "estimate_cents": int(r.amount_cents[i]),
                    "min_cents": int(r.min_cents[i]),
                    "max_cents": int(r.max_cents[i]),
                    "min_kind": "exact" if r.min_exact[i] else "bound",
                    "max_kind": "exact" if r.max_exact[i] else "bound",
                    "min_reached_cents": int(r.reached_min_cents[i]),
                    "max_reached_cents": int(r.reached_max_cents[i]),
                    "min_rates": dict(
                        zip(m.indicator_keys, map(float, r.low_rates[i]), strict=True)
                    ),
                    "max_rates": dict(
                        zip(m.indicator_keys, map(float, r.high_rates[i]), strict=True)
                    ),
                }
                for i, a in enumerate(m.area_keys)
            },
        }
        for r in m.ranges
    ]
    return {
        "municipality": m.municipality,
        "areas": m.area_keys,
        "amount_cents": {
            d: {a: int(m.amount_cents[j, i]) for i, a in enumerate(m.area_keys)}
            for j, d in enumerate(domains)
        },
        "rates": rates,
        "counts": counts,
        "ranges": ranges,
        "notes": m.notes,
    }


# ---------------------------------------------------------------------------------------------
# Waterfall
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExplainReport:
    run_a: str
    run_b: str
    label_a: str
    label_b: str
    waterfalls: dict[str, dict[str, Waterfall]]  # municipality → domain (and "total") → parts
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        areas = []
        for municipality, per_domain in self.waterfalls.items():
            total = per_domain["total"]
            for i, code in enumerate(total.area_keys):
                areas.append(
                    {
                        "code": code,
                        "municipality": municipality,
                        "from_cents": int(total.start_cents[i]),
                        "to_cents": int(total.end_cents[i]),
                        "change_cents": int(total.change_cents[i]),
                        "parts": _parts(total, i),
                        "four_parts": _four(total, i),
                        "domains": {
                            d: {
                                "from_cents": int(w.start_cents[i]),
                                "to_cents": int(w.end_cents[i]),
                                "parts": _parts(w, i),
                                "four_parts": _four(w, i),
                            }
                            for d, w in per_domain.items()
                            if d != "total"
                        },
                    }
                )
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "steps_order": "rounding and damping of A undone, budget, base, population, "
            "count per indicator, rate per indicator, damping and rounding of B",
            "areas": areas,
            "notes": self.notes,
        }


def explain(session: Session, run_a: str, run_b: str) -> ExplainReport:
    """The waterfall from run A to run B for every area of the municipalities both runs hold."""
    a = run_inputs(session, run_a)
    b = run_inputs(session, run_b)
    shared = [m for m in a.municipalities if m in b.municipalities]
    if not shared:
        raise DataError(
            f"runs {run_a} and {run_b} share no municipality: "
            f"{', '.join(a.municipalities)} against {', '.join(b.municipalities)}"
        )
    notes = [
        f"{m} is only in run {'A' if m in a.municipalities else 'B'}"
        for m in sorted(set(a.municipalities) ^ set(b.municipalities))
    ]
    waterfalls: dict[str, dict[str, Waterfall]] = {}
    for municipality in shared:
        side_a, side_b = a.municipalities[municipality], b.municipalities[municipality]
        per_domain = waterfall(
            side_a.inputs,
            side_b.inputs,
            amount_a=side_a.amount_cents,
            amount_b=side_b.amount_cents,
        )
        waterfalls[municipality] = {**per_domain, "total": combine(per_domain)}
    return ExplainReport(
        run_a=a.run_id,
        run_b=b.run_id,
        label_a=f"{a.year} {a.scenario}",
        label_b=f"{b.year} {b.scenario}",
        waterfalls=waterfalls,
        notes=notes,
    )


def _parts(w: Waterfall, i: int) -> dict[str, int]:
    return {step: int(w.parts[s, i]) for s, step in enumerate(w.steps)}


def _four(w: Waterfall, i: int) -> dict[str, int]:
    """The four parts a run stores (budget, population, need_mix, damping), from the chain."""
    return {name: int(values[i]) for name, values in four_parts(w).items()}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _check_domain(domain: str) -> None:
    if domain not in DOMAINS:
        raise DataError(f"{domain!r} is not a domain; domains are {', '.join(DOMAINS)}")


def _default_model(config: RegionConfig) -> ModelConfig:
    if "default" not in config.models:
        raise ConfigurationError("there is no [models.default]: name a municipality")
    return config.models["default"]


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _value(values: np.ndarray | None, i: int) -> float:
    return 0.0 if values is None else float(values[i])


def _r2(value: float) -> str:
    return "undefined (no variation in spend)" if math.isnan(value) else f"{value:.3f}"


def _toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; non-ASCII text stays as written)."""
    return json.dumps(text, ensure_ascii=False)


def _number(value: float) -> str:
    """A TOML float with six significant digits (``6012.35``, ``0.0043``, ``6000.0``)."""
    return repr(float(f"{float(value):.6g}"))
