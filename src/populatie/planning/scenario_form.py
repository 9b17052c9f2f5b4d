"""The planner page's scenario form: what it is prefilled with, how it is read, and the run.

The form carries every input a planner may change for one budget year: the rates of every
model (euro per unit, per indicator and domain), the base amount per area and domain, the
damping rules, and the budget totals of every municipality. It is prefilled from the run
adopted for that year (its configuration snapshot and the totals it divided) or, where no run
is adopted yet, from the configuration and the stored totals.

Reading the form is all or nothing: every field is checked, every problem is named per field
in Dutch, and only a form without problems becomes a configuration. The run is then stored
with :func:`populatie.allocations.service.create_run`, the same use case as ``POST /api/runs``
and ``populatie allocate --scenario``, and audited in the same unit of work. Budget totals
enter the scenario only where they differ from the stored ones, so a run's provenance says
"scenario" only when the planner changed a total.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from populatie.allocations import service as allocations
from populatie.allocations.models import Adoption, AllocationRun
from populatie.auth.audit import record_event
from populatie.auth.tokens import Principal
from populatie.budget_totals.service import totals_for_run
from populatie.configuration import DOMAINS, RegionConfig
from populatie.core.money import InvalidAmountError, format_euro, parse_cents
from populatie.errors import ConfigurationError, PopulatieError
from populatie.web.formatting import scenario_name

__all__ = [
    "DAMPING_RULES",
    "ScenarioForm",
    "ScenarioFormError",
    "adopted_run",
    "prefill",
    "read_form",
    "recalculate",
]

#: The damping rules of the form: (key, Dutch label, unit, lowest, highest). Convergence is a
#: share in the configuration and a percentage on the form.
DAMPING_RULES: tuple[tuple[str, str, str, float, float], ...] = (
    ("max_change_pct", "Maximale verandering", "%", 0.0, 1000.0),
    ("max_change_per_young_eur", "Maximale verandering per jeugdige", "€", 0.0, 1_000_000.0),
    ("min_growth_pct", "Minimale groei", "%", -100.0, 1000.0),
    ("convergence_share", "Naar het doelbedrag per jaar", "%", 0.0, 100.0),
)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$")
_NUMBER = re.compile(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
_LIMIT_CENTS = 10**15  # a thousand billion euro: far above any budget, far below overflow


class ScenarioFormError(PopulatieError):
    """The form has problems: ``errors`` maps each field to its Dutch reason; nothing stored."""

    problem_type = "scenario-invalid"
    status = 422

    def __init__(self, errors: Mapping[str, str], general: list[str] | None = None) -> None:
        super().__init__("the scenario form has problems")
        self.errors = dict(errors)
        self.general = list(general or [])


@dataclass
class ScenarioForm:
    """The form's fields as text, keyed by field name, with where the values came from.

    ``rates`` is model → domain → indicator → field name; the other mappings name the field of
    each base amount, damping rule and budget total. ``values`` holds what the form shows.
    """

    year: int
    source: str
    models: dict[str, str]  # model → Dutch description (which municipalities use it)
    rates: dict[str, dict[str, dict[str, str]]]
    base: dict[str, str]
    damping: dict[str, str]
    budgets: dict[str, dict[str, str]]  # municipality → domain → field name
    municipality_names: dict[str, str]
    values: dict[str, str] = field(default_factory=dict)

    def fields(self) -> list[str]:
        names = ["name"]
        names += [f for per in self.rates.values() for d in per.values() for f in d.values()]
        names += list(self.base.values()) + list(self.damping.values())
        names += [f for per in self.budgets.values() for f in per.values()]
        return names


def rate_field(model: str, domain: str, indicator: str) -> str:
    return f"rate:{model}:{domain}:{indicator}"


def _euro_text(cents: int) -> str:
    """An amount as a planner types it: ``1234567,89`` (no thousands dots, decimal comma)."""
    return format_euro(cents).removeprefix("€ ").replace(".", "")


def _number_text(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if text not in ("", "-0") else "0"


def adopted_run(session: Session, year: int) -> AllocationRun | None:
    """The run adopted for most municipalities of ``year`` (the newest adoption on a tie)."""
    rows = session.execute(
        select(col(Adoption.run_id), col(Adoption.adopted_at)).where(col(Adoption.year) == year)
    ).all()
    if not rows:
        return None
    counts = Counter(str(r) for r, _ in rows)
    newest = {str(r): at for r, at in rows}
    run_id = max(counts, key=lambda r: (counts[r], newest[r]))
    return session.get(AllocationRun, run_id)


def prefill(session: Session, config: RegionConfig, year: int) -> ScenarioForm:
    """The form for ``year``: from the adopted run of the year, else the configuration."""
    run = adopted_run(session, year)
    source_config = config
    budgets: dict[str, dict[str, int]] = {}
    if run is not None:
        try:
            source_config = RegionConfig.model_validate(run.config_snapshot)
        except ValidationError:
            run = None
    if run is not None:
        budgets = {m: dict(c) for m, c in run.budget_cents.items()}
        source = (
            f"Ingevuld met de vastgestelde run van {year} ({scenario_name(run.scenario)}, "
            f"{run.created_at:%d-%m-%Y}, door {run.created_by})."
        )
    else:
        source = (
            f"Er is voor {year} nog geen run vastgesteld: ingevuld met het verdeelmodel uit de "
            "configuratie en de vastgelegde budgettotalen."
        )
    for code in config.municipality_codes():
        if code not in budgets:
            try:
                stored, _ = totals_for_run(session, config, year, [code])
                budgets[code] = stored[code]
            except ConfigurationError:
                pass  # left empty: the planner types the totals, or sets them first
    names = {m.code: m.name for m in config.municipalities}
    if missing := [names[c] for c in config.municipality_codes() if c not in budgets]:
        source += (
            f" Voor {', '.join(missing)} zijn voor {year} nog geen budgettotalen vastgelegd: "
            "vul ze hieronder in (ze gelden dan alleen voor deze run), of laat financiën ze "
            f"vastleggen (populatie budgets set {year} …, of budgets index --to {year})."
        )
    form = ScenarioForm(
        year=year,
        source=source,
        models={},
        rates={},
        base={d: f"base:{d}" for d in DOMAINS},
        damping={key: f"damping:{key}" for key, *_ in DAMPING_RULES},
        budgets={m: {d: f"budget:{m}:{d}" for d in DOMAINS} for m in names},
        municipality_names=names,
    )
    values = {"name": "scenario"}
    for model_name, model in source_config.models.items():
        users = ", ".join(names.get(m, m) for m in model.municipalities) or "de overige gemeenten"
        form.models[model_name] = users
        form.rates[model_name] = {}
        for domain in DOMAINS:
            rates = model.rates.get(domain, {})
            form.rates[model_name][domain] = {}
            for indicator in model.indicators():
                name = rate_field(model_name, domain, indicator)
                form.rates[model_name][domain][indicator] = name
                values[name] = _number_text(rates.get(indicator, 0.0))
    base = source_config.base_cents()
    values.update({form.base[d]: _euro_text(base[d]) for d in DOMAINS})
    for key, *_ in DAMPING_RULES:
        value = getattr(source_config.damping, key)
        if key == "convergence_share" and value is not None:
            value = value * 100
        values[form.damping[key]] = "" if value is None else _number_text(value)
    for municipality, per_domain in budgets.items():
        if municipality in form.budgets:
            for d in DOMAINS:
                values[form.budgets[municipality][d]] = _euro_text(per_domain[d])
    form.values = values
    return form


def _number(text: str) -> float:
    """A Dutch number (``1.234,5``, ``0,25``, ``-2``); ValueError otherwise."""
    cleaned = text.strip()
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(cleaned)
    return float(cleaned.replace(".", "").replace(",", "."))


def _cents(text: str) -> int:
    value = text.strip()
    if not value:
        raise InvalidAmountError("empty")
    return parse_cents(value, decimal_comma=True)


@dataclass(frozen=True)
class ScenarioInput:
    """A form read without problems: everything a run needs, in cents and floats."""

    year: int
    name: str
    rates: dict[str, dict[str, dict[str, float]]]
    base_cents: dict[str, int]
    damping: dict[str, float | None]
    budgets_cents: dict[str, dict[str, int]]

    def as_json(self) -> dict[str, Any]:
        """What the audit log keeps of the scenario."""
        return {
            "name": self.name,
            "rates": self.rates,
            "base_cents": self.base_cents,
            "damping": self.damping,
            "budgets_cents": self.budgets_cents,
        }


def read_form(form: ScenarioForm, posted: Mapping[str, str]) -> ScenarioInput:
    """Every field of ``form`` read from ``posted``; :class:`ScenarioFormError` with a Dutch
    reason per field when any is wrong. ``form.values`` becomes what was posted, so the form
    shows the planner's own text again."""
    form.values = {name: str(posted.get(name, "")) for name in form.fields()}
    errors: dict[str, str] = {}
    name = form.values["name"].strip()
    if not NAME_PATTERN.fullmatch(name):
        errors["name"] = (
            "Geef een naam van 1 tot 40 tekens: letters, cijfers, spatie, punt, streepje of "
            "liggend streepje, beginnend met een letter of cijfer."
        )
    rates: dict[str, dict[str, dict[str, float]]] = {}
    for model, per_domain in form.rates.items():
        rates[model] = {}
        for domain, per_indicator in per_domain.items():
            rates[model][domain] = {}
            for indicator, field_name in per_indicator.items():
                text = form.values[field_name]
                try:
                    value = _number(text)
                except ValueError:
                    errors[field_name] = (
                        "Vul een tarief in euro per eenheid in, bijvoorbeeld 120 of 0,25."
                        if text.strip()
                        else "Vul een tarief in (0 als de indicator niet meetelt)."
                    )
                    continue
                if value < 0 or value > 1_000_000_000:
                    errors[field_name] = "Een tarief ligt tussen 0 en 1.000.000.000 euro."
                    continue
                rates[model][domain][indicator] = value
    base: dict[str, int] = {}
    for domain, field_name in form.base.items():
        amount = _amount(form.values[field_name], field_name, errors)
        if amount is not None:
            base[domain] = amount
    damping: dict[str, float | None] = {}
    for key, label, unit, low, high in DAMPING_RULES:
        field_name = form.damping[key]
        text = form.values[field_name].strip()
        if not text:
            damping[key] = None
            continue
        try:
            value = _number(text)
        except ValueError:
            errors[field_name] = f"{label}: vul een getal in ({unit}), of laat het leeg."
            continue
        if not low <= value <= high:
            errors[field_name] = (
                f"{label} ligt tussen {_number_text(low)} en {_number_text(high)} {unit}."
            )
            continue
        damping[key] = value / 100 if key == "convergence_share" else value
    budgets: dict[str, dict[str, int]] = {}
    for municipality, budget_fields in form.budgets.items():
        budgets[municipality] = {}
        for domain, budget_field in budget_fields.items():
            amount = _amount(form.values[budget_field], budget_field, errors)
            if amount is not None:
                budgets[municipality][domain] = amount
    if errors:
        raise ScenarioFormError(errors)
    return ScenarioInput(
        year=form.year,
        name=name,
        rates=rates,
        base_cents=base,
        damping=damping,
        budgets_cents=budgets,
    )


