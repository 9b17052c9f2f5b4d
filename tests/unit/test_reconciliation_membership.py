"""The provider-not-member rule with dated memberships: a member on the booking date is no
exception, whole months are decided by the dates alone, and a month a membership covers in
part counts only the rows the service found on days the provider was no member."""

from __future__ import annotations

import dataclasses
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from populatie.core.reconciliation import (
    MemberPeriod,
    Takeover,
    member_months,
    partial_memberships,
)
from tests.unit.test_reconciliation_rules import LOT1, LOT2, contract, run, total

DATED = (
    MemberPeriod("lead", date(2024, 1, 1)),
    MemberPeriod("member", date(2024, 1, 1), date(2025, 3, 15)),
    MemberPeriod("sub", date(2025, 2, 1)),
)


def _dated(memberships: tuple[MemberPeriod, ...] = DATED):  # type: ignore[no-untyped-def]
    return dataclasses.replace(contract(ceiling=None), memberships=memberships)


def test_member_months() -> None:
    assert member_months(DATED, "lead", 2025, 3) == "all"
    assert member_months(DATED, "member", 2025, 2) == "all"
    assert member_months(DATED, "member", 2025, 3) == "part"
    assert member_months(DATED, "member", 2025, 4) == "none"
    assert member_months(DATED, "sub", 2025, 1) == "none"
    assert member_months(DATED, "stranger", 2025, 5) == "none"
    back = (*DATED, MemberPeriod("member", date(2025, 3, 16), date(2025, 3, 31)))
    assert member_months(back, "member", 2025, 3) == "all"


@given(st.dates(date(2024, 1, 1), date(2026, 12, 31)), st.integers(1, 12))
def test_a_membership_of_whole_months_is_never_in_part(start: date, month: int) -> None:
    first = date(start.year, start.month, 1)
    period = (MemberPeriod("p", first),)
    answer = member_months(period, "p", 2025, month)
    assert answer == ("all" if first <= date(2025, month, 1) else "none")


def test_whole_months_are_decided_by_the_dates() -> None:
    c = _dated()
    totals = [
        total(1, month=2, provider="member"),  # member all month
        total(2, month=4, provider="member", amount=300),  # ended in March
        total(3, month=1, provider="sub", amount=50),  # subcontract starts in February
        total(4, month=2, provider="sub"),
    ]
    result = run(totals, [c], allocated={})
    found = {(e.kind, e.subject): (e.amount_cents, e.rows) for e in result.exceptions}
    assert found == {
        ("provider-not-member", "contract C1 · member"): (300, 2),
        ("provider-not-member", "contract C1 · sub"): (50, 2),
    }
    assert partial_memberships(2025, totals, [c], [LOT1, LOT2]) == {}


def test_a_month_in_part_counts_the_rows_the_service_found() -> None:
    c = _dated()
    march = [total(9, month=3, provider="member", amount=500)]
    assert partial_memberships(2025, march, [c], [LOT1, LOT2]) == {9: (DATED[1],)}
    (exc,) = run(march, [c], allocated={}, not_member={9: (120, 1)}).exceptions
    assert (exc.kind, exc.amount_cents, exc.rows) == ("provider-not-member", 120, 1)
    assert "member, sub" in exc.detail  # who was a member that month
    assert run(march, [c], allocated={}, not_member={9: (0, 0)}).exceptions == []
    assert run(march, [c], allocated={}).exceptions == []


def test_after_a_takeover_the_new_holders_memberships_count() -> None:
    c = dataclasses.replace(
        _dated(),
        takeovers=(
            Takeover("Q", frozenset(), date(2025, 7, 1), (MemberPeriod("q", date(2025, 7, 1)),)),
        ),
    )
    totals = [total(1, month=6, provider="lead"), total(2, month=8, provider="lead", amount=70)]
    totals += [total(3, month=8, provider="q")]
    found = {e.subject: e.amount_cents for e in run(totals, [c], allocated={}).exceptions}
    assert found == {"contract C1 · lead": 70}


def test_without_dated_memberships_the_undated_members_hold() -> None:
    totals = [total(1, provider="member"), total(2, provider="x", amount=9)]
    result = run(totals, [contract(ceiling=None)], allocated={})
    assert [(e.subject, e.amount_cents) for e in result.exceptions] == [("contract C1 · x", 9)]
