"""The grouped detail a funding-form check could find fault with, picked by the database.

A year of bookings on contracts paid by tariff holds a detail group for nearly every row (the
quantities and amounts vary), and nearly all of them are right. Handing every group to
:func:`populatie.core.funding_checks.funding_exceptions` costs more than the whole year's
``GROUP BY`` of the rows; so the database is told, per contract, what would make a group a
finding — another segment, a product not covered or without tariff, an amount other than
quantity × tariff × the stage's share — and returns only those groups. The core then judges
them as it judges every group: the filter only leaves out groups it would pass.

The expected amount in SQL is the core's rounding in integers: quantity × tariff × percent is
at least zero, so half away from zero is ``(2 × product + 10,000) div 20,000``. A quantity large
enough to overflow 64 bits in that product is always handed over, for the core to judge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, func, literal, or_, select, true
from sqlmodel import Session, col

from populatie.core.funding import TARIFF_FORMS, stage_percent
from populatie.core.funding_checks import DetailTotal
from populatie.core.reconciliation import ContractTerms, MonthTotal
from populatie.spending.detail import STAGES
from populatie.spending.models import SpendingDetailMonth, SpendingMonth

__all__ = ["suspect_details"]

_LIMIT = 2**62  # below the 64-bit limit with room for the rounding terms


def suspect_details(
    session: Session,
    year: int,
    to_month: int,
    totals: Mapping[int, MonthTotal],
    contract_of: Mapping[int, ContractTerms],
) -> list[DetailTotal]:
    """The detail groups of the year's totals (summed over the files that hold them) that a
    funding-form check may flag, in the order of their grouping key."""
    d = SpendingDetailMonth
    m = SpendingMonth
    # The totals of each contract, as (reference, month) pairs: a total's contract depends on
    # nothing else, so the pairs name the same totals as their ids, in a few terms.
    months_of: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    terms: dict[str, ContractTerms] = {}
    for month_id, contract in contract_of.items():
        t = totals[month_id]
        months_of[contract.reference][t.reference].add(t.month)
        terms[contract.reference] = contract
    wanted = []
    for ref, contract in sorted(terms.items()):
        suspect = _suspect(contract)
        if suspect is None:
            continue
        where = or_(
            *(
                and_(col(m.reference) == reference, col(m.month).in_(sorted(months)))
                for reference, months in sorted(months_of[ref].items())
            )
        )
        wanted.append(and_(where, suspect))
    if not wanted:
        return []
    keys: list[Any] = [
        col(d.month_id),
        col(d.segment),
        col(d.product_code),
        col(d.stage),
        col(d.unit),
        col(d.quantity_hundredths),
        col(d.amount_cents),
    ]
    rows = session.connection().execute(
        select(*keys, func.sum(d.rows), func.min(d.first_spending_id))
        .join(m, col(m.id) == col(d.month_id))
        .where(col(m.year) == year, col(m.month) <= to_month, or_(*wanted))
        .group_by(*keys)
        .order_by(*keys[:5], col(d.quantity_hundredths).asc().nulls_first(), keys[6])
    )
    return [
        DetailTotal(
            month_id=int(r[0]),
            segment=r[1],
            product_code=r[2],
            stage=r[3],
            unit=r[4],
            quantity_hundredths=None if r[5] is None else int(r[5]),
            amount_cents=int(r[6]),
            rows=int(r[7]),
            first_spending_id=int(r[8]),
        )
        for r in rows
    ]


def _suspect(contract: ContractTerms) -> ColumnElement[bool] | None:
    """What makes a detail group of ``contract`` a possible finding; None: nothing can."""
    d = SpendingDetailMonth
    product = col(d.product_code)
    conditions: list[ColumnElement[bool]] = []
    if contract.segment:
        conditions.append(and_(col(d.segment) != "", col(d.segment) != contract.segment))
    if contract.product_codes:
        conditions.append(and_(product != "", product.not_in(sorted(contract.product_codes))))
    if contract.funding_form in TARIFF_FORMS:
        tariffs = {p: cents for p, _, cents in contract.tariffs}
        conditions.append(
            and_(product != "", product.not_in(sorted(tariffs))) if tariffs else product != ""
        )
        for code, tariff in sorted(tariffs.items()):
            conditions.append(and_(product == code, _off_tariff(contract, tariff)))
    return or_(*conditions) if conditions else None


def _off_tariff(contract: ContractTerms, tariff: int) -> ColumnElement[bool]:
    """Rows of one product whose amount is not quantity × tariff × their stage's share (a
    dropout row is due nothing and judged elsewhere)."""
    d = SpendingDetailMonth
    stage = col(d.stage)
    if contract.funding_form != "output-based-trajectory":
        return and_(stage != "dropout", _amount_off(tariff * 100))
    shares = [
        and_(
            stage == s,
            _amount_off(tariff * stage_percent(contract.funding_form, s, contract.start_percent)),
        )
        for s in ("", *STAGES)
        if s != "dropout"
    ]
    return or_(stage.not_in(["", *STAGES]), *shares)


def _amount_off(factor: int) -> ColumnElement[bool]:
    """amount ≠ quantity × ``factor`` / 10,000, rounded half up (a row without a quantity
    counts one unit); a factor the integers cannot hold hands every row over."""
    d = SpendingDetailMonth
    if factor < 0:
        return true()
    quantity = func.coalesce(col(d.quantity_hundredths), 100)
    expected = (quantity * literal(2 * factor, BigInteger) + 10_000) // 20_000
    ceiling = (_LIMIT - 10_000) // max(2 * factor, 1)
    return or_(quantity > ceiling, col(d.amount_cents) != expected)
