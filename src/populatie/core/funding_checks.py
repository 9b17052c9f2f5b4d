"""Reconciliation rules that follow a contract's funding form: pure, integer cents.

The service hands in the contracts of each monthly total (as the core reconciliation resolved
them), the rows with detail grouped by everything a check reads (:class:`DetailTotal`: rows
alike in month total, segment, product, stage, unit, quantity and amount share a verdict), and
the rows of assignments that had a dropout (:class:`StageRow`). Out come the exceptions:

========================== ==================================================================
``tariff-mismatch``        an amount other than quantity × tariff of the booking year (× the
                           stage's share for a trajectory); both are shown
``product-not-contracted`` a product the contract does not cover, or, on a contract paid by
                           tariff, a product with no tariff for the year
``segment-not-contracted`` a row naming another segment than the contract buys
``instalment-off-schedule`` a task-based contract paid otherwise than its schedule in a month
``paid-after-dropout``     a completion payment on an assignment that had a dropout, or more
                           than the start share paid on it in all
========================== ==================================================================

A row without a quantity counts one unit (one trajectory, one month, one hour). A dropout row
itself is due nothing; what it pays is judged by ``paid-after-dropout``, not the tariff check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from populatie.core.funding import TARIFF_FORMS, expected_cents, stage_percent
from populatie.core.money import format_euro
from populatie.core.reconciliation import ContractTerms, MonthTotal, ReconciliationException

__all__ = ["DetailTotal", "StageRow", "funding_exceptions"]

#: Example rows kept per exception.
EVIDENCE = 5


@dataclass(frozen=True)
class DetailTotal:
    """Rows with detail that are alike in everything a check reads."""

    month_id: int  # the ``spending_month`` total they belong to
    segment: str  # "" = none given
    product_code: str
    stage: str
    unit: str
    quantity_hundredths: int | None
    amount_cents: int  # of each row
    rows: int
    first_spending_id: int


@dataclass(frozen=True)
class StageRow:
    """A row of an assignment that had a dropout."""

    spending_id: int
    month_id: int
    assignment_reference: str
    stage: str
    booked_on: date
    product_code: str
    quantity_hundredths: int | None
    amount_cents: int


@dataclass
class _Finding:
    amount_cents: int = 0
    rows: int = 0
    months: set[int] = field(default_factory=set)
    detail: str = ""
    facts: dict[str, object] = field(default_factory=dict)
    evidence: list[dict[str, object]] = field(default_factory=list)
    partnership: str | None = None


def _quantity_text(hundredths: int) -> str:
    whole, rest = divmod(hundredths, 100)
    return f"{whole}" if not rest else f"{whole}.{rest:02d}"


def funding_exceptions(
    year: int,
    to_month: int,
    totals: Mapping[int, MonthTotal],
    contract_of: Mapping[int, ContractTerms],
    owner: Callable[[MonthTotal], str | None],
    details: Sequence[DetailTotal] = (),
    dropped: Sequence[StageRow] = (),
) -> list[ReconciliationException]:
    """The findings of the funding forms for ``year`` up to ``to_month``.

    ``totals`` are the monthly totals by id, ``contract_of`` the contract each total is booked
    on (totals on no contract in force are absent), ``owner`` whose rows a total's are.
    ``dropped`` are all rows, of any year up to the period's end, of assignments with a dropout.
    """
    found: dict[tuple[str, str, str | None], _Finding] = {}

    def flag(kind: str, subject: str, t: MonthTotal) -> _Finding:
        key = (kind, subject, owner(t))
        if key not in found:
            found[key] = _Finding(partnership=owner(t))
        finding = found[key]
        finding.months.add(t.month)
        return finding

    def evidence(spending_id: int, **figures: object) -> dict[str, object]:
        return {"spending_id": spending_id, **figures}

    priced: dict[str, dict[str, tuple[str, int]]] = {}
    for d in details:
        t = totals.get(d.month_id)
        contract = contract_of.get(d.month_id)
        if t is None or contract is None or t.year != year or t.month > to_month:
            continue
        ref = contract.reference
        money = d.amount_cents * d.rows
        if d.segment and contract.segment and d.segment != contract.segment:
            f = flag("segment-not-contracted", f"contract {ref} · segment {d.segment}", t)
            f.amount_cents += money
            f.rows += d.rows
            f.detail = f"contract {ref} buys segment {contract.segment}, not {d.segment}"
            f.facts = {"contract": ref, "segment": d.segment, "contract_segment": contract.segment}
            if len(f.evidence) < EVIDENCE:
                f.evidence.append(evidence(d.first_spending_id, segment=d.segment))
        if not d.product_code:
            continue
        tariffs = priced.get(ref)
        if tariffs is None:
            tariffs = priced[ref] = {p: (u, c) for p, u, c in contract.tariffs}
        covered = not contract.product_codes or d.product_code in contract.product_codes
        has_tariff = d.product_code in tariffs or contract.funding_form not in TARIFF_FORMS
        if not covered or not has_tariff:
            f = flag("product-not-contracted", f"contract {ref} · product {d.product_code}", t)
            f.amount_cents += money
            f.rows += d.rows
            cause = "not-covered" if not covered else "no-tariff"
            f.detail = (
                f"contract {ref} covers {', '.join(sorted(contract.product_codes))}"
                if not covered
                else f"contract {ref} has no tariff for {d.product_code} in {year}"
            )
            f.facts = {
                "contract": ref,
                "product_code": d.product_code,
                "cause": cause,
                "contract_products": tuple(sorted(contract.product_codes)),
            }
            if len(f.evidence) < EVIDENCE:
                f.evidence.append(evidence(d.first_spending_id, product_code=d.product_code))
            continue
        if contract.funding_form not in TARIFF_FORMS or d.stage == "dropout":
            continue
        unit, tariff = tariffs[d.product_code]
        quantity = 100 if d.quantity_hundredths is None else d.quantity_hundredths
        percent = stage_percent(contract.funding_form, d.stage, contract.start_percent)
        expected = expected_cents(quantity, tariff, percent)
        if d.amount_cents == expected:
            continue
        f = flag("tariff-mismatch", f"contract {ref} · product {d.product_code}", t)
        f.amount_cents += (d.amount_cents - expected) * d.rows
        f.rows += d.rows
        share = f" × {percent} % ({d.stage})" if percent != 100 or d.stage else ""
        f.detail = (
            f"{format_euro(d.amount_cents)} booked where {_quantity_text(quantity)} {unit} × "
            f"{format_euro(tariff)}{share} is {format_euro(expected)}"
        )
        f.facts = f.facts or {
            "contract": ref,
            "product_code": d.product_code,
            "amount_cents": d.amount_cents,
            "expected_cents": expected,
            "quantity_hundredths": quantity,
            "unit": unit,
            "tariff_cents": tariff,
            "percent": percent,
        }
        if len(f.evidence) < EVIDENCE:
            f.evidence.append(
                evidence(
                    d.first_spending_id,
                    amount_cents=d.amount_cents,
                    expected_cents=expected,
                    quantity_hundredths=quantity,
                    tariff_cents=tariff,
                )
            )

    exceptions = [_exception(kind, subject, f, year) for (kind, subject, _), f in found.items()]
    exceptions += _schedule_exceptions(year, to_month, totals, contract_of, owner)
    exceptions += _dropout_exceptions(year, to_month, totals, contract_of, owner, dropped)
    return exceptions


def _exception(kind: str, subject: str, f: _Finding, year: int) -> ReconciliationException:
    months = ", ".join(f"{year}-{m:02d}" for m in sorted(f.months))
    return ReconciliationException(
        kind=kind,
        subject=subject,
        amount_cents=f.amount_cents,
        rows=f.rows,
        detail=f"{f.detail}; months {months}",
        partnership=f.partnership,
        evidence=tuple(f.evidence),
        facts={**f.facts, "year": year, "months": tuple(sorted(f.months))},
    )


def _schedule_exceptions(
    year: int,
    to_month: int,
    totals: Mapping[int, MonthTotal],
    contract_of: Mapping[int, ContractTerms],
    owner: Callable[[MonthTotal], str | None],
) -> list[ReconciliationException]:
    """Per task-based contract, the months to date paid otherwise than scheduled."""
    paid: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    last: dict[str, MonthTotal] = {}
    contracts: dict[str, ContractTerms] = {}
    for month_id, contract in contract_of.items():
        if contract.funding_form != "task-based":
            continue
        t = totals[month_id]
        if t.year != year or t.month > to_month:
            continue
        paid[contract.reference][t.month] += t.amount_cents
        contracts[contract.reference] = contract
        if contract.reference not in last or t.month >= last[contract.reference].month:
            last[contract.reference] = t
    found = []
    for ref, contract in sorted(contracts.items()):
        schedule = dict(contract.instalments)
        months = sorted({m for m in schedule if m <= to_month} | set(paid[ref]))
        off = [(m, schedule.get(m, 0), paid[ref].get(m, 0)) for m in months]
        off = [(m, due, got) for m, due, got in off if due != got]
        if not off:
            continue
        text = "; ".join(
            f"{year}-{m:02d} due {format_euro(due)}, paid {format_euro(got)}" for m, due, got in off
        )
        found.append(
            ReconciliationException(
                kind="instalment-off-schedule",
                subject=f"contract {ref}",
                amount_cents=sum(got - due for _, due, got in off),
                rows=0,
                detail=f"instalments of contract {ref} off schedule: {text}",
                partnership=owner(last[ref]),
                evidence=tuple(
                    {"month": f"{year}-{m:02d}", "due_cents": due, "paid_cents": got}
                    for m, due, got in off
                ),
                facts={
                    "contract": ref,
                    "year": year,
                    "off": tuple((m, due, got) for m, due, got in off),
                    "months": tuple(m for m, _, _ in off),
                },
            )
        )
    return found


def _dropout_exceptions(
    year: int,
    to_month: int,
    totals: Mapping[int, MonthTotal],
    contract_of: Mapping[int, ContractTerms],
    owner: Callable[[MonthTotal], str | None],
    dropped: Sequence[StageRow],
) -> list[ReconciliationException]:
    """Per assignment with a dropout: its completion payments, and what it was paid in all
    beyond the start share of quantity × tariff (flagged at the payment that passed it)."""
    rows_of: dict[str, list[StageRow]] = defaultdict(list)
    for r in dropped:
        rows_of[r.assignment_reference].append(r)
    found = []
    for assignment, rows in sorted(rows_of.items()):
        rows.sort(key=lambda r: (r.booked_on, r.spending_id))
        dropout = next((r for r in rows if r.stage == "dropout"), None)
        if dropout is None:
            continue
        in_period = [
            r
            for r in rows
            if r.month_id in totals
            and totals[r.month_id].year == year
            and totals[r.month_id].month <= to_month
        ]
        contract = next(
            (contract_of[r.month_id] for r in in_period if r.month_id in contract_of), None
        )
        completions = [r for r in in_period if r.stage == "completion"]
        excess = 0
        allowed = None
        if contract is not None and contract.funding_form == "output-based-trajectory":
            tariffs = {p: c for p, _, c in contract.tariffs}
            start = next((r for r in rows if r.stage == "start"), None)
            if start is not None and start.product_code in tariffs:
                quantity = start.quantity_hundredths or 100
                allowed = expected_cents(
                    quantity,
                    tariffs[start.product_code],
                    stage_percent(contract.funding_form, "start", contract.start_percent),
                )
                total = sum(r.amount_cents for r in rows)
                excess = max(0, total - allowed)
        flagged = completions or ([dropout] if excess and dropout in in_period else [])
        if not flagged:
            continue
        t = totals[flagged[0].month_id]
        amount = sum(r.amount_cents for r in completions) if completions else excess
        detail = f"assignment {assignment} dropped out on {dropout.booked_on}; " + (
            f"{len(completions)} completion payment(s) of "
            f"{format_euro(sum(r.amount_cents for r in completions))} after it"
            if completions
            else f"paid {format_euro(allowed + excess if allowed is not None else excess)} "
            f"in all, beyond the start share of {format_euro(allowed or 0)}"
        )
        found.append(
            ReconciliationException(
                kind="paid-after-dropout",
                subject=f"assignment {assignment}",
                amount_cents=amount,
                rows=len(flagged),
                detail=detail,
                partnership=owner(t),
                evidence=tuple(
                    {
                        "spending_id": r.spending_id,
                        "stage": r.stage,
                        "booked_on": r.booked_on.isoformat(),
                        "amount_cents": r.amount_cents,
                    }
                    for r in rows[:EVIDENCE]
                ),
                facts={
                    "assignment": assignment,
                    "dropout_on": dropout.booked_on,
                    "completion_cents": sum(r.amount_cents for r in completions),
                    "completions": len(completions),
                    "allowed_cents": allowed,
                    "excess_cents": excess,
                    "contract": contract.reference if contract is not None else None,
                    "year": year,
                    "months": tuple(sorted({totals[r.month_id].month for r in flagged})),
                },
            )
        )
    return found
