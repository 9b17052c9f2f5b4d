"""The scenario form as the page shows it: every field with its value and its problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.allocations.models import AllocationRun
from populatie.budget_totals.models import BudgetTotal
from populatie.configuration import DOMAINS
from populatie.errors import (
    NotFoundError,
)
from populatie.planning.pages.common import (
    Message,
    Option,
    indicator_label,
)
from populatie.planning.scenario_form import DAMPING_RULES, ScenarioForm
from populatie.web.formatting import (
    DOMAIN_LABELS,
)


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
    """The newest year with a run, else the newest with stored totals."""
    newest = session.execute(select(func.max(AllocationRun.year))).scalar_one()
    if newest is None:
        newest = session.execute(select(func.max(BudgetTotal.year))).scalar_one()
    if newest is None:
        raise NotFoundError("no budget totals and no runs yet")
    return int(newest)


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
