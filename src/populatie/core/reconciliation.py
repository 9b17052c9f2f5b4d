"""Reconciliation rules: spending totals against lots, contracts and the adopted allocation.

Pure: the service hands in what it read (contract terms, the monthly spending totals of one
year up to a month, the adopted amounts, the district → area map) and gets back the lines of the
report and the exceptions; no sessions, files or clocks here. Amounts are integer cents
throughout; the only division (the run-rate forecast and the split of an area's allocation over
successive contracts) rounds once, half away from zero, or by :func:`split_cents`.

Exception kinds (the ``kind`` codes are stable; the CLI, JSON and the API show them):

========================== ==================================================================
``no-contract``            spending whose reference names no contract, or a lot with no
                           contract in force that month
``district-outside-lot``   spending on a lot or contract for a district (or municipality)
                           outside that lot's area
``outside-contract-period`` spending on a contract booked before it starts or after it ends
``provider-not-member``    a provider that is no member (lead, member or subcontractor) of the
                           contracted partnership on the booking date
``domain-not-covered``     a domain the lot does not cover
``duplicate-invoice``      the same provider, reference, domain, district, date and amount
                           under two invoice references
``over-ceiling``           a contract's spending to date past its ceiling for the year
``allocation-differs``     an allocation total that differs from the contract amount (the
                           ceiling) of the year
``district-not-in-one-area`` a district in no area or in two (configuration), or spending on a
                           district that is in no area
``tariff-mismatch`` …      the findings of the funding forms (tariffs, products, segments,
                           instalments, dropouts): :mod:`populatie.core.funding_checks`
========================== ==================================================================

A contract's lines carry its segment and funding form, and name their forecast's method: the
contract sum (what its schedule has due) for a task-based contract's total, the run-rate
elsewhere.

Whose spending it is: a contract may pass to another partnership (a novation, from the first of
a month, :class:`Takeover`). The rows booked on its reference, or on its lot while it is in
force, belong to the partnership that held it on the booking date (:func:`reference_owners`);
its line is split at the takeover, one line per holder, and every exception names the
partnership whose rows it is about (``None``: rows with no contract or lot of record, and the
region's own configuration), so a consortium is shown exactly its own.

Who is a member is likewise a question of the booking date: with dated memberships
(:class:`MemberPeriod`) a provider counts as a member on the days it held a role in the holding
partnership. A month that a membership covers only in part is decided row by row by the service
(``not_member``), as the contract period is (``outside_period``).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from populatie.core.money import format_euro, split_cents

__all__ = [
    "EXCEPTION_KINDS",
    "FORECAST_METHOD",
    "AreaTerms",
    "ContractTerms",
    "CoverageProblem",
    "DuplicateInvoice",
    "LotTerms",
    "MemberPeriod",
    "MonthTotal",
    "OwnerPeriod",
    "Reconciliation",
    "ReconciliationException",
    "ReconciliationLine",
    "Takeover",
    "boundary_months",
    "ceiling_for_year",
    "contracts_of_totals",
    "district_coverage",
    "exception_order",
    "last_months",
    "line_status",
    "member_months",
    "months_in_force",
    "owner_on",
    "partial_memberships",
    "reconcile",
    "reference_owners",
    "round_half_away",
    "run_rate_forecast",
]

EXCEPTION_KINDS: dict[str, str] = {
    "no-contract": "spending under no contract",
    "district-outside-lot": "spending on a lot for a district outside that lot's area",
    "outside-contract-period": "spending outside the contract period",
    "provider-not-member": "a provider that is no member of the contracted partnership",
    "domain-not-covered": "a domain the lot does not cover",
    "duplicate-invoice": "duplicate invoices",
    "over-ceiling": "spend past the ceiling",
    "allocation-differs": "allocation totals that differ from the contract amounts",
    "district-not-in-one-area": "districts in no area or in two",
    "tariff-mismatch": "an amount other than quantity × tariff on the booking date",
    "product-not-contracted": "a product the contract does not cover",
    "segment-not-contracted": "a segment the contract does not buy",
    "instalment-off-schedule": "a task-based contract paid off its schedule",
    "paid-after-dropout": "a completion payment, or more than the start share, after a dropout",
}

FORECAST_METHOD = (
    "run-rate: spent to date / months in force elapsed × months in force in the year "
    "(no seasonal adjustment)"
)

# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotTerms:
    reference: str  # "GM0518/1"
    municipality: str
    area: str
    partnership: str
    domains: frozenset[str]


@dataclass(frozen=True)
class MemberPeriod:
    """A provider's role (lead, member or subcontractor) in a partnership from ``valid_from``
    to ``valid_to``, both inclusive (None: open-ended)."""

    provider: str
    valid_from: date
    valid_to: date | None = None

    def holds_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Takeover:
    """Another partnership holding a contract from ``since`` (the first of a month) on."""

    partnership: str
    members: frozenset[str]
    since: date
    # Dated memberships; None: ``members`` hold on every day.
    memberships: tuple[MemberPeriod, ...] | None = None


@dataclass(frozen=True)
class ContractTerms:
    reference: str
    lot: LotTerms
    partnership: str  # the first holder: from before the start until the first takeover
    members: frozenset[str]  # lead member, members and subcontractors of the partnership
    starts_on: date
    ends_on: date
    ceiling_cents: int | None  # for the year reconciled, indexed; None when none is agreed
    takeovers: tuple[Takeover, ...] = ()  # in order of ``since``
    # The first holder's dated memberships; None: ``members`` hold on every day.
    memberships: tuple[MemberPeriod, ...] | None = None
    funding_form: str = "population-based"
    segment: str | None = None
    product_codes: frozenset[str] = frozenset()  # empty: every product of the segment
    municipalities: frozenset[str] = frozenset()  # beside the lot's own
    start_percent: int | None = None  # per trajectory: the share paid at the start
    instalments: tuple[tuple[int, int], ...] = ()  # (month, cents) due in the year reconciled
    tariffs: tuple[tuple[str, str, int], ...] = ()  # (product, unit, cents) in that year


@dataclass(frozen=True)
class AreaTerms:
    code: str
    municipality: str
    partnership: str | None


@dataclass(frozen=True)
class MonthTotal:
    """One row of ``spending_month``: the total of a month for one key."""

    id: int
    year: int
    month: int
    municipality: str
    district: str  # "" = none given
    reference: str  # "" = none given
    domain: str
    provider: str
    amount_cents: int
    rows: int


@dataclass(frozen=True)
class DuplicateInvoice:
    """A row repeating an earlier one under another invoice reference (found at import)."""

    invoice_reference: str
    original_invoice_reference: str
    booked_on: date
    provider: str
    reference: str
    domain: str
    district: str
    amount_cents: int
    file_name: str
    line: int
    original_file_name: str
    original_line: int


@dataclass(frozen=True)
class CoverageProblem:
    district: str
    municipality: str
    areas: tuple[str, ...]  # () = in no area; two or more = overlap


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReconciliationLine:
    """One line: a contract (or an area without one) and a domain; ``domain == "total"`` on the
    line that adds up a contract's or an area's domains."""

    contract: str | None
    lot: str | None
    area: str | None
    municipality: str
    partnership: str | None
    domain: str
    allocated_cents: int | None
    ceiling_cents: int | None
    spent_cents: int
    forecast_cents: int
    remaining_cents: int | None
    variance_cents: int | None
    status: str
    months_in_force: int
    months_elapsed: int
    segment: str | None = None
    funding_form: str | None = None
    forecast_method: str = "run-rate"


@dataclass(frozen=True)
class ReconciliationException:
    kind: str
    subject: str
    amount_cents: int
    rows: int
    detail: str
    # Whose rows (or contract) it is about; None for what only finance can resolve.
    partnership: str | None = None
    month_ids: tuple[int, ...] = ()
    # Day-precise evidence: only rows booked outside [period_start, period_end] count.
    period: tuple[date, date] | None = None
    evidence: tuple[dict[str, object], ...] = ()
    # The same finding as values (codes, amounts in cents, dates, months), so a reader in
    # another language can say it in its own words; ``detail`` is the English sentence.
    facts: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Reconciliation:
    year: int
    to_month: int
    lines: list[ReconciliationLine]
    exceptions: list[ReconciliationException]
    forecast_method: str = FORECAST_METHOD
    notes: list[str] = field(default_factory=list)
    # What the notes say, as codes: municipalities whose spending reached no contract, lot or
    # district of record, and municipalities with no adopted allocation for the year.
    unattributed_in: tuple[str, ...] = ()
    unallocated_in: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Small rules
# ---------------------------------------------------------------------------------------------


def round_half_away(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, got {denominator}")
    quotient, rest = divmod(abs(numerator), denominator)
    if 2 * rest >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def ceiling_for_year(
    ceilings: Mapping[int, int], indexation_basis_points: int, year: int
) -> int | None:
    """The ceiling of ``year``: as agreed for that year, or else the last agreed one indexed
    once per year since (rounded to the cent each year, as the indexed amounts are published).
    None when no ceiling is agreed for the year or any earlier one."""
    if year in ceilings:
        return ceilings[year]
    earlier = [y for y in ceilings if y < year]
    if not earlier:
        return None
    base_year = max(earlier)
    amount = ceilings[base_year]
    for _ in range(year - base_year):
        amount = round_half_away(amount * (10_000 + indexation_basis_points), 10_000)
    return amount


def months_in_force(starts_on: date, ends_on: date, year: int) -> list[int]:
    """The months of ``year`` on which the period [starts_on, ends_on] has at least one day."""
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        if starts_on <= last and ends_on >= first:
            months.append(month)
    return months


def boundary_months(starts_on: date, ends_on: date, year: int) -> set[int]:
    """Months of ``year`` that the period covers only in part (it starts or ends inside them);
    for those, only a look at the booking dates tells what lies outside the period."""
    months = set()
    if starts_on.year == year and starts_on.day != 1:
        months.add(starts_on.month)
    if ends_on.year == year and ends_on.day != calendar.monthrange(year, ends_on.month)[1]:
        months.add(ends_on.month)
    return months


def member_months(memberships: Sequence[MemberPeriod], provider: str, year: int, month: int) -> str:
    """Whether ``provider`` is a member in a month: ``"all"`` (on every day), ``"none"`` (on no
    day) or ``"part"`` (only a look at the booking dates tells)."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    days_in = 0
    for m in memberships:
        if m.provider != provider:
            continue
        lo = max(first, m.valid_from)
        hi = min(last, m.valid_to or date.max)
        if lo <= hi:
            days_in += (hi - lo).days + 1
    if days_in == 0:
        return "none"
    # Memberships of one provider in one partnership do not overlap (the register refuses it).
    return "all" if days_in >= (last - first).days + 1 else "part"


