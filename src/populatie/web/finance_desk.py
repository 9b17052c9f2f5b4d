"""What finance does on its page besides reading it: the charts of spend against ceilings and
of the monthly trend per domain, the exceptions with their marks, the choices of the contract
forms, and the result of a spending upload.

The reconciliation is computed once per page (:func:`populatie.web.service.finance_page` takes
it) and everything here reads from it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import func, select
from sqlmodel import Session, col

from populatie.contracts.service import list_contracts, lot_reference
from populatie.core.reconciliation import Reconciliation
from populatie.registry.models import Lot, Partnership
from populatie.spending.models import SpendingMonth
from populatie.web.contract_form import FUNDING_LABELS
from populatie.web.finance_charts import CeilingBar, ceiling_chart, domain_trend_chart
from populatie.web.finance_exceptions import ExceptionFilter, ExceptionList, exception_list
from populatie.web.formatting import DOMAIN_LABELS, MONTHS, euro
from populatie.web.import_reasons_nl import DutchReason

__all__ = ["ContractChoices", "FinanceDesk", "UploadError", "contract_choices", "finance_desk"]

DOMAINS = ("prevention", "access", "specialist")


@dataclass(frozen=True)
class UploadError:
    line: str
    column: str
    value: str
    reason: DutchReason  # the import's reasons are English; the page's Dutch


@dataclass(frozen=True)
class CeilingRow:
    contract: str
    lot: str
    spent: str
    forecast: str
    ceiling: str
    over: bool


@dataclass(frozen=True)
class TrendRow:
    month: str
    amounts: list[str]


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class FinanceDesk:
    exceptions: ExceptionList
    ceiling_svg: Markup | None
    ceiling_rows: list[CeilingRow]
    trend_svg: Markup | None
    trend_domains: list[str]
    trend_rows: list[TrendRow]
    choices: ContractChoices


@dataclass(frozen=True)
class ContractChoices:
    """What the contract forms offer to choose from."""

    lots: list[Option]
    partnerships: list[Option]
    funding_forms: list[Option]
    contracts: list[Option]


def monthly_by_domain(session: Session, year: int, to_month: int) -> dict[str, list[int]]:
    """All spending of ``year`` per domain and month (1..12), up to ``to_month``."""
    out: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    for domain in DOMAINS:
        out[domain] = [0] * 12
    rows = session.execute(
        select(
            col(SpendingMonth.domain),
            col(SpendingMonth.month),
            func.sum(SpendingMonth.amount_cents),
        )
        .where(col(SpendingMonth.year) == year, col(SpendingMonth.month) <= to_month)
        .group_by(col(SpendingMonth.domain), col(SpendingMonth.month))
    )
    for domain, month, cents in rows:
        out[str(domain)][int(month) - 1] += int(cents)
    return dict(out)


def _ceilings(result: Reconciliation) -> tuple[Markup | None, list[CeilingRow]]:
    lines = [line for line in result.lines if line.domain == "total" and line.contract is not None]
    lines.sort(key=lambda line: (line.lot or "", line.contract or ""))
    if not lines:
        return None, []
    bars = [
        CeilingBar(
            label=line.contract or "",
            spent_cents=line.spent_cents,
            forecast_cents=line.forecast_cents,
            ceiling_cents=line.ceiling_cents,
        )
        for line in lines
    ]
    month = MONTHS[result.to_month - 1]
    svg = ceiling_chart(
        bars,
        prefix="plafonds",
        title=f"Besteed tegen plafond per contract, {result.year}",
        description=f"Per contract de uitgaven tot en met {month} (donker), de prognose voor "
        "het jaar (licht) en het plafond (zwarte streep). De tabel eronder geeft dezelfde "
        "bedragen.",
    )
    rows = [
        CeilingRow(
            contract=line.contract or "",
            lot=line.lot or "—",
            spent=euro(line.spent_cents),
            forecast=euro(line.forecast_cents),
            ceiling=euro(line.ceiling_cents),
            over=line.ceiling_cents is not None and line.spent_cents > line.ceiling_cents,
        )
        for line in lines
    ]
    return svg, rows


def _trend(session: Session, result: Reconciliation) -> tuple[Markup | None, list[TrendRow]]:
    monthly = monthly_by_domain(session, result.year, result.to_month)
    if not any(any(series) for series in monthly.values()):
        return None, []
    svg = domain_trend_chart(
        monthly,
        result.to_month,
        prefix="trend",
        title=f"Uitgaven per maand per domein, {result.year}",
        description="Per maand de uitgaven in elk domein: preventie doorgetrokken met "
        "rondjes, toegang gestreept met vierkantjes, specialistisch gestippeld met driehoekjes. "
        "De tabel eronder geeft dezelfde bedragen.",
    )
    rows = [
        TrendRow(month=MONTHS[m], amounts=[euro(monthly[d][m]) for d in DOMAINS])
        for m in range(result.to_month)
    ]
    return svg, rows


def contract_choices(session: Session) -> ContractChoices:
    lots = session.execute(select(Lot).order_by(col(Lot.municipality_code), col(Lot.number)))
    return ContractChoices(
        lots=[
            Option(lot_reference(lot), f"{lot_reference(lot)} ({lot.area_code})")
            for lot in lots.scalars()
        ],
        partnerships=[
            Option(str(name), str(name))
            for name in session.execute(
                select(col(Partnership.name)).order_by(col(Partnership.name))
            ).scalars()
        ],
        funding_forms=[Option(k, v) for k, v in FUNDING_LABELS.items()],
        contracts=[
            Option(v.reference, f"{v.reference} (perceel {v.lot}, versie {v.version})")
            for v in list_contracts(session)
        ],
    )


def finance_desk(session: Session, result: Reconciliation, chosen: ExceptionFilter) -> FinanceDesk:
    ceiling_svg, ceiling_rows = _ceilings(result)
    trend_svg, trend_rows = _trend(session, result)
    return FinanceDesk(
        exceptions=exception_list(session, result, chosen),
        ceiling_svg=ceiling_svg,
        ceiling_rows=ceiling_rows,
        trend_svg=trend_svg,
        trend_domains=[DOMAIN_LABELS.get(d, d) for d in DOMAINS],
        trend_rows=trend_rows,
        choices=contract_choices(session),
    )
