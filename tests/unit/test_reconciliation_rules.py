"""The pure reconciliation rules: no database, hand-made inputs."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.core.reconciliation import (
    EXCEPTION_KINDS,
    AreaTerms,
    ContractTerms,
    CoverageProblem,
    DuplicateInvoice,
    LotTerms,
    MonthTotal,
    boundary_months,
    ceiling_for_year,
    district_coverage,
    line_status,
    months_in_force,
    reconcile,
    round_half_away,
    run_rate_forecast,
)

DOMAINS = ("prevention", "access", "specialist")
LOT1 = LotTerms("GM0518/1", "GM0518", "A1", "P", frozenset(DOMAINS))
LOT2 = LotTerms("GM0518/2", "GM0518", "A2", "Q", frozenset({"access"}))
AREAS = [AreaTerms("A1", "GM0518", "P"), AreaTerms("A2", "GM0518", "Q")]
DISTRICTS = {"WK051801": "A1", "WK051811": "A2"}


def contract(
    reference: str = "C1",
    lot: LotTerms = LOT1,
    start: date = date(2025, 1, 1),
    end: date = date(2025, 12, 31),
    ceiling: int | None = 1_000,
) -> ContractTerms:
    return ContractTerms(
        reference, lot, lot.partnership, frozenset({"member"}), start, end, ceiling
    )


def total(
    id: int,
    month: int = 1,
    reference: str = "C1",
    amount: int = 100,
    district: str = "WK051801",
    domain: str = "access",
    provider: str = "member",
    municipality: str = "GM0518",
) -> MonthTotal:
    return MonthTotal(
        id, 2025, month, municipality, district, reference, domain, provider, amount, rows=2
    )


def run(totals: list[MonthTotal], contracts: list[ContractTerms], **kw: object):  # type: ignore[no-untyped-def]
    allocated = kw.pop("allocated", {("A1", d): 400 for d in DOMAINS})
    return reconcile(
        2025,
        kw.pop("to_month", 12),  # type: ignore[arg-type]
        totals,
        contracts,
        [LOT1, LOT2],
        AREAS,
        DISTRICTS,
        allocated,  # type: ignore[arg-type]
        ["GM0518"],
        DOMAINS,
        **kw,  # type: ignore[arg-type]
    )


def kinds(result) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    return [(e.kind, e.subject, e.amount_cents) for e in result.exceptions]


# --- small rules ------------------------------------------------------------------------------


@given(st.integers(-(10**15), 10**15), st.integers(1, 10**6))
def test_round_half_away_is_the_nearest_integer(numerator: int, denominator: int) -> None:
    exact = Fraction(numerator, denominator)
    got = round_half_away(numerator, denominator)
    assert abs(got - exact) <= Fraction(1, 2)
    if abs(got - exact) == Fraction(1, 2):
        assert abs(got) > abs(exact)  # halves away from zero
    assert round_half_away(-numerator, denominator) == -got


def test_ceiling_for_year_indexes_from_the_last_agreed_year() -> None:
    ceilings = {2024: 1_000_000, 2026: 2_000_000}
    assert ceiling_for_year(ceilings, 250, 2023) is None
    assert ceiling_for_year(ceilings, 250, 2024) == 1_000_000
    assert ceiling_for_year(ceilings, 250, 2025) == 1_025_000
    assert ceiling_for_year(ceilings, 250, 2026) == 2_000_000  # agreed beats indexed
    assert ceiling_for_year(ceilings, 250, 2028) == 2_101_250  # 2.05e6, then 2101250
    assert ceiling_for_year({2024: 333}, 333, 2025) == 344  # 343.0889 rounds once a year
    assert ceiling_for_year({2024: 100}, -1_000, 2025) == 90


def test_months_in_force_and_boundary_months() -> None:
    assert months_in_force(date(2024, 1, 1), date(2026, 12, 31), 2025) == list(range(1, 13))
    assert months_in_force(date(2025, 3, 15), date(2025, 6, 1), 2025) == [3, 4, 5, 6]
    assert months_in_force(date(2020, 1, 1), date(2023, 12, 31), 2025) == []
    assert boundary_months(date(2025, 3, 15), date(2025, 6, 1), 2025) == {3, 6}
    assert boundary_months(date(2025, 3, 1), date(2025, 6, 30), 2025) == set()
    assert boundary_months(date(2024, 2, 2), date(2026, 2, 2), 2025) == set()


def test_run_rate_forecast() -> None:
    assert run_rate_forecast(700, 7, 12) == 1200
    assert run_rate_forecast(100, 3, 12) == 400
    assert run_rate_forecast(1, 3, 12) == 4
    assert run_rate_forecast(2, 3, 5) == 3  # 3.33 → 3
    assert run_rate_forecast(50, 0, 12) == 50
    assert run_rate_forecast(-5, 2, 12) == -30


@pytest.mark.parametrize(
    ("spent", "forecast", "allocated", "ceiling", "status"),
    [
        (10, 20, 30, None, "on track"),
        (10, 40, 30, None, "forecast over allocation"),
        (31, 40, 30, None, "over allocation"),
        (10, 40, 30, 35, "forecast over ceiling"),
        (36, 40, 100, 35, "over ceiling"),
        (5, 5, None, None, "no allocation"),
        (0, 0, None, None, "on track"),
    ],
)
def test_line_status(
    spent: int, forecast: int, allocated: int | None, ceiling: int | None, status: str
) -> None:
    assert line_status(spent, forecast, allocated, ceiling) == status


def test_district_coverage_finds_gaps_and_overlaps() -> None:
    record = {"WK1": "GM1", "WK2": "GM1", "WK3": "GM1"}
    problems = district_coverage({"A": ["WK1", "WK2"], "B": ["WK2"]}, record)
    assert problems == [
        CoverageProblem("WK2", "GM1", ("A", "B")),
        CoverageProblem("WK3", "GM1", ()),
    ]
    assert district_coverage({"A": ["WK1", "WK2", "WK3"]}, record) == []


# --- the reconciliation -----------------------------------------------------------------------


def test_clean_spending_raises_no_exception() -> None:
    result = run([total(1, domain=d, amount=100) for d in DOMAINS], [contract(ceiling=1_200)])
    assert result.exceptions == []
    lines = {(line.contract, line.domain): line for line in result.lines}
    assert lines[("C1", "access")].allocated_cents == 400
    assert lines[("C1", "total")].ceiling_cents == 1_200
    assert lines[("C1", "total")].spent_cents == 300


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        ([total(1, reference="")], ("no-contract", "no reference (GM0518)", 100)),
        ([total(1, reference="X9")], ("no-contract", "reference X9", 100)),
        (
            [total(1, district="WK051811")],
            ("district-outside-lot", "lot GM0518/1 · district WK051811", 100),
        ),
        (
            [total(1, municipality="GM0503", district="")],
            ("district-outside-lot", "lot GM0518/1 · municipality GM0503", 100),
        ),
        (
            [total(1, provider="stranger")],
            ("provider-not-member", "contract C1 · stranger", 100),
        ),
        (
            [total(1, reference="C2", domain="specialist", district="WK051811")],
            ("domain-not-covered", "lot GM0518/2 · specialist", 100),
        ),
        (
            [total(1, district="WK059999")],
            ("district-not-in-one-area", "district WK059999", 100),
        ),
        (
            [total(1, month=11, reference="C3", district="WK051811")],
            ("outside-contract-period", "contract C3", 100),
        ),
        (
            [total(1, month=5, reference="GM0518/2", district="WK051811")],
            ("no-contract", "lot GM0518/2", 100),
        ),
    ],
)
def test_each_kind_is_found_on_its_own(
    totals: list[MonthTotal], expected: tuple[str, str, int]
) -> None:
    contracts = [
        contract(ceiling=None),
        contract("C2", LOT2, end=date(2025, 4, 30), ceiling=None),
        contract("C3", LOT2, start=date(2024, 1, 1), end=date(2024, 12, 31), ceiling=None),
    ]
    assert kinds(run(totals, contracts)) == [expected]


def test_outside_period_counts_only_what_the_rows_say_in_a_boundary_month() -> None:
    c = contract(end=date(2025, 6, 15), ceiling=None)
    result = run([total(7, month=6, amount=500)], [c], outside_period={7: (120, 1)})
    (exc,) = result.exceptions
    assert (exc.kind, exc.amount_cents, exc.rows, exc.period) == (
        "outside-contract-period",
        120,
        1,
        (date(2025, 1, 1), date(2025, 6, 15)),
    )
    assert run([total(7, month=6)], [c], outside_period={7: (0, 0)}).exceptions == []


def test_over_ceiling_names_the_month_it_was_passed() -> None:
    totals = [total(i, month=i, amount=300) for i in range(1, 6)]
    result = run(totals, [contract(ceiling=1_000)], allocated={("A1", "access"): 1_000})
    (exc,) = result.exceptions
    assert (exc.kind, exc.amount_cents) == ("over-ceiling", 500)
    assert "passed in 2025-04" in exc.detail
    assert result.lines[-1].status == "over ceiling"


def test_allocation_that_differs_from_the_contract_amount() -> None:
    result = run([], [contract(ceiling=1_000)])
    (exc,) = result.exceptions
    assert (exc.kind, exc.amount_cents) == ("allocation-differs", 200)


def test_duplicates_and_configuration_problems_are_listed() -> None:
    dup = DuplicateInvoice(
        "I-2", "I-1", date(2025, 3, 3), "member", "C1", "access", "WK051801", 100, "f", 3, "f", 2
    )
    later = DuplicateInvoice(
        "I-9", "I-8", date(2025, 11, 3), "member", "C1", "access", "", 100, "f", 9, "f", 8
    )
    coverage = [CoverageProblem("WK051899", "GM0518", ())]
    result = run(
        [], [contract(ceiling=None)], duplicates=[dup, later], coverage=coverage, to_month=6
    )
    assert kinds(result) == [
        ("duplicate-invoice", "invoice I-2", 100),
        ("district-not-in-one-area", "district WK051899", 0),
    ]
    assert [e["invoice_reference"] for e in result.exceptions[0].evidence] == ["I-2", "I-1"]


def test_every_kind_has_a_description() -> None:
    assert len(EXCEPTION_KINDS) == 14  # nine of every contract, five of the funding forms
    assert all(EXCEPTION_KINDS.values())


@given(
    st.integers(0, 10**12),
    st.lists(st.integers(1, 12), min_size=1, max_size=4),
)
def test_an_area_allocation_split_over_successive_contracts_adds_up(
    amount: int, lengths: list[int]
) -> None:
    """Contracts following each other on one lot share the area's allocation by months in
    force, to the cent."""
    contracts = []
    month = 1
    for i, length in enumerate(lengths):
        if month > 12:
            break
        end_month = min(12, month + length - 1)
        end = date(2025, end_month, 28)
        contracts.append(contract(f"C{i}", start=date(2025, month, 1), end=end, ceiling=None))
        month = end_month + 1
    result = run([], contracts, allocated={("A1", "access"): amount})
    shares = [line.allocated_cents for line in result.lines if line.domain == "access"]
    assert sum(s or 0 for s in shares) == amount


def test_to_month_must_be_a_month() -> None:
    with pytest.raises(ValueError, match=r"1\.\.12"):
        run([], [], to_month=0)
