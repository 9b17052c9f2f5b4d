"""Gather a contract's go/no-go dossier from what the product already reads.

Spending against the ceiling is the reconciliation's (:func:`populatie.api.spending.
reconciliation`, scoped like the reconciliation route), year by year from the contract's start
up to the milestone's year; the KPIs are the views' (:func:`populatie.kpis.views.overview`, so
a consortium gets them with small counts withheld, exactly as on ``/api/kpis``); the exceptions
are the reconciliation's findings about this contract and its lot.

A contract carries no segment in this product: the dossier shows the KPIs of every segment of
the contract's partnership, and says so (``segment_basis``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from populatie.api.spending import get_contract_in_scope, reconciliation
from populatie.configuration import RegionConfig
from populatie.contracts.milestones import Milestone
from populatie.contracts.service import ContractView, list_contracts
from populatie.core.reconciliation import (
    EXCEPTION_KINDS,
    Reconciliation,
    ReconciliationException,
    line_status,
)
from populatie.dossiers import schemas
from populatie.errors import NotFoundError
from populatie.kpis import views
from populatie.kpis.register import Register

__all__ = ["SEGMENT_BASIS", "contract_dossier", "default_milestone"]

SEGMENT_BASIS = (
    "contracts carry no segment: the KPIs of every segment of the contract's partnership"
)


def default_milestone(milestones: Sequence[Milestone], today: date) -> Milestone:
    """The first go/no-go moment not yet past, else the last one: the decision ahead."""
    decisions = [m for m in milestones if m.kind == "go-no-go"] or list(milestones)
    if not decisions:
        raise NotFoundError("this contract has no milestone")
    ahead = [m for m in decisions if m.year >= today.year]
    return ahead[0] if ahead else decisions[-1]


def _view(session: Session, reference: str) -> ContractView:
    for view in list_contracts(session):
        if view.reference == reference:
            return view
    raise NotFoundError(f"contract {reference} not found")


def contract_dossier(
    session: Session,
    reference: str,
    milestone_year: int | None,
    scope: str | None,
    register: Register,
    config: RegionConfig | None = None,
    today: date | None = None,
) -> schemas.Dossier:
    """The dossier of ``reference`` for the milestone of ``milestone_year`` (default: the next
    go/no-go moment). A consortium gets its own contracts only; another's is not found."""
    get_contract_in_scope(session, reference, scope)  # 404 for what the caller may not see
    contract = _view(session, reference)
    milestones = contract.milestones
    if milestone_year is None:
        milestone = default_milestone(milestones, today or date.today())
    else:
        chosen = [m for m in milestones if m.year == milestone_year]
        if not chosen:
            known = ", ".join(str(m.year) for m in milestones) or "none"
            raise NotFoundError(
                f"contract {reference} has no milestone in {milestone_year} (its milestones: "
                f"{known})"
            )
        milestone = chosen[0]
    first = contract.starts_on.year
    last = min(milestone.year, contract.ends_on.year)
    years: list[schemas.DossierYear] = []
    exceptions: list[schemas.DossierException] = []
    for year in range(first, last + 1):
        result = reconciliation(session, year, None, scope, config)
        years.append(_year(contract, result))
        exceptions += [
            _exception(year, e, detailed=scope is None)
            for e in result.exceptions
            if _about(contract, e)
        ]
    kpis = _kpis(session, register, scope, contract.partnership, milestone.year)
    return schemas.Dossier(
        contract=schemas.DossierContract(
            reference=contract.reference,
            lot=contract.lot,
            municipality=contract.municipality,
            area=contract.area,
            partnership=contract.partnership,
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            extendable_to=contract.extendable_to,
            funding_form=contract.funding_form,
        ),
        milestone=schemas.DossierMilestone(
            kind=milestone.kind,
            year=milestone.year,
            name_nl=milestone.name_nl,
            description=milestone.description_en,
            description_nl=milestone.description_nl,
            source=milestone.source,
        ),
        milestone_years=[m.year for m in milestones],
        segments=sorted({k.segment for k in kpis}),
        segment_basis=SEGMENT_BASIS,
        years=years,
        kpis=kpis,
        exceptions=exceptions,
        summary=schemas.DossierSummary(
            years_over_ceiling=sum(y.status == "over ceiling" for y in years),
            years_forecast_over_ceiling=sum(y.status == "forecast over ceiling" for y in years),
            kpis_outside_norm=sum(k.outside_norm is True for k in kpis),
            kpis_with_signal=sum(k.signals > 0 for k in kpis),
            open_exceptions=len(exceptions),
        ),
        suppressed_below=views.SUPPRESS_BELOW if scope is not None else None,
    )


