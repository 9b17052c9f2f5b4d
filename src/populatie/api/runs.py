"""Allocation runs over HTTP: scenarios from a request body, summaries, comparison, adoption.

The computation and storage are :mod:`populatie.allocations.service`; this module turns a
validated :class:`~populatie.api.schemas.Scenario` into a configuration, records every write in
the audit log within the same transaction, and shapes runs into public schemas.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, cast

import msgspec
from litestar.exceptions import ValidationException
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.allocations import service
from populatie.allocations.models import AllocationRun
from populatie.api import schemas
from populatie.api.pagination import Window
from populatie.auth.audit import record_event
from populatie.auth.tokens import Principal
from populatie.configuration import DOMAINS, RegionConfig, load_config
from populatie.errors import ConfigurationError, NotFoundError
from populatie.proposals import service as proposals

Status = Literal["draft", "adopted", "superseded"]


def scenario_config(
    base: RegionConfig, scenario: schemas.Scenario | None, year: int | None = None
) -> RegionConfig:
    """``base`` with the scenario's rates, base amounts, damping and (for ``year``) budget
    totals laid over it."""
    if scenario is None:
        return base
    data: dict[str, Any] = base.model_dump()
    models: dict[str, dict[str, Any]] = data["models"]
    problems: list[dict[str, object]] = []
    for model_name, per_domain in scenario.rates.items():
        if model_name not in models:
            problems.append(
                {
                    "field": f"scenario.rates.{model_name}",
                    "reason": f"unknown model; configured models: {', '.join(sorted(models))}",
                }
            )
            continue
        for domain, rates in per_domain.items():
            models[model_name]["rates"].setdefault(domain, {}).update(rates)
    if problems:
        raise ConfigurationError(
            "invalid scenario: " + "; ".join(f"{p['field']}: {p['reason']}" for p in problems),
            details=problems,
        )
    for domain, cents in scenario.base_cents.items():
        data["base_euro"][domain] = Decimal(cents) / 100
    if scenario.damping is not None:
        data["damping"] = {
            "max_change_pct": scenario.damping.max_change_pct,
            "max_change_per_young_eur": scenario.damping.max_change_per_young_eur,
        }
    if scenario.budget_totals and year is not None:
        data["scenario_budgets_euro"] = {
            year: {
                code: {
                    "prevention": Decimal(t.prevention_cents) / 100,
                    "access": Decimal(t.access_cents) / 100,
                    "specialist": Decimal(t.specialist_cents) / 100,
                }
                for code, t in scenario.budget_totals.items()
            }
        }
    data["scenario"] = scenario.name
    try:
        return RegionConfig.model_validate(data)
    except ValidationError as exc:
        found = [
            {"field": "scenario." + ".".join(str(p) for p in err["loc"]), "reason": err["msg"]}
            for err in exc.errors()
        ]
        raise ConfigurationError(
            "invalid scenario: " + "; ".join(f"{p['field']}: {p['reason']}" for p in found),
            details=cast(list[dict[str, object]], found),
        ) from None


def run_json(session: Session, run_id: str) -> schemas.Run:
    """The stable run JSON of :meth:`RunReport.as_json`, typed for the OpenAPI document."""
    return msgspec.convert(service.run_report(session, run_id).as_json(), schemas.Run)


def _summary(session: Session, run: AllocationRun) -> schemas.RunSummary:
    standing = service.run_standing(session, run)
    return schemas.RunSummary(
        run_id=run.id,
        year=run.year,
        status=cast(Status, standing.status),
        scenario=run.scenario,
        municipalities=list(run.municipalities),
        adopted_for=list(standing.adopted_for),
        superseded_for=list(standing.superseded_for),
        created_at=run.created_at,
        created_by=run.created_by,
        adopted_at=run.adopted_at,
    )


def list_runs(session: Session, window: Window, year: int | None = None) -> schemas.RunSummaryPage:
    query = select(AllocationRun)
    count = select(func.count()).select_from(AllocationRun)
    if year is not None:
        query = query.where(col(AllocationRun.year) == year)
        count = count.where(col(AllocationRun.year) == year)
    rows = session.execute(
        query.order_by(col(AllocationRun.created_at).desc(), col(AllocationRun.id))
        .limit(window.limit)
        .offset(window.offset)
    ).scalars()
    return schemas.RunSummaryPage(
        items=[_summary(session, run) for run in rows],
        total=int(session.execute(count).scalar_one()),
    )


def get_summary(session: Session, run_id: str) -> schemas.RunSummary:
    run = session.get(AllocationRun, run_id)
    if run is None:
        raise NotFoundError(f"allocation run {run_id} does not exist")
    return _summary(session, run)


def compare_runs(session: Session, base_id: str, other_id: str) -> schemas.RunComparison:
    """Per area, the amounts of two runs and the change from ``base_id`` to ``other_id``."""
    base = service.run_report(session, base_id)
    other = service.run_report(session, other_id)
    base_areas = {a.code: a for a in base.areas}
    other_areas = {a.code: a for a in other.areas}
    codes = sorted(set(base_areas) | set(other_areas))
    areas: list[schemas.AreaComparison] = []
    for code in codes:
        a = base_areas.get(code)
        b = other_areas.get(code)
        first = a or b
        assert first is not None
        change = {d: b.domains[d] - a.domains[d] for d in DOMAINS} if a is not None and b else None
        areas.append(
            schemas.AreaComparison(
                code=code,
                name=first.name,
                municipality=first.municipality,
                partnership=first.partnership,
                base_cents=dict(a.domains) if a else None,
                other_cents=dict(b.domains) if b else None,
                change_cents=change,
                total_change_cents=None if change is None else sum(change.values()),
            )
        )
    return schemas.RunComparison(
        base_run_id=base.run_id,
        other_run_id=other.run_id,
        base_year=base.year,
        other_year=other.year,
        areas=areas,
    )


def create_run(
    session: Session, config_dir: Path, body: schemas.RunCreate, principal: Principal
) -> schemas.Run:
    """Compute and store a draft run with the body's scenario; audited in the same unit."""
    if twice := service.repeated(body.municipalities or []):
        raise ValidationException(
            "invalid request body",
            extra=[
                {
                    "key": "municipalities",
                    "source": "body",
                    "message": f"{', '.join(twice)} named more than once; name each once",
                }
            ],
        )
    config = scenario_config(load_config(config_dir), body.scenario, body.year)
    totals = body.scenario.budget_totals if body.scenario else {}
    if outside := sorted(set(totals) - set(body.municipalities or config.municipality_codes())):
        raise ConfigurationError(
            f"scenario.budget_totals: {', '.join(outside)} is no municipality this run allocates",
            details=[{"field": "scenario.budget_totals", "value": code} for code in outside],
        )
    run = service.create_run(session, config, body.year, body.municipalities, principal.actor)
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
            "scenario": msgspec.to_builtins(body.scenario) if body.scenario else None,
        },
    )
    return run_json(session, run.id)


def adopt_run(session: Session, run_id: str, principal: Principal) -> schemas.RunSummary:
    """Adopt ``run_id`` by approving its proposal: over HTTP nothing is adopted without a
    second person (:mod:`populatie.proposals.service`); audited in the same unit."""
    proposals.approve(session, run_id, proposals.Actor.of(principal))
    return get_summary(session, run_id)