def run_rate_forecast(spent_cents: int, months_elapsed: int, months_total: int) -> int:
    """Full-year forecast by run-rate: the average month so far, times the months in force.
    With no month elapsed there is nothing to extrapolate and the forecast is what was spent."""
    if months_elapsed <= 0:
        return spent_cents
    return round_half_away(spent_cents * months_total, months_elapsed)


def line_status(
    spent_cents: int,
    forecast_cents: int,
    allocated_cents: int | None,
    ceiling_cents: int | None = None,
) -> str:
    """The first that holds: over ceiling, forecast over ceiling, over allocation, forecast over
    allocation, no allocation (spending without an adopted amount), on track."""
    if ceiling_cents is not None:
        if spent_cents > ceiling_cents:
            return "over ceiling"
        if forecast_cents > ceiling_cents:
            return "forecast over ceiling"
    if allocated_cents is None:
        return "no allocation" if spent_cents else "on track"
    if spent_cents > allocated_cents:
        return "over allocation"
    if forecast_cents > allocated_cents:
        return "forecast over allocation"
    return "on track"


def district_coverage(
    area_districts: Mapping[str, Sequence[str]],
    districts_of_record: Mapping[str, str],
) -> list[CoverageProblem]:
    """Districts of record in no area or in more than one (``area_districts`` lists the
    districts per area, "all" already expanded), and listed districts that are not of record
    (they count as in no area of record). Sorted by district."""
    areas_of: dict[str, list[str]] = defaultdict(list)
    for area, districts in area_districts.items():
        for district in districts:
            areas_of[district].append(area)
    problems = []
    for district, municipality in sorted(districts_of_record.items()):
        areas = tuple(sorted(areas_of.get(district, [])))
        if len(areas) != 1:
            problems.append(CoverageProblem(district, municipality, areas))
    return problems


