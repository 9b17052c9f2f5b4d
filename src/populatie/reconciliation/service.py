"""Reconciliation over a session: gather the inputs in SQL, apply the rules of the core.

What is read is small whatever the volume of spending: the registry, the contracts, the adopted
amounts and the monthly totals of one year (``spending_month``, kept up to date by every
import); rows of ``spending`` are only touched by primary key (one example row per total shown
as evidence) or, for a contract that starts or ends inside a month, by the id range of that
month. The rules themselves live in :mod:`populatie.core.reconciliation`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, RunArea
from populatie.configuration import DOMAINS, RegionConfig
from populatie.contracts.models import Contract, ContractCeiling, ContractInstalment
from populatie.contracts.service import contract_holdings, lot_reference
from populatie.contracts.tariffs import contract_tariffs
from populatie.core.exception_identity import exception_key
from populatie.core.funding import instalment_schedule
from populatie.core.funding_checks import StageRow, funding_exceptions
from populatie.core.reconciliation import (
    EXCEPTION_KINDS,
    AreaTerms,
    ContractTerms,
    CoverageProblem,
    DuplicateInvoice,
    LotTerms,
    MemberPeriod,
    MonthTotal,
    OwnerPeriod,
    Reconciliation,
    ReconciliationException,
    Takeover,
    boundary_months,
    ceiling_for_year,
    contracts_of_totals,
    district_coverage,
    exception_order,
    last_months,
    months_in_force,
    owner_on,
    partial_memberships,
    reconcile,
    reference_owners,
)
from populatie.districts.models import District
from populatie.errors import DataError
from populatie.providers.service import memberships_by_partnership
from populatie.reconciliation.cycles import without_cycle_collection
from populatie.reconciliation.detail_reads import suspect_details
from populatie.registry.models import Area, AreaDistrict, Lot, Partnership
from populatie.spending.models import (
    Spending,
    SpendingDuplicate,
    SpendingImport,
    SpendingImportMonth,
    SpendingMonth,
    SpendingStage,
)

__all__ = ["EVIDENCE_ROWS", "reconcile_year", "report_json", "spending_owners"]

#: Example rows shown per exception (each from another monthly total, largest first).
EVIDENCE_ROWS = 5


def reconcile_year(
    session: Session,
    year: int,
    to_month: int | None = None,
    config: RegionConfig | None = None,
    partnership: str | None = None,
) -> Reconciliation:
    """Reconcile ``year`` up to and including ``to_month`` (default: the last month with
    spending in that year, December when there is none; with ``partnership``, the last month
    with spending on that partnership's own lines, so another's later bookings do not make
    its months look empty).

    With ``config``, the district coverage check reads the areas as configured (which may hold
    a gap or an overlap the registry tables cannot); without it, the registry tables.
    """
    with without_cycle_collection():
        return _reconcile_year(session, year, to_month, config, partnership)


def _reconcile_year(
    session: Session,
    year: int,
    to_month: int | None,
    config: RegionConfig | None,
    partnership: str | None,
) -> Reconciliation:
    if not 2000 <= year <= 2099:
        raise DataError(f"year {year} is not a budget year")
    if to_month is None and partnership is None:
        last = session.execute(
            select(func.max(SpendingMonth.month)).where(col(SpendingMonth.year) == year)
        ).scalar_one()
        to_month = int(last) if last is not None else 12
    if to_month is not None and not 1 <= to_month <= 12:
        raise DataError(f"--to month {to_month} is not a month")
    areas = [
        AreaTerms(code=a.code, municipality=a.municipality_code, partnership=a.partnership_name)
        for a in session.execute(select(Area).order_by(col(Area.code))).scalars()
    ]
    if not areas:
        raise DataError("no areas of record: run `populatie load` first")
    area_of_district = {
        str(d): str(a)
        for d, a in session.execute(
            select(col(AreaDistrict.district_code), col(AreaDistrict.area_code))
        )
    }
    lots, contracts = _contract_terms(session, year)
    allocated, allocated_in = _allocated(session, year)
    totals = _month_totals(session, year, to_month or 12)
    if to_month is None:
        own = last_months(year, totals, contracts, lots, areas, area_of_district)
        to_month = own.get(partnership or "", 12)
        totals = [t for t in totals if t.month <= to_month]
    outside, outside_evidence = _outside_period(session, year, contracts, lots, totals)
    not_member, not_member_evidence = _not_member(session, year, contracts, lots, totals)
    result = reconcile(
        year,
        to_month,
        totals,
        contracts,
        lots,
        areas,
        area_of_district,
        allocated,
        allocated_in,
        DOMAINS,
        duplicates=_duplicates(session, year, to_month),
        coverage=_coverage(session, config),
        outside_period=outside,
        not_member=not_member,
    )
    result = _with_funding_checks(session, result, year, to_month, totals, contracts, lots)
    return _with_evidence(
        session,
        result,
        totals,
        {"outside-contract-period": outside_evidence, "provider-not-member": not_member_evidence},
    )


def _with_funding_checks(
    session: Session,
    result: Reconciliation,
    year: int,
    to_month: int,
    totals: Sequence[MonthTotal],
    contracts: Sequence[ContractTerms],
    lots: Sequence[LotTerms],
) -> Reconciliation:
    """Add the findings of the funding forms (:mod:`populatie.core.funding_checks`): read from
    the grouped detail of the year's totals that a check may flag and the rows of dropped-out
    assignments, never by a scan of the spending rows."""
    by_id = {t.id: t for t in totals if t.month <= to_month}
    contract_of = contracts_of_totals(year, list(by_id.values()), contracts, lots)
    details = suspect_details(session, year, to_month, by_id, contract_of)
    dropped = _dropped(session, year, to_month)
    if not details and not dropped and all(c.funding_form != "task-based" for c in contracts):
        return result  # nothing a funding form could say: no suspect detail, no schedule
    owners = reference_owners(contracts, lots)

    def owner(t: MonthTotal) -> str | None:
        return owner_on(owners, t.reference, date(t.year, t.month, 1))

    found = funding_exceptions(
        year, to_month, by_id, contract_of, owner, details=details, dropped=dropped
    )
    if not found:
        return result
    found = _with_rows(session, found)
    exceptions = sorted([*result.exceptions, *found], key=exception_order)
    return replace(result, exceptions=exceptions)


def _dropped(session: Session, year: int, to_month: int) -> list[StageRow]:
    """Every row, up to the period's end, of the assignments that had a dropout by then (an
    index lookup on the assignment reference)."""
    end = date(year + 1, 1, 1) if to_month == 12 else date(year, to_month + 1, 1)
    st = SpendingStage
    dropouts = (
        select(col(st.assignment_reference))
        .where(col(st.stage) == "dropout", col(st.booked_on) < end)
        .scalar_subquery()
    )
    # Plain columns, not entities: thousands of rows, and an entity costs ten times a tuple.
    rows = session.connection().execute(
        select(
            col(st.spending_id),
            col(st.month_id),
            col(st.assignment_reference),
            col(st.stage),
            col(st.booked_on),
            col(st.product_code),
            col(st.quantity_hundredths),
            col(st.amount_cents),
        ).where(col(st.assignment_reference).in_(dropouts), col(st.booked_on) < end)
    )
    return [
        StageRow(
            spending_id=int(spending_id),
            month_id=int(month_id),
            assignment_reference=reference,
            stage=stage,
            booked_on=booked_on,
            product_code=product,
            quantity_hundredths=None if quantity is None else int(quantity),
            amount_cents=int(amount),
        )
        for spending_id, month_id, reference, stage, booked_on, product, quantity, amount in rows
    ]


def _with_rows(
    session: Session, found: Sequence[ReconciliationException]
) -> list[ReconciliationException]:
    """The evidence rows of the funding findings, with the file, line and invoice they are."""
    ids = sorted(
        {int(str(e["spending_id"])) for exc in found for e in exc.evidence if "spending_id" in e}
    )
    where: dict[int, dict[str, object]] = {}
    for start in range(0, len(ids), 500):
        for spending_id, file_name, line, invoice, booked_on, amount in session.execute(
            select(
                col(Spending.id),
                col(SpendingImport.file_name),
                col(Spending.line),
                col(Spending.invoice_reference),
                col(Spending.booked_on),
                col(Spending.amount_cents),
            )
            .join(SpendingImport, col(SpendingImport.id) == col(Spending.import_id))
            .where(col(Spending.id).in_(ids[start : start + 500]))
        ):
            where[int(spending_id)] = _evidence_row(file_name, line, invoice, booked_on, amount)
    return [
        replace(
            exc,
            evidence=tuple(
                {**where.get(int(str(e["spending_id"])), {}), **e} if "spending_id" in e else e
                for e in exc.evidence
            ),
        )
        for exc in found
    ]


def spending_owners(session: Session) -> dict[str, list[OwnerPeriod]]:
    """Whose rows the rows on each contract and lot reference are, by booking date (the rule
    of :func:`populatie.core.reconciliation.reference_owners`, for the scoped reads)."""
    lots, contracts = _contract_terms(session, date.today().year)
    return reference_owners(contracts, lots)


def _contract_terms(session: Session, year: int) -> tuple[list[LotTerms], list[ContractTerms]]:
    members = {
        p.name: frozenset({p.lead_member, *p.members, *p.subcontractors})
        for p in session.execute(select(Partnership)).scalars()
    }
    # The membership register, dated; a partnership with no membership of record keeps the
    # undated members of its configuration.
    dated = {
        name: tuple(MemberPeriod(m.provider, m.valid_from, m.valid_to) for m in rows)
        for name, rows in memberships_by_partnership(session).items()
    }
    lots = {}
    for lot in session.execute(select(Lot)).scalars():
        lots[lot.id] = LotTerms(
            reference=lot_reference(lot),
            municipality=lot.municipality_code,
            area=lot.area_code,
            partnership=lot.partnership_name,
            domains=frozenset(lot.domains),
        )
    ceilings: dict[int, dict[int, int]] = defaultdict(dict)
    for contract_id, ceiling_year, cents in session.execute(
        select(
            col(ContractCeiling.contract_id),
            col(ContractCeiling.year),
            col(ContractCeiling.ceiling_cents),
        )
    ):
        ceilings[int(contract_id)][int(ceiling_year)] = int(cents)
    holdings = contract_holdings(session)
    tariffs = contract_tariffs(session, year)
    instalments: dict[int, dict[int, int]] = defaultdict(dict)
    for contract_id, month, cents in session.execute(
        select(
            col(ContractInstalment.contract_id),
            col(ContractInstalment.month),
            col(ContractInstalment.amount_cents),
        ).where(col(ContractInstalment.year) == year)
    ):
        instalments[int(contract_id)][int(month)] = int(cents)
    contracts = []
    for c in session.execute(select(Contract).order_by(col(Contract.reference))).scalars():
        assert c.id is not None
        held = holdings.get(c.id) or [(c.partnership_name, None)]
        first = held[0][0]
        ceiling = ceiling_for_year(ceilings[c.id], c.indexation_basis_points, year)
        schedule = instalments.get(c.id, {})
        if c.funding_form == "task-based" and not schedule and ceiling is not None:
            # a year with no agreed sum of its own: the indexed one, on the same schedule
            months = months_in_force(c.starts_on, c.ends_on, year)
            schedule = instalment_schedule(ceiling, months, c.instalments or "monthly")
        contracts.append(
            ContractTerms(
                reference=c.reference,
                lot=lots[c.lot_id],
                partnership=first,
                members=members.get(first, frozenset()),
                memberships=dated.get(first),
                starts_on=c.starts_on,
                ends_on=c.ends_on,
                ceiling_cents=ceiling,
                funding_form=c.funding_form,
                segment=c.segment,
                product_codes=frozenset(c.product_codes),
                municipalities=frozenset(c.municipalities),
                start_percent=c.start_percent,
                instalments=tuple(sorted(schedule.items())),
                tariffs=tuple(
                    (product, unit, cents)
                    for product, (unit, cents) in sorted(tariffs.get(c.reference, {}).items())
                ),
                takeovers=tuple(
                    Takeover(name, members.get(name, frozenset()), since, dated.get(name))
                    for name, since in held[1:]
                    if since is not None
                ),
            )
        )
    return sorted(lots.values(), key=lambda lot: lot.reference), contracts


def _allocated(session: Session, year: int) -> tuple[dict[tuple[str, str], int], list[str]]:
    """The adopted amounts of ``year`` per (area, domain), and the municipalities adopted."""
    rows = session.execute(
        select(col(RunArea.area_code), col(RunArea.domain), col(RunArea.amount_cents))
        .join(
            Adoption,
            and_(
                col(Adoption.run_id) == col(RunArea.run_id),
                col(Adoption.municipality_code) == col(RunArea.municipality_code),
            ),
        )
        .where(col(Adoption.year) == year)
    )
    allocated = {(str(a), str(d)): int(c) for a, d, c in rows}
    municipalities = [
        str(m)
        for m in session.execute(
            select(col(Adoption.municipality_code)).where(col(Adoption.year) == year)
        ).scalars()
    ]
    return allocated, municipalities


def _month_totals(session: Session, year: int, to_month: int) -> list[MonthTotal]:
    # Plain tuples, not ORM rows: tens of thousands of totals in a year of a million rows.
    rows: Iterable[Any] = session.connection().execute(
        select(
            col(SpendingMonth.id),
            col(SpendingMonth.year),
            col(SpendingMonth.month),
            col(SpendingMonth.municipality_code),
            col(SpendingMonth.district_code),
            col(SpendingMonth.reference),
            col(SpendingMonth.domain),
            col(SpendingMonth.provider),
            col(SpendingMonth.amount_cents),
            col(SpendingMonth.rows),
        ).where(col(SpendingMonth.year) == year, col(SpendingMonth.month) <= to_month)
    )
    return [
        MonthTotal(
            int(i),
            int(y),
            int(m),
            municipality,
            district,
            reference,
            domain,
            provider,
            int(amount),
            int(count),
        )
        for i, y, m, municipality, district, reference, domain, provider, amount, count in rows
    ]


def _rows_in_months(
    month_ids_by_period: Mapping[tuple[int, int], Iterable[int]],
) -> list[tuple[tuple[int, int], ColumnElement[bool]]]:
    """A select of the rows behind some monthly totals: the id range of each month of each
    file, filtered on the totals; no secondary index needed."""
    queries = []
    for (year, month), ids in sorted(month_ids_by_period.items()):
        queries.append(
            (
                (year, month),
                and_(
                    col(SpendingImportMonth.year) == year,
                    col(SpendingImportMonth.month) == month,
                    col(Spending.month_id).in_(sorted(set(ids))),
                ),
            )
        )
    return queries


def _range_join() -> ColumnElement[bool]:
    return and_(
        col(Spending.id) >= col(SpendingImportMonth.first_id),
        col(Spending.id) <= col(SpendingImportMonth.last_id),
    )


def _outside_period(
    session: Session,
    year: int,
    contracts: Sequence[ContractTerms],
    lots: Sequence[LotTerms],
    totals: Sequence[MonthTotal],
) -> tuple[dict[int, tuple[int, int]], dict[int, list[dict[str, object]]]]:
    """For totals in a month that their contract covers only in part: the cents and rows
    booked outside the period (summed in SQL), and a few of those rows as evidence."""
    lot_refs = {lot.reference for lot in lots}
    wanted: dict[tuple[int, int], list[int]] = defaultdict(list)
    period_of: dict[int, tuple[date, date]] = {}
    for c in contracts:
        months = boundary_months(c.starts_on, c.ends_on, year)
        if not months:
            continue
        refs = {c.reference} | ({c.lot.reference} & lot_refs)
        for t in totals:
            if t.month in months and t.reference in refs:
                wanted[(year, t.month)].append(t.id)
                period_of[t.id] = (c.starts_on, c.ends_on)

    def outside(month_id: int, booked_on: date) -> bool:
        start, end = period_of[month_id]
        return not start <= booked_on <= end

    return _rows_where(session, wanted, outside)


def _not_member(
    session: Session,
    year: int,
    contracts: Sequence[ContractTerms],
    lots: Sequence[LotTerms],
    totals: Sequence[MonthTotal],
) -> tuple[dict[int, tuple[int, int]], dict[int, list[dict[str, object]]]]:
    """For totals in a month their provider was a member only in part: the cents and rows
    booked on days it was no member, and a few of those rows as evidence."""
    partial = partial_memberships(year, totals, contracts, lots)
    wanted: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_id = {t.id: t for t in totals}
    for month_id in partial:
        wanted[(year, by_id[month_id].month)].append(month_id)

    def no_member(month_id: int, booked_on: date) -> bool:
        return not any(m.holds_on(booked_on) for m in partial[month_id])

    return _rows_where(session, wanted, no_member)


def _rows_where(
    session: Session,
    wanted: Mapping[tuple[int, int], list[int]],
    counts: Callable[[int, date], bool],
) -> tuple[dict[int, tuple[int, int]], dict[int, list[dict[str, object]]]]:
    """The rows of the wanted monthly totals for which ``counts(month_id, booked_on)`` holds:
    per total their cents and number, and a few as evidence. Only the rows of a month that
    needs a per-day look are read, by the id ranges of their totals."""
    amounts: dict[int, tuple[int, int]] = {}
    evidence: dict[int, list[dict[str, object]]] = defaultdict(list)
    for _, condition in _rows_in_months(wanted):
        rows = session.execute(
            select(
                col(Spending.month_id),
                col(Spending.booked_on),
                col(Spending.amount_cents),
                col(Spending.line),
                col(Spending.invoice_reference),
                col(SpendingImport.file_name),
            )
            .select_from(SpendingImportMonth)
            .join(Spending, _range_join())
            .join(SpendingImport, col(SpendingImport.id) == col(Spending.import_id))
            .where(condition)
        )
        for month_id, booked_on, amount, line, invoice, file_name in rows:
            if not counts(int(month_id), booked_on):
                continue
            cents, count = amounts.get(int(month_id), (0, 0))
            amounts[int(month_id)] = (cents + int(amount), count + 1)
            if len(evidence[int(month_id)]) < EVIDENCE_ROWS:
                evidence[int(month_id)].append(
                    _evidence_row(file_name, line, invoice, booked_on, amount)
                )
    return amounts, evidence


def _evidence_row(
    file_name: str, line: int, invoice: str, booked_on: date, amount: int
) -> dict[str, object]:
    return {
        "file": file_name,
        "line": int(line),
        "invoice_reference": invoice,
        "booked_on": booked_on.isoformat(),
        "amount_cents": int(amount),
    }


def _duplicates(session: Session, year: int, to_month: int) -> list[DuplicateInvoice]:
    """The repeated rows booked in ``year`` up to ``to_month``, picked in SQL.

    Driven by the (small) duplicate table and narrowed by the id ranges that hold the months
    wanted (``spending_import_month``), so that no database starts from the spending rows:
    a condition on the rows' dates alone made SQLite scan every one of them. The dates then
    drop the rows of other months that lie inside those ranges.
    """
    copy = aliased(Spending)
    original = aliased(Spending)
    last = date(year + 1, 1, 1) if to_month == 12 else date(year, to_month + 1, 1)
    ranges = _merged(
        (int(first), int(last_id))
        for first, last_id in session.execute(
            select(col(SpendingImportMonth.first_id), col(SpendingImportMonth.last_id)).where(
                col(SpendingImportMonth.year) == year, col(SpendingImportMonth.month) <= to_month
            )
        )
    )
    if not ranges:
        return []
    in_ranges = or_(
        *(col(SpendingDuplicate.spending_id).between(first, last_id) for first, last_id in ranges)
    )
    # The files by id from their own small table, not joined twice per row; plain tuples, not
    # ORM rows: a year may hold tens of thousands of repeats, each its own finding.
    imports: Iterable[Any] = session.connection().execute(
        select(col(SpendingImport.id), col(SpendingImport.file_name))
    )
    files = {int(i): str(name) for i, name in imports}
    rows = (
        session.connection()
        .execute(
            select(
                col(copy.invoice_reference),
                col(original.invoice_reference),
                col(copy.booked_on),
                col(copy.provider),
                col(copy.reference),
                col(copy.domain),
                col(copy.district_code),
                col(copy.amount_cents),
                col(copy.import_id),
                col(copy.line),
                col(original.import_id),
                col(original.line),
            )
            .select_from(SpendingDuplicate)
            # "+ 0": SQLite would carry the id ranges over to the copies' primary key and walk
            # every row of the year from there; this way it walks the flags and looks rows up.
            .join(copy, col(copy.id) == col(SpendingDuplicate.spending_id) + 0)
            .join(original, col(original.id) == col(SpendingDuplicate.original_id))
            .where(in_ranges, col(copy.booked_on) >= date(year, 1, 1), col(copy.booked_on) < last)
            .order_by(col(copy.booked_on), col(copy.invoice_reference))
        )
        .all()
    )
    return [
        DuplicateInvoice(
            invoice,
            original_invoice,
            booked_on,
            provider,
            reference,
            domain,
            district or "",
            int(amount),
            files[copy_file],
            int(line),
            files[original_file],
            int(original_line),
        )
        for (
            invoice,
            original_invoice,
            booked_on,
            provider,
            reference,
            domain,
            district,
            amount,
            copy_file,
            line,
            original_file,
            original_line,
        ) in rows
    ]


def _merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Id ranges joined where they touch or overlap: fewer terms for the database to weigh."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _coverage(session: Session, config: RegionConfig | None) -> list[CoverageProblem]:
    record = {
        str(code): str(municipality)
        for code, municipality in session.execute(
            select(col(District.code), col(District.municipality_code))
        )
    }
    area_districts: dict[str, list[str]] = defaultdict(list)
    if config is None:
        for district, area in session.execute(
            select(col(AreaDistrict.district_code), col(AreaDistrict.area_code))
        ):
            area_districts[str(area)].append(str(district))
        return district_coverage(area_districts, record)
    for area in config.areas:
        if area.districts == "all":
            area_districts[area.code] = [d for d, m in record.items() if m == area.municipality]
        else:
            area_districts[area.code] = list(area.districts)
    problems = district_coverage(area_districts, record)
    # A configured district that is not of record is in no area of record either.
    listed = {d for ds in area_districts.values() for d in ds}
    for district in sorted(listed - set(record)):
        problems.append(CoverageProblem(district, f"GM{district[2:6]}", areas=()))
    return problems


def _with_evidence(
    session: Session,
    result: Reconciliation,
    totals: Sequence[MonthTotal],
    day_evidence: Mapping[str, Mapping[int, list[dict[str, object]]]],
) -> Reconciliation:
    """Add example rows to every exception built from monthly totals: for each of its largest
    totals, the first row of that total (one primary-key lookup), or, for a total in a month
    the contract (or the provider's membership) covers in part, rows booked outside it."""
    by_id = {t.id: t for t in totals}
    chosen: dict[int, list[int]] = {}
    wanted: set[int] = set()
    for i, exc in enumerate(result.exceptions):
        if not exc.month_ids or exc.evidence:
            continue
        ids = sorted(exc.month_ids, key=lambda m: (-abs(by_id[m].amount_cents), m))
        chosen[i] = ids[:EVIDENCE_ROWS]
        wanted.update(chosen[i])
    first_rows: dict[int, dict[str, object]] = {}
    if wanted:
        keys = sorted(wanted)
        for start in range(0, len(keys), 500):
            rows = session.execute(
                select(
                    col(SpendingMonth.id),
                    col(SpendingImport.file_name),
                    col(Spending.line),
                    col(Spending.invoice_reference),
                    col(Spending.booked_on),
                    col(Spending.amount_cents),
                )
                .select_from(SpendingMonth)
                .join(Spending, col(Spending.id) == col(SpendingMonth.first_spending_id))
                .join(SpendingImport, col(SpendingImport.id) == col(Spending.import_id))
                .where(col(SpendingMonth.id).in_(keys[start : start + 500]))
            )
            for month_id, file_name, line, invoice, booked_on, amount in rows:
                first_rows[int(month_id)] = _evidence_row(
                    file_name, line, invoice, booked_on, amount
                )
    exceptions = []
    for i, exc in enumerate(result.exceptions):
        if i not in chosen:
            exceptions.append(exc)
            continue
        evidence: list[dict[str, object]] = []
        for month_id in chosen[i]:
            t = by_id[month_id]
            total = {
                "month": f"{t.year}-{t.month:02d}",
                "reference": t.reference,
                "district": t.district,
                "domain": t.domain,
                "provider": t.provider,
                "month_total_cents": t.amount_cents,
                "month_rows": t.rows,
            }
            if month_id in day_evidence.get(exc.kind, {}):
                examples = list(day_evidence[exc.kind][month_id])
            else:
                examples = [first_rows[month_id]] if month_id in first_rows else []
            evidence.extend({**total, **row} for row in examples[:EVIDENCE_ROWS])
        exceptions.append(replace(exc, evidence=tuple(evidence[: EVIDENCE_ROWS * 2])))
    return replace(result, exceptions=exceptions)


def report_json(result: Reconciliation) -> dict[str, Any]:
    """The stable JSON form (README: "Reconciliation")."""
    counts = dict.fromkeys(EXCEPTION_KINDS, 0)
    for exc in result.exceptions:
        counts[exc.kind] += 1
    return {
        "year": result.year,
        "to": f"{result.year}-{result.to_month:02d}",
        "forecast_method": result.forecast_method,
        "lines": [
            {
                "contract": line.contract,
                "lot": line.lot,
                "area": line.area,
                "municipality": line.municipality,
                "partnership": line.partnership,
                "domain": line.domain,
                "allocated_cents": line.allocated_cents,
                "ceiling_cents": line.ceiling_cents,
                "spent_cents": line.spent_cents,
                "forecast_cents": line.forecast_cents,
                "remaining_cents": line.remaining_cents,
                "variance_cents": line.variance_cents,
                "status": line.status,
                "months_in_force": line.months_in_force,
                "months_elapsed": line.months_elapsed,
                "segment": line.segment,
                "funding_form": line.funding_form,
                "forecast_method": line.forecast_method,
            }
            for line in result.lines
        ],
        "exception_counts": counts,
        "exceptions": [_exception_json(exc, result.year) for exc in result.exceptions],
        "notes": list(result.notes),
    }


def _exception_json(exc: ReconciliationException, year: int) -> dict[str, Any]:
    return {
        "key": exception_key(exc.kind, exc.subject, year),
        "kind": exc.kind,
        "description": EXCEPTION_KINDS[exc.kind],
        "subject": exc.subject,
        "amount_cents": exc.amount_cents,
        "rows": exc.rows,
        "detail": exc.detail,
        "partnership": exc.partnership,
        "evidence": [dict(e) for e in exc.evidence],
    }