def _year(contract: ContractView, result: Reconciliation) -> schemas.DossierYear:
    """The contract's total lines of one year (one per holder, a consortium only its own)."""
    totals = [
        line
        for line in result.lines
        if line.contract == contract.reference and line.domain == "total"
    ]
    spent = sum(line.spent_cents for line in totals)
    forecast = sum(line.forecast_cents for line in totals)
    allocations = [line.allocated_cents for line in totals if line.allocated_cents is not None]
    ceiling = contract.ceiling_for(result.year)
    if not totals or not spent:
        status = "no spending"
    else:
        status = line_status(spent, forecast, sum(allocations) if allocations else None, ceiling)
    return schemas.DossierYear(
        year=result.year,
        to=f"{result.year}-{result.to_month:02d}",
        ceiling_cents=ceiling,
        spent_cents=spent,
        forecast_cents=forecast,
        remaining_cents=None if ceiling is None else ceiling - spent,
        status=status,
    )


def _about(contract: ContractView, exc: ReconciliationException) -> bool:
    """A finding about this contract, its lot, or its invoices."""
    subject = exc.subject
    if subject == f"contract {contract.reference}" or subject.startswith(
        f"contract {contract.reference} "
    ):
        return True
    if subject == f"lot {contract.lot}" or subject.startswith(f"lot {contract.lot} "):
        return True
    return exc.facts.get("reference") in (contract.reference, contract.lot)


def _exception(
    year: int, exc: ReconciliationException, *, detailed: bool
) -> schemas.DossierException:
    """A consortium gets the finding without its detail, as on its own page: a detail may
    name where a row landed outside the lot, in another partnership's area."""
    from populatie.web.exception_text import dutch_detail, dutch_subject

    if not detailed:
        return schemas.DossierException(
            year=year,
            kind=exc.kind,
            description=EXCEPTION_KINDS[exc.kind],
            subject=exc.subject,
            subject_nl=dutch_subject(exc),
            amount_cents=exc.amount_cents,
            rows=exc.rows,
            detail="",
            detail_nl="",
        )

    return schemas.DossierException(
        year=year,
        kind=exc.kind,
        description=EXCEPTION_KINDS[exc.kind],
        subject=exc.subject,
        subject_nl=dutch_subject(exc),
        amount_cents=exc.amount_cents,
        rows=exc.rows,
        detail=exc.detail,
        detail_nl=dutch_detail(exc)[0],
    )


def _kpis(
    session: Session, register: Register, scope: str | None, partnership: str, year: int
) -> list[schemas.DossierKpi]:
    """Per KPI series of the partnership, the newest period up to ``year``."""
    overview = views.overview(session, register, scope, partnership=partnership)
    found = []
    for series in overview.series:
        if series.partnership != partnership:
            continue
        points = [p for p in series.points if int(p.period[:4]) <= year]
        if not points:
            continue
        last = points[-1]
        signals = [s for s in series.signals if int(s.periods[-1][:4]) <= year]
        found.append(
            schemas.DossierKpi(
                segment=series.segment,
                kpi=series.kpi,
                name_nl=series.name_nl,
                unit=series.unit,
                direction=series.direction,
                category=series.category,
                period=last.period,
                value=last.value,
                suppressed=last.suppressed,
                norm=last.norm,
                norm_illustrative=last.norm_illustrative,
                outside_norm=last.outside_norm,
                signals=len(signals),
            )
        )
    return sorted(found, key=lambda k: (k.segment, k.kpi, k.category))