#: Rows of ``reference`` booked on ``starts_on`` ≤ day < ``ends_before`` are ``partnership``'s.
OwnerPeriod = tuple[date, date, str]


def _month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def _next_month(day: date) -> date:
    if day >= date(9999, 12, 1):
        return date.max
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


_Holder = tuple[str, frozenset[str], date, tuple[MemberPeriod, ...] | None]


def _holdings(contract: ContractTerms) -> list[_Holder]:
    """Who holds the contract from when; the first holder from before its start."""
    return [(contract.partnership, contract.members, date.min, contract.memberships)] + [
        (t.partnership, t.members, t.since, t.memberships) for t in contract.takeovers
    ]


def _held(contract: ContractTerms, start: date, end: date) -> list[OwnerPeriod]:
    """The holders of ``contract`` over [start, end)."""
    holdings = _holdings(contract)
    periods = []
    for i, (partnership, _, since, _dated) in enumerate(holdings):
        until = holdings[i + 1][2] if i + 1 < len(holdings) else date.max
        lo, hi = max(start, since), min(end, until)
        if lo < hi:
            periods.append((lo, hi, partnership))
    return periods


def reference_owners(
    contracts: Sequence[ContractTerms], lots: Sequence[LotTerms]
) -> dict[str, list[OwnerPeriod]]:
    """Whose rows are the rows booked on each contract and lot reference, by booking date.

    A contract's rows are its holder's on the booking date (before the start: the first
    holder's; after the end: the last one's). A lot's rows are the holder's of the contract in
    force on the lot that month (the earliest-starting, if two touch one month), and the lot's
    own partnership's where none is. Periods are whole months, as reconciliation counts them,
    so this answer and the reconciliation's lines agree row for row.
    """
    owners: dict[str, list[OwnerPeriod]] = {}
    on_lot: dict[str, list[ContractTerms]] = defaultdict(list)
    for c in contracts:
        owners[c.reference] = _held(c, date.min, date.max)
        on_lot[c.lot.reference].append(c)
    for lot in lots:
        periods: list[OwnerPeriod] = []
        covered = date.min
        for c in sorted(on_lot.get(lot.reference, []), key=lambda c: (c.starts_on, c.reference)):
            start = max(_month_start(c.starts_on), covered)
            end = _next_month(c.ends_on)
            if start >= end:
                continue
            if covered < start:
                periods.append((covered, start, lot.partnership))
            periods.extend(_held(c, start, end))
            covered = end
        if covered < date.max:
            periods.append((covered, date.max, lot.partnership))
        owners.setdefault(lot.reference, periods)
    return owners


def owner_on(owners: Mapping[str, Sequence[OwnerPeriod]], reference: str, day: date) -> str | None:
    """The partnership whose row it is (:func:`reference_owners`); None for a reference of no
    contract or lot."""
    for start, end, partnership in owners.get(reference, ()):
        if start <= day < end:
            return partnership
    return None


# ---------------------------------------------------------------------------------------------
# The reconciliation
# ---------------------------------------------------------------------------------------------


@dataclass
class _Acc:
    """What one exception has gathered: cents, rows and the totals they came from."""

    amount_cents: int = 0
    rows: int = 0
    month_ids: set[int] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    detail: str = ""
    period: tuple[date, date] | None = None
    facts: dict[str, object] = field(default_factory=dict)

    def add(self, total: MonthTotal, amount: int, rows: int) -> None:
        self.amount_cents += amount
        self.rows += rows
        self.month_ids.add(total.id)
        self.months.add(total.month)


# Where spending lands: a contract while one partnership holds it (the code of its holding),
# an area without a contract, or (neither known) a municipality.
_Target = tuple[str, str]  # ("contract" | "area" | "municipality", code)


@dataclass(frozen=True)
class _Holding:
    """One partnership's hold of a contract: its own line. ``key`` is the contract reference
    for the first holder (so a contract never taken over has the one line it always had)."""

    key: str
    contract: ContractTerms
    partnership: str
    members: frozenset[str]
    since: date
    months: list[int]  # the contract's months in force in the year during this holding
    memberships: tuple[MemberPeriod, ...] | None = None


