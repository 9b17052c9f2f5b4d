"""The pure rules of the funding forms: instalments, stage shares, tariffs, and the exceptions
of :mod:`populatie.core.funding_checks`, on hand-made inputs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.core.funding import (
    expected_cents,
    indexed_tariff,
    instalment_schedule,
    stage_percent,
)
from populatie.core.funding_checks import DetailTotal, StageRow, funding_exceptions
from populatie.core.reconciliation import (
    EXCEPTION_KINDS,
    ContractTerms,
    LotTerms,
    MonthTotal,
    reconcile,
)

LOT = LotTerms("GM0518/1", "GM0518", "A1", "P", frozenset({"specialist"}))


def terms(form: str, **kw: object) -> ContractTerms:
    base = ContractTerms(
        "C1", LOT, "P", frozenset({"m"}), date(2025, 1, 1), date(2025, 12, 31), None
    )
    return replace(base, funding_form=form, **kw)  # type: ignore[arg-type]


def month_total(id: int, month: int, amount: int) -> MonthTotal:
    return MonthTotal(id, 2025, month, "GM0518", "", "C1", "specialist", "m", amount, 1)


def detail(month_id: int = 1, **kw: object) -> DetailTotal:
    values: dict[str, object] = {
        "month_id": month_id,
        "segment": "",
        "product_code": "45A12",
        "stage": "",
        "unit": "hour",
        "quantity_hundredths": 250,
        "amount_cents": 21_333,
        "rows": 1,
        "first_spending_id": 7,
    }
    values.update(kw)
    return DetailTotal(**values)  # type: ignore[arg-type]


def kinds(found: list[object]) -> list[str]:
    return [e.kind for e in found]  # type: ignore[attr-defined]


def check(contract: ContractTerms, details=(), dropped=(), totals=None):  # type: ignore[no-untyped-def]
    totals = totals or {1: month_total(1, 3, 21_333)}
    return funding_exceptions(
        2025,
        12,
        totals,
        dict.fromkeys(totals, contract),
        lambda t: "P",
        details=details,
        dropped=dropped,
    )


# --- the money rules ----------------------------------------------------------------------------


@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=12),
    st.sampled_from(["monthly", "quarterly"]),
)
def test_instalments_add_up_to_the_yearly_sum_exactly(
    yearly: int, months: list[int], frequency: str
) -> None:
    schedule = instalment_schedule(yearly, months, frequency)
    assert sum(schedule.values()) == yearly
    assert set(schedule) <= set(months)
    assert max(schedule.values()) - min(schedule.values()) <= 1  # as equal as cents allow
    if frequency == "quarterly":
        assert len(schedule) == len({(m - 1) // 3 for m in months})


def test_no_month_in_force_is_no_instalment() -> None:
    assert instalment_schedule(1_000, [], "monthly") == {}


@given(
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=100),
)
def test_a_dropout_never_pays_the_completion_share(quantity: int, tariff: int, start: int) -> None:
    due = {
        stage: expected_cents(
            quantity, tariff, stage_percent("output-based-trajectory", stage, start)
        )
        for stage in ("start", "completion", "dropout")
    }
    assert due["dropout"] == 0
    # start and completion shares are the whole, to within the one cent each rounding may move
    whole = Fraction(quantity * tariff, 100)
    assert abs(due["start"] + due["completion"] - whole) <= 1


@given(
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=100),
)
def test_expected_cents_rounds_the_exact_product_half_away(
    quantity: int, tariff: int, percent: int
) -> None:
    exact = Fraction(quantity * tariff * percent, 100 * 100)
    got = expected_cents(quantity, tariff, percent)
    assert abs(got - exact) <= Fraction(1, 2)
    if abs(got - exact) == Fraction(1, 2):
        assert got > exact  # halves go up (all positive here)


def test_stage_shares_per_form() -> None:
    assert stage_percent("output-based-trajectory", "start", 60) == 60
    assert stage_percent("output-based-trajectory", "completion", 60) == 40
    assert stage_percent("output-based-trajectory", "dropout", 60) == 0
    assert stage_percent("effort-based", "completion", None) == 100
    with pytest.raises(ValueError, match="stage"):
        stage_percent("output-based-trajectory", "halfway", 60)


def test_a_tariff_is_indexed_from_the_last_year_set() -> None:
    assert indexed_tariff({2024: 10_000}, 250, 2023) is None
    assert indexed_tariff({2024: 10_000, 2026: 1}, 250, 2026) == 1
    # 10000 × 1.025 = 10250; × 1.025 = 10506.25 → 10506 (half to even not reached)
    assert indexed_tariff({2024: 10_000}, 250, 2026) == 10_506
    assert indexed_tariff({2024: 10_000}, 250, 2025) == 10_000 + 250


# --- the exceptions -----------------------------------------------------------------------------


def test_the_new_kinds_are_exception_kinds() -> None:
    assert {
        "tariff-mismatch",
        "product-not-contracted",
        "segment-not-contracted",
        "instalment-off-schedule",
        "paid-after-dropout",
    } <= set(EXCEPTION_KINDS)


def test_an_amount_equal_to_quantity_times_tariff_is_fine() -> None:
    contract = terms("effort-based", tariffs=(("45A12", "hour", 8_533),))
    # 2.5 × 85.33 = 213.325 → 213.33
    assert check(contract, [detail(amount_cents=21_333)]) == []


def test_a_tariff_mismatch_shows_both_amounts() -> None:
    contract = terms("effort-based", tariffs=(("45A12", "hour", 8_533),))
    (found,) = check(contract, [detail(amount_cents=22_000, rows=3)])
    assert found.kind == "tariff-mismatch"
    assert found.facts["amount_cents"] == 22_000
    assert found.facts["expected_cents"] == 21_333
    assert found.amount_cents == 3 * (22_000 - 21_333)
    assert "€ 220,00" in found.detail or "220.00" in found.detail
    assert found.evidence[0]["spending_id"] == 7


def test_a_trajectory_pays_its_stage_share() -> None:
    contract = terms(
        "output-based-trajectory", start_percent=60, tariffs=(("45A12", "trajectory", 100_000),)
    )
    start = detail(stage="start", quantity_hundredths=100, amount_cents=60_000)
    done = detail(stage="completion", quantity_hundredths=100, amount_cents=40_000)
    assert check(contract, [start, done]) == []
    wrong = detail(stage="completion", quantity_hundredths=100, amount_cents=100_000)
    assert kinds(check(contract, [wrong])) == ["tariff-mismatch"]


def test_a_product_off_the_contract_or_without_a_tariff() -> None:
    listed = terms("effort-based", product_codes=frozenset({"45A13"}), tariffs=())
    (found,) = check(listed, [detail()])
    assert (found.kind, found.facts["cause"]) == ("product-not-contracted", "not-covered")
    unpriced = terms("output-based-month", tariffs=(("45A13", "month", 1),))
    (found,) = check(unpriced, [detail()])
    assert (found.kind, found.facts["cause"]) == ("product-not-contracted", "no-tariff")
    # a population-based contract has no tariff to check
    assert check(terms("population-based"), [detail()]) == []


def test_a_segment_the_contract_does_not_buy() -> None:
    contract = terms("population-based", segment="B")
    assert check(contract, [detail(segment="B")]) == []
    (found,) = check(contract, [detail(segment="C")])
    assert (found.kind, found.facts["contract_segment"]) == ("segment-not-contracted", "B")


def test_instalments_off_schedule_name_each_month() -> None:
    contract = terms("task-based", instalments=((1, 1_000), (2, 1_000), (3, 1_000)))
    totals = {1: month_total(1, 1, 1_000), 2: month_total(2, 2, 1_500)}
    found = funding_exceptions(2025, 3, totals, dict.fromkeys(totals, contract), lambda t: "P")
    (exc,) = found
    assert exc.kind == "instalment-off-schedule"
    # February paid 500 too much, March's instalment not paid at all
    assert exc.facts["off"] == ((2, 1_000, 1_500), (3, 1_000, 0))
    assert exc.amount_cents == 500 - 1_000
    on = {1: month_total(1, 1, 1_000), 2: month_total(2, 2, 1_000)}
    assert funding_exceptions(2025, 2, on, dict.fromkeys(on, contract), lambda t: "P") == []


def _stage(i: int, stage: str, amount: int, day: int) -> StageRow:
    return StageRow(i, 1, "TW1", stage, date(2025, 3, day), "45A12", 100, amount)


def test_a_completion_after_a_dropout_is_paid_after_dropout() -> None:
    contract = terms(
        "output-based-trajectory", start_percent=60, tariffs=(("45A12", "trajectory", 1_000),)
    )
    rows = [_stage(1, "start", 600, 1), _stage(2, "dropout", 0, 5), _stage(3, "completion", 400, 9)]
    (found,) = check(contract, dropped=rows)
    assert (found.kind, found.amount_cents, found.facts["completions"]) == (
        "paid-after-dropout",
        400,
        1,
    )
    # no completion, but the dropout row pays 100 beyond the 600 of the start share
    rows = [_stage(1, "start", 600, 1), _stage(2, "dropout", 100, 5)]
    (found,) = check(contract, dropped=rows)
    assert (found.amount_cents, found.facts["allowed_cents"]) == (100, 600)
    # within the start share: nothing to say
    assert check(contract, dropped=[_stage(1, "start", 600, 1), _stage(2, "dropout", 0, 5)]) == []


@given(
    st.integers(min_value=0, max_value=100),
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=1, max_value=10**7),
)
def test_any_completion_payment_after_a_dropout_is_flagged(
    start: int, tariff: int, completion: int
) -> None:
    contract = terms(
        "output-based-trajectory", start_percent=start, tariffs=(("45A12", "trajectory", tariff),)
    )
    rows = [_stage(1, "dropout", 0, 2), _stage(2, "completion", completion, 3)]
    found = check(contract, dropped=rows)
    assert kinds(found) == ["paid-after-dropout"]
    assert found[0].amount_cents == completion


def test_a_task_based_total_forecasts_its_contract_sum() -> None:
    contract = replace(
        terms("task-based", instalments=tuple((m, 100) for m in range(1, 13))), ceiling_cents=1_200
    )
    result = reconcile(
        2025, 2, [month_total(1, 1, 100), month_total(2, 2, 100)], [contract], [LOT], [],
        {}, {}, [], ("specialist",),
    )  # fmt: skip
    total = next(line for line in result.lines if line.domain == "total")
    assert (total.forecast_cents, total.forecast_method) == (1_200, "contract-sum")
    assert (total.funding_form, total.segment) == ("task-based", None)
    specialist = next(line for line in result.lines if line.domain == "specialist")
    assert specialist.forecast_method == "run-rate"


def test_a_month_price_times_the_months() -> None:
    contract = terms("output-based-month", tariffs=(("43A01", "month", 4_250_00),))
    three = detail(product_code="43A01", unit="month", quantity_hundredths=300)
    assert check(contract, [replace(three, amount_cents=12_750_00)]) == []
    (found,) = check(contract, [replace(three, amount_cents=12_000_00)])
    assert (found.kind, found.facts["expected_cents"]) == ("tariff-mismatch", 12_750_00)
    # half a month is half the price, to the cent
    half = replace(three, quantity_hundredths=50, amount_cents=2_125_00)
    assert check(contract, [half]) == []
