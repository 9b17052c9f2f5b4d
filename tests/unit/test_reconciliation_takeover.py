"""A contract taken over by another partnership: whose rows are whose, and the split line."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from populatie.core.reconciliation import (
    AreaTerms,
    ContractTerms,
    DuplicateInvoice,
    LotTerms,
    MonthTotal,
    Takeover,
    last_months,
    owner_on,
    reconcile,
    reference_owners,
)

DOMAINS = ("prevention", "access", "specialist")
LOT = LotTerms("GM0518/1", "GM0518", "A1", "P", frozenset(DOMAINS))
AREAS = [AreaTerms("A1", "GM0518", "P")]
DISTRICTS = {"WK051801": "A1"}
NOVATED = ContractTerms(
    "C1",
    LOT,
    "P",
    frozenset({"p-member"}),
    date(2025, 1, 1),
    date(2025, 12, 31),
    1_000,
    takeovers=(Takeover("Q", frozenset({"q-member"}), date(2025, 7, 1)),),
)


def _total(id: int, month: int, provider: str, amount: int = 100, ref: str = "C1") -> MonthTotal:
    return MonthTotal(id, 2025, month, "GM0518", "WK051801", ref, "access", provider, amount, 1)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_a_row_is_the_holders_on_its_booking_date(day: date) -> None:
    earlier = ContractTerms(
        "C0", LOT, "P", frozenset(), date(2023, 3, 15), date(2024, 12, 20), None
    )
    owners = reference_owners([NOVATED, earlier], [LOT])
    expected = "Q" if day >= date(2025, 7, 1) else "P"
    assert owner_on(owners, "C1", day) == expected
    # the lot: its contract's holder while one is in force, else the lot's partnership
    in_force = date(2025, 1, 1) <= day <= date(2025, 12, 31)
    assert owner_on(owners, "GM0518/1", day) == (expected if in_force else "P")
    assert owner_on(owners, "C0", day) == "P"
    assert owner_on(owners, "nothing", day) is None
    # the lot's periods cover every day once, in order
    periods = owners["GM0518/1"]
    assert periods[0][0] == date.min
    assert periods[-1][1] == date.max
    assert all(a[1] == b[0] for a, b in pairwise(periods))


def test_a_lot_with_no_contract_in_force_is_the_lots_partnership() -> None:
    other = ContractTerms("C2", LOT, "Q", frozenset(), date(2026, 2, 10), date(2026, 3, 5), None)
    owners = reference_owners([other], [LOT])
    assert owner_on(owners, "GM0518/1", date(2026, 1, 31)) == "P"
    assert owner_on(owners, "GM0518/1", date(2026, 2, 1)) == "Q"  # whole months, as reconciled
    assert owner_on(owners, "GM0518/1", date(2026, 3, 31)) == "Q"
    assert owner_on(owners, "GM0518/1", date(2026, 4, 1)) == "P"


def _dup(invoice: str, day: date) -> DuplicateInvoice:
    return DuplicateInvoice(
        invoice, invoice + "-0", day, "x", "C1", "access", "", 50, "f.csv", 2, "f.csv", 1
    )


def test_the_line_splits_at_the_takeover_and_each_finding_names_its_partnership() -> None:
    totals = [_total(m, m, "p-member" if m < 7 else "q-member", 100) for m in range(1, 13)]
    totals.append(_total(20, 3, "q-member", 7))  # Q's member on P's months: not P's member
    totals.append(_total(21, 10, "q-member", 1_000))  # passes the ceiling in October
    result = reconcile(
        2025,
        12,
        totals,
        [NOVATED],
        [LOT],
        AREAS,
        DISTRICTS,
        {("A1", d): 1_001 for d in DOMAINS},
        ["GM0518"],
        DOMAINS,
        duplicates=[_dup("D-P", date(2025, 6, 30)), _dup("D-Q", date(2025, 7, 1))],
    )
    lines = [line for line in result.lines if line.domain == "total"]
    assert [(x.partnership, x.months_in_force, x.spent_cents) for x in lines] == [
        ("P", 6, 607),
        ("Q", 6, 1_600),
    ]
    # the allocation is split by months held, to the cent
    for domain in DOMAINS:
        parts = [x.allocated_cents for x in result.lines if x.domain == domain]
        assert sorted(parts) == [500, 501]  # type: ignore[type-var]
    found = {(e.kind, e.subject): e.partnership for e in result.exceptions}
    assert found[("provider-not-member", "contract C1 · q-member")] == "P"
    assert found[("duplicate-invoice", "invoice D-P")] == "P"
    assert found[("duplicate-invoice", "invoice D-Q")] == "Q"
    assert found[("over-ceiling", "contract C1")] == "Q"
    assert found[("allocation-differs", "contract C1")] == "Q"
    assert last_months(2025, totals[:6], [NOVATED], [LOT], AREAS, DISTRICTS) == {"P": 6}
    assert last_months(2025, totals, [NOVATED], [LOT], AREAS, DISTRICTS) == {"P": 6, "Q": 12}


def test_a_contract_never_taken_over_keeps_its_one_line() -> None:
    plain = ContractTerms(
        "C1", LOT, "P", frozenset({"p-member"}), date(2025, 1, 1), date(2025, 12, 31), None
    )
    result = reconcile(
        2025,
        3,
        [_total(1, 2, "p-member")],
        [plain],
        [LOT],
        AREAS,
        DISTRICTS,
        {},
        ["GM0518"],
        DOMAINS,
    )
    assert {(x.contract, x.partnership) for x in result.lines} == {("C1", "P")}
    assert result.lines[-1].months_in_force == 12