@dataclass(frozen=True)
class _Context:
    year: int
    to_month: int
    domains: tuple[str, ...]
    by_contract: dict[str, ContractTerms]
    by_lot: dict[str, LotTerms]
    in_force: dict[str, list[int]]  # contract reference → its months in force in the year
    contracts_of_lot: dict[str, list[ContractTerms]]
    area_terms: dict[str, AreaTerms]
    areas_of_municipality: dict[str, list[str]]
    area_of_district: Mapping[str, str]
    holdings: dict[str, _Holding]  # by key
    holdings_of: dict[str, list[_Holding]]  # by contract reference, in order
    owners: dict[str, list[OwnerPeriod]]
    # Answers that depend on a reference, contract or provider and a month only, not on the
    # total asking: a year has tens of thousands of totals over a few hundred such keys.
    memo: dict[tuple[object, ...], Any] = field(default_factory=dict)

    def holding(self, contract: ContractTerms, month: int) -> _Holding:
        """Who holds ``contract`` in ``month`` (takeovers start on the first of a month)."""
        key = ("holding", contract.reference, month)
        if key not in self.memo:
            day = date(self.year, month, 1)
            self.memo[key] = [h for h in self.holdings_of[contract.reference] if h.since <= day][-1]
        held: _Holding = self.memo[key]
        return held

    def owner(self, reference: str, day: date) -> str | None:
        return owner_on(self.owners, reference, day)

    def owner_in(self, reference: str, month: int) -> str | None:
        """Whose rows ``reference``'s are in ``month`` (owners change on a month's first)."""
        key = ("owner", reference, month)
        if key not in self.memo:
            self.memo[key] = owner_on(self.owners, reference, date(self.year, month, 1))
        owner: str | None = self.memo[key]
        return owner

    def membership(self, holding: _Holding, provider: str, month: int) -> str:
        """:func:`member_months` of ``provider`` in ``holding``'s dated memberships."""
        key = ("member", holding.key, provider, month)
        if key not in self.memo:
            assert holding.memberships is not None
            self.memo[key] = member_months(holding.memberships, provider, self.year, month)
        answer: str = self.memo[key]
        return answer

    def members_in(self, holding: _Holding, month: int) -> frozenset[str]:
        """The providers with a dated membership of ``holding`` on some day of ``month``."""
        key = ("members", holding.key, month)
        if key not in self.memo:
            assert holding.memberships is not None
            first = date(self.year, month, 1)
            last = date(self.year, month, calendar.monthrange(self.year, month)[1])
            self.memo[key] = frozenset(
                m.provider
                for m in holding.memberships
                if m.valid_from <= last and (m.valid_to is None or m.valid_to >= first)
            )
        members: frozenset[str] = self.memo[key]
        return members


def _context(
    year: int,
    to_month: int,
    contracts: Sequence[ContractTerms],
    lots: Sequence[LotTerms],
    areas: Sequence[AreaTerms],
    area_of_district: Mapping[str, str],
    domains: Sequence[str],
) -> _Context:
    contracts_of_lot: dict[str, list[ContractTerms]] = defaultdict(list)
    for c in sorted(contracts, key=lambda c: (c.starts_on, c.reference)):
        contracts_of_lot[c.lot.reference].append(c)
    areas_of_municipality: dict[str, list[str]] = defaultdict(list)
    for a in areas:
        areas_of_municipality[a.municipality].append(a.code)
    in_force = {c.reference: months_in_force(c.starts_on, c.ends_on, year) for c in contracts}
    holdings: dict[str, _Holding] = {}
    holdings_of: dict[str, list[_Holding]] = {}
    for c in contracts:
        held = _holdings(c)
        holdings_of[c.reference] = []
        for i, (partnership, members, since, dated) in enumerate(held):
            until = held[i + 1][2] if i + 1 < len(held) else date.max
            holding = _Holding(
                key=c.reference if i == 0 else f"{c.reference}@{since.isoformat()}",
                contract=c,
                partnership=partnership,
                members=members,
                since=since,
                months=[m for m in in_force[c.reference] if since <= date(year, m, 1) < until],
                memberships=dated,
            )
            holdings[holding.key] = holding
            holdings_of[c.reference].append(holding)
    return _Context(
        year=year,
        to_month=to_month,
        domains=tuple(domains),
        by_contract={c.reference: c for c in contracts},
        by_lot={lot.reference: lot for lot in lots},
        in_force={ref: months for ref, months in in_force.items() if months},
        contracts_of_lot=contracts_of_lot,
        area_terms={a.code: a for a in areas},
        areas_of_municipality=areas_of_municipality,
        area_of_district=area_of_district,
        holdings=holdings,
        holdings_of=holdings_of,
        owners=reference_owners(contracts, lots),
    )


def _partnership_of(ctx: _Context, target: _Target) -> str | None:
    kind, code = target
    if kind == "contract":
        return ctx.holdings[code].partnership
    return ctx.area_terms[code].partnership if kind == "area" else None


def last_months(
    year: int,
    totals: Sequence[MonthTotal],
    contracts: Sequence[ContractTerms],
    lots: Sequence[LotTerms],
    areas: Sequence[AreaTerms],
    area_of_district: Mapping[str, str],
) -> dict[str, int]:
    """Per partnership, the last month of ``year`` with spending on its own lines: where a
    consortium's reconciliation runs to by default, whatever the other partnerships booked."""
    ctx = _context(year, 12, contracts, lots, areas, area_of_district, ())
    last: dict[str, int] = {}
    for t in totals:
        if t.year != year:
            continue
        partnership = _partnership_of(ctx, _classify(ctx, t, defaultdict(_Acc), None))
        if partnership is not None and t.month > last.get(partnership, 0):
            last[partnership] = t.month
    return last