def _amount(text: str, field_name: str, errors: dict[str, str]) -> int | None:
    try:
        cents = _cents(text)
    except InvalidAmountError:
        errors[field_name] = (
            "Vul een bedrag in euro in, met een komma voor de centen: bijvoorbeeld 1250000,00."
            if text.strip()
            else "Vul een bedrag in euro in (0 mag)."
        )
        return None
    if cents < 0:
        errors[field_name] = "Een bedrag kan niet negatief zijn."
        return None
    if cents > _LIMIT_CENTS:
        errors[field_name] = "Dit bedrag is groter dan tienduizend miljard euro."
        return None
    return cents


def scenario_config(
    session: Session, config: RegionConfig, scenario: ScenarioInput
) -> RegionConfig:
    """``config`` with the form's rates, base amounts, damping and (changed) totals."""
    data: dict[str, Any] = config.model_dump()
    errors: dict[str, str] = {}
    for model, per_domain in scenario.rates.items():
        if model not in data["models"]:
            errors[f"rate:{model}"] = f"Het model {model} staat niet (meer) in de configuratie."
            continue
        data["models"][model]["rates"] = {
            domain: dict(rates) for domain, rates in per_domain.items() if rates
        }
    if errors:
        raise ScenarioFormError(errors)
    data["base_euro"] = {d: Decimal(c) / 100 for d, c in scenario.base_cents.items()}
    data["damping"] = dict(scenario.damping)
    changed: dict[str, dict[str, Decimal]] = {}
    for municipality, cents in scenario.budgets_cents.items():
        try:
            stored, _ = totals_for_run(session, config, scenario.year, [municipality])
            same = stored[municipality] == cents
        except ConfigurationError:
            same = False
        if not same:
            changed[municipality] = {d: Decimal(c) / 100 for d, c in cents.items()}
    data["scenario_budgets_euro"] = {scenario.year: changed} if changed else {}
    data["scenario"] = scenario.name
    try:
        return RegionConfig.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(str(e["msg"]) for e in exc.errors())
        raise ScenarioFormError(
            {}, [f"Het scenario is geen geldige configuratie: {reasons}"]
        ) from None


def recalculate(
    session: Session, config: RegionConfig, scenario: ScenarioInput, principal: Principal
) -> AllocationRun:
    """Store the scenario's run for every municipality (a draft), audited in the same unit.

    The caller's session commits; on any error the caller rolls back, so nothing is stored.
    """
    run = allocations.create_run(
        session,
        scenario_config(session, config, scenario),
        scenario.year,
        None,
        principal.actor,
    )
    record_event(
        session,
        actor=principal.actor,
        role=principal.role.value,
        partnership=principal.partnership,
        action="run.create",
        target=f"run:{run.id}",
        detail={
            "year": run.year,
            "municipalities": list(run.municipalities),
            "scenario": scenario.as_json(),
            "via": "planner page",
        },
    )
    return run
