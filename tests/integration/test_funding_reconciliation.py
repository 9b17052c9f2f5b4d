"""Reconciliation by funding form on both databases: each new exception kind with its evidence,
forecasts by the form's method, and the JSON report's ``segment`` and ``funding_form``.

Three regional contracts on the two lots of the small registry: effort-based (P×Q) on lot 1
for segment B, two products, also covering Delft; task-based on lot 2 in the first half of 2025,
paid monthly; per trajectory on lot 2 in the second half, 60 % at the start.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from populatie.contracts.service import get_contract
from populatie.contracts.tariffs import TariffInput, set_tariff
from populatie.core.reconciliation import EXCEPTION_KINDS, Reconciliation
from populatie.db import session_scope
from populatie.reconciliation.service import reconcile_year, report_json
from populatie.segments.models import Segment
from populatie.spending.service import import_spending
from tests.integration.spending_support import (
    INCLUZIO,
    JEUGDFORMAAT,
    add_contract,
    row,
    seed_registry,
)
from tests.integration.test_spending_detail import DETAIL_HEADER

EFF_TARIFF = 85_33  # € 85.33 per hour
TRAJ_TARIFF = 1_000_00  # € 1,000.00 per trajectory
MONTHLY = 1_000_00


def _line(
    invoice: str,
    day: str,
    amount: str,
    reference: str,
    *,
    segment: str = "B",
    product: str = "",
    quantity: str = "",
    unit: str = "",
    stage: str = "",
    assignment: str = "",
    **values: str,
) -> str:
    lot2 = reference in ("TASK", "TRAJ")
    base = row(
        invoice_reference=invoice,
        booking_date=day,
        amount=amount,
        reference=reference,
        district=values.pop("district", "WK051811" if lot2 else "WK051801"),
        provider=JEUGDFORMAAT if lot2 else INCLUZIO,
        **values,
    )
    return base + f",{segment},{product},{quantity},{unit},{stage},{assignment}"


@pytest.fixture
def result(engine: Engine, tmp_path: Path) -> Reconciliation:
    seed_registry(engine)
    with session_scope(engine) as s:
        for code in ("B", "C"):
            s.add(Segment(code=code, name_nl=code, name_en=code, from_year=2020, source="t"))
    year = {"starts_on": date(2025, 1, 1), "ends_on": date(2025, 12, 31)}
    add_contract(
        engine,
        "EFF",
        funding_form="effort-based",
        segment="B",
        product_codes=("45A12", "45A13"),
        municipalities=("GM0518", "GM0503"),
        **year,
    )
    add_contract(
        engine,
        "TASK",
        lot="GM0518/2",
        funding_form="task-based",
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 6, 30),
        ceilings_cents={2025: 6 * MONTHLY},
    )
    add_contract(
        engine,
        "TRAJ",
        lot="GM0518/2",
        funding_form="output-based-trajectory",
        start_percent=60,
        segment="B",
        starts_on=date(2025, 7, 1),
        ends_on=date(2025, 12, 31),
    )
    with session_scope(engine) as s:
        set_tariff(
            s, get_contract(s, "EFF"), TariffInput("45A12", 2025, "hour", EFF_TARIFF), "t", "award"
        )
        set_tariff(s, get_contract(s, "EFF"), TariffInput("45A13", 2025, "hour", 1), "t", "award")
        set_tariff(
            s,
            get_contract(s, "TRAJ"),
            TariffInput("45C01", 2025, "trajectory", TRAJ_TARIFF),
            "t",
            "award",
        )
    hours = {"product": "45A12", "unit": "hour"}
    trajectory = {"product": "45C01", "unit": "trajectory", "quantity": "1"}
    rows = [
        _line("E-1", "2025-03-10", "213.33", "EFF", quantity="2.5", **hours),  # 2.5 × 85.33
        _line("E-2", "2025-03-11", "200.00", "EFF", quantity="2", **hours),  # due 170.66
        _line("E-3", "2025-03-12", "10.00", "EFF", product="45A99", quantity="1", unit="hour"),
        _line("E-4", "2025-03-13", "85.33", "EFF", segment="C", quantity="1", **hours),
        _line(
            "E-5", "2025-03-14", "85.33", "EFF", quantity="1", municipality="GM0503",
            district="WK050301", **hours,
        ),
        _line("K-1", "2025-01-15", "1000.00", "TASK", segment=""),
        _line("K-2", "2025-02-15", "1500.00", "TASK", segment=""),
        _line("K-3", "2025-03-15", "1000.00", "TASK", segment=""),
        _line("T-1", "2025-07-01", "600.00", "TRAJ", stage="start", assignment="TW1", **trajectory),
        _line("T-2", "2025-08-01", "0.00", "TRAJ", stage="dropout", assignment="TW1", **trajectory),
        _line(
            "T-3", "2025-09-01", "400.00", "TRAJ", stage="completion", assignment="TW1",
            **trajectory,
        ),
        _line("T-4", "2025-07-02", "600.00", "TRAJ", stage="start", assignment="TW2", **trajectory),
        _line(
            "T-5", "2025-09-02", "400.00", "TRAJ", stage="completion", assignment="TW2",
            **trajectory,
        ),
    ]  # fmt: skip
    path = tmp_path / "regional.csv"
    path.write_text("\n".join([DETAIL_HEADER, *rows]) + "\n", encoding="utf-8")
    import_spending(engine, path, user="t")
    with session_scope(engine) as s:
        return reconcile_year(s, 2025)


def _of(result: Reconciliation, kind: str) -> list[object]:
    return [e for e in result.exceptions if e.kind == kind]


def test_tariff_mismatch_shows_the_amount_and_quantity_times_tariff(
    result: Reconciliation,
) -> None:
    (exc,) = _of(result, "tariff-mismatch")
    assert exc.subject == "contract EFF · product 45A12"  # type: ignore[attr-defined]
    expected = round(2 * EFF_TARIFF)  # two hours, an exact product
    assert exc.facts["expected_cents"] == expected  # type: ignore[attr-defined]
    assert exc.facts["amount_cents"] == 200_00  # type: ignore[attr-defined]
    assert exc.amount_cents == 200_00 - expected  # type: ignore[attr-defined]
    (evidence,) = exc.evidence  # type: ignore[attr-defined]
    assert (evidence["invoice_reference"], evidence["line"]) == ("E-2", 3)
    assert evidence["file"] == "regional.csv"


def test_a_product_off_the_contract(result: Reconciliation) -> None:
    (exc,) = _of(result, "product-not-contracted")
    assert exc.facts["product_code"] == "45A99"  # type: ignore[attr-defined]
    assert exc.evidence[0]["invoice_reference"] == "E-3"  # type: ignore[attr-defined]


def test_a_segment_the_contract_does_not_buy(result: Reconciliation) -> None:
    (exc,) = _of(result, "segment-not-contracted")
    assert (exc.facts["segment"], exc.facts["contract_segment"]) == ("C", "B")  # type: ignore[attr-defined]
    assert exc.amount_cents == 85_33  # type: ignore[attr-defined]


def test_instalments_off_schedule(result: Reconciliation) -> None:
    (exc,) = _of(result, "instalment-off-schedule")
    off = exc.facts["off"]  # type: ignore[attr-defined]
    # February paid 500 too much; April to June (the contract ends in June) not paid
    assert off == (
        (2, MONTHLY, 1_500_00),
        (4, MONTHLY, 0),
        (5, MONTHLY, 0),
        (6, MONTHLY, 0),
    )


def test_a_completion_after_a_dropout(result: Reconciliation) -> None:
    (exc,) = _of(result, "paid-after-dropout")
    assert exc.subject == "assignment TW1"  # type: ignore[attr-defined]
    assert exc.amount_cents == 400_00  # type: ignore[attr-defined]
    invoices = [e["invoice_reference"] for e in exc.evidence]  # type: ignore[attr-defined]
    assert invoices == ["T-1", "T-2", "T-3"]


def test_a_covered_municipality_is_not_outside_the_lot(result: Reconciliation) -> None:
    outside = [e for e in _of(result, "district-outside-lot") if "EFF" in str(e)]
    assert outside == []


def test_lines_carry_segment_form_and_the_forecast_method(result: Reconciliation) -> None:
    report = report_json(result)
    for kind in (
        "tariff-mismatch",
        "product-not-contracted",
        "segment-not-contracted",
        "instalment-off-schedule",
        "paid-after-dropout",
    ):
        assert report["exception_counts"][kind] == 1
    assert set(report["exception_counts"]) == set(EXCEPTION_KINDS)
    totals = {line["contract"]: line for line in report["lines"] if line["domain"] == "total"}
    assert (totals["EFF"]["segment"], totals["EFF"]["funding_form"]) == ("B", "effort-based")
    assert totals["TASK"]["forecast_method"] == "contract-sum"
    assert totals["TASK"]["forecast_cents"] == 6 * MONTHLY  # the schedule, not the run-rate
    assert totals["TRAJ"]["forecast_method"] == "run-rate"
    assert all("segment" in line and "funding_form" in line for line in report["lines"])