def reconcile(
    year: int,
    to_month: int,
    totals: Sequence[MonthTotal],
    contracts: Sequence[ContractTerms],
    lots: Sequence[LotTerms],
    areas: Sequence[AreaTerms],
    area_of_district: Mapping[str, str],
    allocated: Mapping[tuple[str, str], int],
    allocated_municipalities: Iterable[str],
    domains: Sequence[str],
    *,
    duplicates: Sequence[DuplicateInvoice] = (),
    coverage: Sequence[CoverageProblem] = (),
    outside_period: Mapping[int, tuple[int, int]] | None = None,
    not_member: Mapping[int, tuple[int, int]] | None = None,
) -> Reconciliation:
    """Attribute the monthly totals (of ``year``, months up to ``to_month``) to lines and find
    the exceptions.

    ``allocated`` maps (area, domain) to the adopted amount; municipalities not in
    ``allocated_municipalities`` have no adopted run and show no allocation. ``outside_period``
    gives, for a total in a month its contract covers only in part (:func:`boundary_months`),
    the cents and rows booked outside the contract period, as the service counted them;
    ``not_member`` likewise, for a total in a month its provider was a member of the holding
    partnership only in part (:func:`member_months`), the cents and rows booked on days it was
    none.
    """
    if not 1 <= to_month <= 12:
        raise ValueError(f"to_month must be 1..12, got {to_month}")
    ctx = _context(year, to_month, contracts, lots, areas, area_of_district, domains)
    allocated_in = set(allocated_municipalities)
    spent: dict[tuple[_Target, str], int] = defaultdict(int)
    spent_by_month: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    flagged: dict[tuple[str, str, str | None], _Acc] = defaultdict(_Acc)
    for t in totals:
        if t.year != year or t.month > to_month:
            continue
        target = _classify(
            ctx, t, flagged, (outside_period or {}).get(t.id), (not_member or {}).get(t.id)
        )
        spent[(target, t.domain)] += t.amount_cents
        if target[0] == "contract":
            reference = ctx.holdings[target[1]].contract.reference
            spent_by_month[reference][t.month] += t.amount_cents

    lines_of = _lines(ctx, spent, allocated, allocated_in)
    found = _contract_exceptions(ctx, lines_of, spent_by_month)
    found += [
        ReconciliationException(
            kind=kind,
            subject=subject,
            amount_cents=acc.amount_cents,
            rows=acc.rows,
            detail=f"{acc.detail}; months {_months_text(acc.months, year)}",
            partnership=partnership,
            month_ids=tuple(sorted(acc.month_ids)),
            period=acc.period,
            facts={**acc.facts, "year": year, "months": tuple(sorted(acc.months))},
        )
        for (kind, subject, partnership), acc in flagged.items()
    ]
    found += _duplicate_exceptions(ctx, duplicates)
    with_spending = {s for k, s, _ in flagged if k == "district-not-in-one-area"}
    for problem in coverage:
        if f"district {problem.district}" in with_spending:
            continue  # listed already, with its spending
        where = (
            f"in {len(problem.areas)} areas: {', '.join(problem.areas)}"
            if problem.areas
            else "in no area"
        )
        found.append(
            ReconciliationException(
                kind="district-not-in-one-area",
                subject=f"district {problem.district}",
                amount_cents=0,
                rows=0,
                detail=f"district {problem.district} ({problem.municipality}) is {where} "
                "(configuration)",
                facts={
                    "district": problem.district,
                    "municipality": problem.municipality,
                    "areas": problem.areas,
                    "source": "configuration",
                },
            )
        )
    found.sort(key=exception_order)

    notes = []
    unattributed = {
        code: amount for ((kind, code), _), amount in spent.items() if kind == "municipality"
    }
    if unattributed:
        notes.append(
            "spending with no contract, lot or district of record, in a municipality of several "
            "areas, is shown per municipality: " + ", ".join(sorted(unattributed))
        )
    missing = sorted({a.municipality for a in areas} - allocated_in)
    if missing:
        notes.append(f"no adopted allocation for {year} in {', '.join(missing)}")
    ordered = [
        line for _, group in sorted(lines_of.items(), key=_group_order(ctx)) for line in group
    ]
    return Reconciliation(
        year=year,
        to_month=to_month,
        lines=ordered,
        exceptions=found,
        notes=notes,
        unattributed_in=tuple(sorted(unattributed)),
        unallocated_in=tuple(missing),
    )


_KIND_RANK = {kind: rank for rank, kind in enumerate(EXCEPTION_KINDS)}


def exception_order(exc: ReconciliationException) -> tuple[int, str, str]:
    """The order exceptions are listed in: by kind (as :data:`EXCEPTION_KINDS` lists them),
    subject and partnership."""
    return (_KIND_RANK[exc.kind], exc.subject, exc.partnership or "")


def _contract_of(ctx: _Context, t: MonthTotal) -> tuple[ContractTerms | None, LotTerms | None]:
    """The contract a total is booked on (its reference, or the lot's contract in force that
    month: the earliest-starting) and its lot."""
    key = ("contract", t.reference, t.month)
    if key in ctx.memo:
        found: tuple[ContractTerms | None, LotTerms | None] = ctx.memo[key]
        return found
    contract = ctx.by_contract.get(t.reference)
    lot = contract.lot if contract is not None else ctx.by_lot.get(t.reference)
    if contract is None and lot is not None:
        current = [
            c
            for c in ctx.contracts_of_lot.get(lot.reference, [])
            if t.month in ctx.in_force.get(c.reference, [])
        ]
        contract = current[0] if current else None
    ctx.memo[key] = (contract, lot)
    return contract, lot


def contracts_of_totals(
    year: int,
    totals: Sequence[MonthTotal],
    contracts: Sequence[ContractTerms],
    lots: Sequence[LotTerms],
) -> dict[int, ContractTerms]:
    """The contract each total of ``year`` is booked on, as :func:`reconcile` reads it (its
    reference, or its lot's contract in force that month), for the funding-form checks; totals
    on no contract in force are left out."""
    ctx = _context(year, 12, contracts, lots, (), {}, ())
    found: dict[int, ContractTerms] = {}
    for t in totals:
        if t.year != year:
            continue
        contract, _ = _contract_of(ctx, t)
        if contract is not None and t.month in ctx.in_force.get(contract.reference, []):
            found[t.id] = contract
    return found


def partial_memberships(
    year: int,
    totals: Sequence[MonthTotal],
    contracts: Sequence[ContractTerms],
    lots: Sequence[LotTerms],
) -> dict[int, tuple[MemberPeriod, ...]]:
    """The totals whose provider was a member of the partnership holding their contract on
    only some days of the month, with that provider's memberships: the service sorts their
    rows by booking date into ``not_member`` for :func:`reconcile`."""
    ctx = _context(year, 12, contracts, lots, (), {}, ())
    result: dict[int, tuple[MemberPeriod, ...]] = {}
    for t in totals:
        if t.year != year:
            continue
        contract, _ = _contract_of(ctx, t)
        if contract is None:
            continue
        holding = ctx.holding(contract, t.month)
        dated = holding.memberships
        if dated is not None and ctx.membership(holding, t.provider, t.month) == "part":
            result[t.id] = tuple(m for m in dated if m.provider == t.provider)
    return result


def _classify(
    ctx: _Context,
    t: MonthTotal,
    flagged: dict[tuple[str, str, str | None], _Acc],
    outside: tuple[int, int] | None,
    not_member: tuple[int, int] | None = None,
) -> _Target:
    """Flag what is wrong with one monthly total and say where its money counts; a flag is
    kept per partnership whose rows these are, so each is shown its own."""
    owner = ctx.owner_in(t.reference, t.month)

    def flag(
        kind: str,
        subject: str,
        detail: str,
        facts: dict[str, object],
        amount: int | None = None,
        rows: int | None = None,
    ) -> _Acc:
        acc = flagged[(kind, subject, owner)]
        acc.detail = acc.detail or detail
        acc.facts = acc.facts or facts
        acc.add(t, t.amount_cents if amount is None else amount, t.rows if rows is None else rows)
        return acc

    district_area = ctx.area_of_district.get(t.district) if t.district else None
    if t.district and district_area is None:
        flag(
            "district-not-in-one-area",
            f"district {t.district}",
            f"district {t.district} ({t.municipality}) is in no area",
            {"district": t.district, "municipality": t.municipality, "areas": ()},
        )
    contract, lot = _contract_of(ctx, t)
    # A regional contract covers other municipalities beside its lot's: their spending is in.
    elsewhere_covered = (
        contract is not None
        and t.municipality != (lot.municipality if lot is not None else "")
        and t.municipality in contract.municipalities
    )
    if lot is not None and not elsewhere_covered:
        if (district_area is not None and district_area != lot.area) or (
            t.municipality != lot.municipality
        ):
            where = f"district {t.district}" if t.district else f"municipality {t.municipality}"
            flag(
                "district-outside-lot",
                f"lot {lot.reference} · {where}",
                f"{where} lies in area {district_area or '(none)'}; lot {lot.reference} covers "
                f"area {lot.area} of {lot.municipality}",
                {
                    "lot": lot.reference,
                    "district": t.district,
                    "municipality": t.municipality,
                    "district_area": district_area,
                    "lot_area": lot.area,
                    "lot_municipality": lot.municipality,
                },
            )
        if t.domain not in lot.domains:
            flag(
                "domain-not-covered",
                f"lot {lot.reference} · {t.domain}",
                f"lot {lot.reference} covers {', '.join(sorted(lot.domains))}",
                {
                    "lot": lot.reference,
                    "domain": t.domain,
                    "lot_domains": tuple(sorted(lot.domains)),
                },
            )
    if contract is None:
        facts: dict[str, object]
        if lot is not None:
            subject, reason = f"lot {lot.reference}", "the lot has no contract in force"
            facts = {"cause": "lot-without-contract", "lot": lot.reference}
        elif t.reference:
            subject, reason = f"reference {t.reference}", "no contract or lot has this reference"
            facts = {"cause": "unknown-reference", "reference": t.reference}
        else:
            subject, reason = f"no reference ({t.municipality})", "the rows name no contract"
            facts = {"cause": "no-reference", "municipality": t.municipality}
        flag("no-contract", subject, reason, facts)
        area = lot.area if lot is not None else district_area
        if area is None and len(ctx.areas_of_municipality.get(t.municipality, [])) == 1:
            area = ctx.areas_of_municipality[t.municipality][0]
        return ("area", area) if area is not None else ("municipality", t.municipality)

    holding = ctx.holding(contract, t.month)
    if holding.memberships is None:
        membership = "all" if t.provider in holding.members else "none"
        members = holding.members
    else:
        membership = ctx.membership(holding, t.provider, t.month)
        members = ctx.members_in(holding, t.month)
    if membership == "none" or (membership == "part" and not_member and not_member[1]):
        flag(
            "provider-not-member",
            f"contract {contract.reference} · {t.provider}",
            f"{t.provider} is no member of {holding.partnership} on the booking date (members: "
            f"{', '.join(sorted(members)) or 'none of record'})",
            {
                "contract": contract.reference,
                "provider": t.provider,
                "partnership": holding.partnership,
                "members": tuple(sorted(members)),
            },
            *(not_member if membership == "part" and not_member else ()),
        )
    subject = f"contract {contract.reference}"
    period = f"contract period {contract.starts_on} to {contract.ends_on}"
    period_facts: dict[str, object] = {
        "contract": contract.reference,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
    }
    if t.month not in ctx.in_force.get(contract.reference, []):
        flag("outside-contract-period", subject, period, period_facts).period = (
            contract.starts_on,
            contract.ends_on,
        )
    elif outside is not None and outside[1]:
        flag("outside-contract-period", subject, period, period_facts, *outside).period = (
            contract.starts_on,
            contract.ends_on,
        )
    return ("contract", holding.key)


def _lines(
    ctx: _Context,
    spent: Mapping[tuple[_Target, str], int],
    allocated: Mapping[tuple[str, str], int],
    allocated_in: set[str],
) -> dict[_Target, list[ReconciliationLine]]:
    """The domain lines and a total line per contract, per area without one, per municipality
    with spending that reached neither."""
    # An area's allocation for a domain goes to the contracts in force that cover it, split in
    # proportion to their months in force (one contract: all of it); to the area where none does.
    # A contract taken over in the year is as many holdings, each with its own months.
    share: dict[tuple[_Target, str], int] = {}
    held = [h for h in ctx.holdings.values() if h.months]
    for (area_code, domain), amount in sorted(allocated.items()):
        covering = [
            h for h in held if h.contract.lot.area == area_code and domain in h.contract.lot.domains
        ]
        covering.sort(key=lambda h: (h.contract.starts_on, h.contract.reference, h.since))
        if not covering:
            share[(("area", area_code), domain)] = amount
            continue
        parts = split_cents(amount, [len(h.months) for h in covering], [h.key for h in covering])
        for h, part in zip(covering, parts.tolist(), strict=True):
            share[(("contract", h.key), domain)] = int(part)

    targets = {target for target, _ in spent} | {target for target, _ in share}
    targets |= {("contract", h.key) for h in held}
    lines_of: dict[_Target, list[ReconciliationLine]] = {}
    for target in targets:
        kind, code = target
        holding = ctx.holdings.get(code) if kind == "contract" else None
        contract = holding.contract if holding is not None else None
        if holding is not None and contract is not None:
            lot: str | None = contract.lot.reference
            area: str | None = contract.lot.area
            municipality = contract.lot.municipality
            partnership: str | None = holding.partnership
            months = holding.months
            total, elapsed = len(months), len([m for m in months if m <= ctx.to_month])
            ceiling = contract.ceiling_cents if months else None
            covered: set[str] = set(contract.lot.domains)
        else:
            lot = None
            area = code if kind == "area" else None
            municipality = ctx.area_terms[code].municipality if kind == "area" else code
            partnership = ctx.area_terms[code].partnership if kind == "area" else None
            total, elapsed, ceiling = 12, ctx.to_month, None
            covered = set()
        # A contract in force carries the allocation of the domains its lot covers; an area
        # without one carries its own. Anything else (an expired contract, spending with no
        # contract in an area whose allocation sits on its contracts) shows none.
        adopted = municipality in allocated_in
        group = []
        for domain in ctx.domains:
            amount = spent.get((target, domain), 0)
            carries = (target, domain) in share or (
                contract is not None and total > 0 and domain in covered
            )
            if not carries and not amount:
                continue
            group.append(
                _line(
                    contract.reference if contract is not None else None,
                    lot,
                    area,
                    municipality,
                    partnership,
                    domain,
                    share.get((target, domain), 0) if adopted and carries else None,
                    None,
                    amount,
                    total,
                    elapsed,
                    terms=contract,
                )
            )
        allocations = [line.allocated_cents for line in group if line.allocated_cents is not None]
        group.append(
            _line(
                contract.reference if contract is not None else None,
                lot,
                area,
                municipality,
                partnership,
                "total",
                sum(allocations) if allocations else None,
                ceiling,
                sum(line.spent_cents for line in group),
                total,
                elapsed,
                terms=contract,
                contract_sum=(
                    _contract_sum(contract, months)
                    if holding is not None and contract is not None
                    else None
                ),
            )
        )
        lines_of[target] = group
    return lines_of


def _group_order(ctx: _Context) -> Callable[[tuple[_Target, object]], tuple[str, int, str]]:
    def key(item: tuple[_Target, object]) -> tuple[str, int, str]:
        (kind, code), _ = item
        if kind == "contract":
            h = ctx.holdings[code]
            c = h.contract
            order = f"{c.lot.reference} {c.starts_on} {c.reference} {h.since}"
            return (c.lot.municipality, 0, order)
        if kind == "area":
            return (ctx.area_terms[code].municipality, 1, code)
        return (code, 2, code)

    return key


def _contract_exceptions(
    ctx: _Context,
    lines_of: Mapping[_Target, list[ReconciliationLine]],
    spent_by_month: Mapping[str, Mapping[int, int]],
) -> list[ReconciliationException]:
    """Ceiling and contract-amount findings, about a contract as a whole (all its holdings):
    shown to the partnership that held it when the ceiling was passed, and to the one holding
    it at the end of the period reconciled."""
    found = []
    for ref, months in sorted(ctx.in_force.items()):
        contract = ctx.by_contract[ref]
        totals = [
            lines_of[("contract", h.key)][-1]
            for h in ctx.holdings_of[ref]
            if ("contract", h.key) in lines_of
        ]
        spent = sum(line.spent_cents for line in totals)
        allocations = [line.allocated_cents for line in totals if line.allocated_cents is not None]
        allocated = sum(allocations) if allocations else None
        ceiling = contract.ceiling_cents
        if ceiling is None:
            continue
        holder = ctx.holding(contract, min(max(ctx.to_month, months[0]), months[-1])).partnership
        cumulative, crossed = 0, None
        for month, amount in sorted(spent_by_month.get(ref, {}).items()):
            cumulative += amount
            if crossed is None and cumulative > ceiling:
                crossed = month
        if crossed is not None:
            found.append(
                ReconciliationException(
                    kind="over-ceiling",
                    subject=f"contract {ref}",
                    amount_cents=spent - ceiling,
                    rows=0,
                    partnership=ctx.holding(contract, crossed).partnership,
                    detail=(
                        f"spent {format_euro(spent)} to "
                        f"{ctx.year}-{ctx.to_month:02d} against a ceiling of "
                        f"{format_euro(ceiling)} for {ctx.year}; passed in "
                        f"{ctx.year}-{crossed:02d}"
                    ),
                    facts={
                        "contract": ref,
                        "spent_cents": spent,
                        "ceiling_cents": ceiling,
                        "year": ctx.year,
                        "to_month": ctx.to_month,
                        "crossed_month": crossed,
                    },
                )
            )
        if allocated is not None and allocated != ceiling:
            found.append(
                ReconciliationException(
                    kind="allocation-differs",
                    subject=f"contract {ref}",
                    amount_cents=allocated - ceiling,
                    rows=0,
                    partnership=holder,
                    detail=(
                        f"area {contract.lot.area} is allocated "
                        f"{format_euro(allocated)} for {ctx.year} "
                        f"({len(months)} months in force); the contract amount (ceiling) is "
                        f"{format_euro(ceiling)}"
                    ),
                    facts={
                        "contract": ref,
                        "area": contract.lot.area,
                        "allocated_cents": allocated,
                        "ceiling_cents": ceiling,
                        "year": ctx.year,
                        "months_in_force": len(months),
                    },
                )
            )
    return found


def _duplicate_exceptions(
    ctx: _Context, duplicates: Sequence[DuplicateInvoice]
) -> list[ReconciliationException]:
    """One finding per repeated row, about the partnership whose row the repeat is.

    A year may hold tens of thousands of repeats: whose row one is depends only on its
    reference and day, so that is looked up once per pair."""
    owners: dict[tuple[str, date], str | None] = {}
    found = []
    for dup in duplicates:
        booked_on = dup.booked_on
        if booked_on.year != ctx.year or booked_on.month > ctx.to_month:
            continue
        key = (dup.reference, booked_on)
        if key in owners:
            owner = owners[key]
        else:
            owner = owners[key] = ctx.owner(dup.reference, booked_on)
        day = booked_on.isoformat()
        found.append(
            ReconciliationException(
                kind="duplicate-invoice",
                subject=f"invoice {dup.invoice_reference}",
                amount_cents=dup.amount_cents,
                rows=1,
                partnership=owner,
                detail=(
                    f"repeats invoice {dup.original_invoice_reference}: {dup.provider}, "
                    f"{dup.reference or 'no reference'}, {dup.domain}, "
                    f"{dup.district or 'no district'}, {booked_on}, "
                    f"{format_euro(dup.amount_cents)}"
                ),
                facts={
                    "invoice": dup.invoice_reference,
                    "original": dup.original_invoice_reference,
                    "provider": dup.provider,
                    "reference": dup.reference,
                    "domain": dup.domain,
                    "district": dup.district,
                    "booked_on": booked_on,
                    "amount_cents": dup.amount_cents,
                },
                evidence=(
                    {
                        "invoice_reference": dup.invoice_reference,
                        "file": dup.file_name,
                        "line": dup.line,
                        "booked_on": day,
                        "amount_cents": dup.amount_cents,
                    },
                    {
                        "invoice_reference": dup.original_invoice_reference,
                        "file": dup.original_file_name,
                        "line": dup.original_line,
                        "booked_on": day,
                        "amount_cents": dup.amount_cents,
                    },
                ),
            )
        )
    return found


def _months_text(months: Iterable[int], year: int) -> str:
    return ", ".join(f"{year}-{m:02d}" for m in sorted(months))


def _line(
    contract: str | None,
    lot: str | None,
    area: str | None,
    municipality: str,
    partnership: str | None,
    domain: str,
    allocated: int | None,
    ceiling: int | None,
    spent: int,
    months_total: int,
    months_elapsed: int,
    *,
    terms: ContractTerms | None = None,
    contract_sum: int | None = None,
) -> ReconciliationLine:
    """One line; ``contract_sum`` (a task-based contract's total) is its forecast, else the
    run-rate."""
    if contract_sum is not None:
        forecast, method = contract_sum, "contract-sum"
    else:
        forecast, method = run_rate_forecast(spent, months_elapsed, months_total), "run-rate"
    return ReconciliationLine(
        contract=contract,
        lot=lot,
        area=area,
        municipality=municipality,
        partnership=partnership,
        domain=domain,
        allocated_cents=allocated,
        ceiling_cents=ceiling,
        spent_cents=spent,
        forecast_cents=forecast,
        remaining_cents=None if allocated is None else allocated - spent,
        variance_cents=None if allocated is None else allocated - forecast,
        status=line_status(spent, forecast, allocated, ceiling),
        months_in_force=months_total,
        months_elapsed=months_elapsed,
        segment=terms.segment if terms is not None else None,
        funding_form=terms.funding_form if terms is not None else None,
        forecast_method=method,
    )


def _contract_sum(contract: ContractTerms, months: Sequence[int]) -> int | None:
    """A task-based contract's forecast for the months it is held: what its schedule has due
    in them (None for the other forms, or with no schedule: they forecast by run-rate)."""
    if contract.funding_form != "task-based" or not contract.instalments:
        return None
    held = set(months)
    return sum(cents for month, cents in contract.instalments if month in held)
