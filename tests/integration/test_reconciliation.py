"""Reconciliation against the adopted allocation, lots and contracts, on real databases:
the lines, and every exception kind with its evidence."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from populatie.configuration import RegionConfig
from populatie.core.reconciliation import EXCEPTION_KINDS, Reconciliation, ReconciliationLine
from populatie.db import session_scope
from populatie.errors import DataError
from populatie.reconciliation.render import render_csv, render_json, write_xlsx
from populatie.reconciliation.service import reconcile_year
from populatie.spending.service import import_spending
from tests.integration.spending_support import (
    ALLOCATED,
    JEUGDFORMAAT,
    SUBCONTRACTOR,
    add_contract,
    row,
    seed_registry,
    write_csv,
)

C1_CEILING = 10_000_000_00  # equal to lot 1's allocation: no difference to report
C2_CEILING = 100_000_00  # far below lot 2's allocation, and passed in March


@pytest.fixture
def db(engine: Engine, tmp_path: Path) -> Engine:
    """Contracts: C-1 on lot 1 (2024–2026), C-2 on lot 2 (access and specialist only) ending
    mid-June 2025, OLD-1 on lot 1 before 2024; one or more rows of every exception kind."""
    seed_registry(engine)
    add_contract(engine, "C-1", ceilings_cents={2025: C1_CEILING})
    add_contract(
        engine,
        "C-2",
        lot="GM0518/2",
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 6, 15),
        ceilings_cents={2025: C2_CEILING},
    )
    add_contract(engine, "OLD-1", starts_on=date(2020, 1, 1), ends_on=date(2023, 12, 31))
    c2 = {"reference": "C-2", "district": "WK051811", "provider": JEUGDFORMAAT}
    rows = [
        row(invoice_reference="N-1", booking_date="2025-01-10", amount="1000.00"),
        row(invoice_reference="N-1b", booking_date="2025-01-10", amount="1000.00"),  # double
        row(
            invoice_reference="N-2",
            booking_date="2025-02-03",
            amount="500.00",
            domain="access",
            provider=SUBCONTRACTOR,
        ),
        row(
            invoice_reference="N-3",
            booking_date="2025-03-03",
            amount="200.00",
            reference="GM0518/1",
            domain="prevention",
        ),
        row(
            invoice_reference="X-1",
            booking_date="2025-02-11",
            amount="300.00",
            municipality="GM0503",
            district="WK050301",
            reference="",
            domain="access",
        ),
        row(
            invoice_reference="X-2",
            booking_date="2025-04-11",
            amount="50.00",
            district="WK051802",
            reference="UNKNOWN-9",
        ),
        row(
            invoice_reference="X-3", booking_date="2025-05-12", amount="70.00", district="WK051811"
        ),
        row(invoice_reference="X-4", booking_date="2025-04-02", amount="80.00", reference="OLD-1"),
        row(invoice_reference="C2-1", booking_date="2025-06-10", amount="10.00", **c2),
        row(invoice_reference="X-5", booking_date="2025-06-20", amount="20.00", **c2),
        row(
            invoice_reference="X-6",
            booking_date="2025-05-05",
            amount="40.00",
            **{**c2, "provider": "Stranger B.V."},
            domain="access",
        ),
        row(
            invoice_reference="X-7",
            booking_date="2025-02-06",
            amount="60.00",
            domain="prevention",
            **c2,
        ),
        row(invoice_reference="C2-2", booking_date="2025-03-20", amount="150000.00", **c2),
        row(
            invoice_reference="X-8", booking_date="2025-07-01", amount="90.00", district="WK051899"
        ),
    ]
    import_spending(engine, write_csv(tmp_path / "first.csv", rows), user="t")
    repeat = row(
        invoice_reference="N-2b",
        booking_date="2025-02-03",
        amount="500.00",
        domain="access",
        provider=SUBCONTRACTOR,
    )
    import_spending(engine, write_csv(tmp_path / "second.csv", [repeat]), user="t")
    return engine


def _reconcile(engine: Engine, to_month: int | None = None, **kw: object) -> Reconciliation:
    with session_scope(engine) as s:
        return reconcile_year(s, 2025, to_month, **kw)  # type: ignore[arg-type]


def _line(result: Reconciliation, who: str | None, domain: str) -> ReconciliationLine:
    (line,) = [
        line
        for line in result.lines
        if (line.contract or line.area or f"({line.municipality})") == who and line.domain == domain
    ]
    return line


def test_lines_per_contract_lot_area_and_domain(db: Engine) -> None:
    result = _reconcile(db)
    assert result.to_month == 7  # the last month with spending
    specialist = _line(result, "C-1", "specialist")
    spent = 2 * 1000_00 + 70_00 + 90_00  # incl. the double and the two flagged rows
    assert (specialist.lot, specialist.area, specialist.partnership) == (
        "GM0518/1",
        "GM0518-L1",
        "Kracht voor Jeugd en Gezin",
    )
    assert specialist.allocated_cents == ALLOCATED[("GM0518-L1", "specialist")]
    assert specialist.ceiling_cents is None
    assert specialist.spent_cents == spent
    assert specialist.forecast_cents == round(spent * 12 / 7)
    assert specialist.remaining_cents == specialist.allocated_cents - spent
    assert specialist.variance_cents == specialist.allocated_cents - specialist.forecast_cents
    assert specialist.status == "on track"
    assert _line(result, "C-1", "prevention").spent_cents == 200_00  # booked on the lot
    assert _line(result, "C-1", "access").spent_cents == 2 * 500_00
    total = _line(result, "C-1", "total")
    assert total.ceiling_cents == C1_CEILING
    assert total.allocated_cents == sum(v for (a, _), v in ALLOCATED.items() if a == "GM0518-L1")

    c2 = _line(result, "C-2", "total")
    assert (c2.months_in_force, c2.months_elapsed) == (6, 6)
    assert c2.spent_cents == 10_00 + 20_00 + 40_00 + 60_00 + 150_000_00
    assert c2.forecast_cents == c2.spent_cents
    assert c2.status == "over ceiling"
    assert _line(result, "C-2", "prevention").allocated_cents is None  # the lot lacks it
    assert _line(result, "C-2", "prevention").status == "no allocation"
    # Lot 2 does not cover prevention: that allocation stays with the area.
    area_prevention = _line(result, "GM0518-L2", "prevention")
    assert area_prevention.contract is None
    assert area_prevention.allocated_cents == ALLOCATED[("GM0518-L2", "prevention")]
    # Delft has no lot: its allocation and its spending meet on the area.
    delft = _line(result, "GM0503-A", "access")
    assert (delft.allocated_cents, delft.spent_cents) == (70_000_000, 300_00)
    # The expired contract still shows what was booked on it, with no allocation.
    old = _line(result, "OLD-1", "total")
    assert (old.spent_cents, old.allocated_cents, old.months_in_force) == (80_00, None, 0)


def _by_kind(result: Reconciliation) -> dict[str, list[tuple[str, int, int]]]:
    found: dict[str, list[tuple[str, int, int]]] = {}
    for e in result.exceptions:
        found.setdefault(e.kind, []).append((e.subject, e.amount_cents, e.rows))
    return found


def test_every_exception_kind_with_its_evidence(db: Engine) -> None:
    with db.begin() as conn:  # a district of record that no area holds
        conn.execute(
            text(
                "INSERT INTO district (code, name, municipality_code, vintage) "
                "VALUES ('WK051803', 'x', 'GM0518', 2024)"
            )
        )
    result = _reconcile(db)
    kinds = _by_kind(result)
    # The kinds of every contract; those of the funding forms (rows with products, tariffs,
    # schedules) are each shown in tests/integration/test_funding_reconciliation.py.
    funding = {
        "tariff-mismatch",
        "product-not-contracted",
        "segment-not-contracted",
        "instalment-off-schedule",
        "paid-after-dropout",
    }
    assert set(kinds) == set(EXCEPTION_KINDS) - funding, sorted(kinds)
    assert kinds["no-contract"] == [
        ("no reference (GM0503)", 300_00, 1),
        ("reference UNKNOWN-9", 50_00, 1),
    ]
    assert kinds["district-outside-lot"] == [("lot GM0518/1 · district WK051811", 70_00, 1)]
    assert kinds["outside-contract-period"] == [
        ("contract C-2", 20_00, 1),  # 2025-06-20, after the end on 06-15; 06-10 is inside
        ("contract OLD-1", 80_00, 1),
    ]
    assert kinds["provider-not-member"] == [("contract C-2 · Stranger B.V.", 40_00, 1)]
    assert kinds["domain-not-covered"] == [("lot GM0518/2 · prevention", 60_00, 1)]
    assert kinds["duplicate-invoice"] == [
        ("invoice N-1b", 1000_00, 1),
        ("invoice N-2b", 500_00, 1),
    ]
    assert kinds["over-ceiling"] == [
        ("contract C-2", 10_00 + 20_00 + 40_00 + 60_00 + 150_000_00 - C2_CEILING, 0)
    ]
    lot2 = ALLOCATED[("GM0518-L2", "access")] + ALLOCATED[("GM0518-L2", "specialist")]
    assert kinds["allocation-differs"] == [("contract C-2", lot2 - C2_CEILING, 0)]
    assert kinds["district-not-in-one-area"] == [
        ("district WK051803", 0, 0),
        ("district WK051899", 90_00, 1),
    ]

    by_subject = {(e.kind, e.subject): e for e in result.exceptions}
    unknown = by_subject[("no-contract", "reference UNKNOWN-9")]
    (evidence,) = unknown.evidence
    assert evidence["file"] == "first.csv"
    assert (evidence["line"], evidence["invoice_reference"]) == (7, "X-2")
    assert evidence["month"] == "2025-04"
    assert evidence["amount_cents"] == 50_00
    boundary = by_subject[("outside-contract-period", "contract C-2")]
    assert [e["invoice_reference"] for e in boundary.evidence] == ["X-5"]
    assert "2025-01-01 to 2025-06-15" in boundary.detail
    crossing = by_subject[("over-ceiling", "contract C-2")]
    assert "passed in 2025-03" in crossing.detail
    cross_file = by_subject[("duplicate-invoice", "invoice N-2b")]
    assert [(e["file"], e["invoice_reference"]) for e in cross_file.evidence] == [
        ("second.csv", "N-2b"),
        ("first.csv", "N-2"),
    ]
    assert "(configuration)" in by_subject[("district-not-in-one-area", "district WK051803")].detail


def test_districts_in_two_areas_of_the_configuration(db: Engine) -> None:
    config = RegionConfig.model_validate(
        {
            "region_code": "H10",
            "region_name": "test",
            "municipalities": [
                {"code": "GM0518", "name": "'s-Gravenhage"},
                {"code": "GM0503", "name": "Delft"},
            ],
            "partnerships": [],
            "areas": [
                {
                    "code": "GM0518-L1",
                    "name": "1",
                    "municipality": "GM0518",
                    "districts": ["WK051801", "WK051802"],
                },
                {
                    "code": "GM0518-L2",
                    "name": "2",
                    "municipality": "GM0518",
                    "districts": ["WK051811", "WK051802"],
                },
                {"code": "GM0503-A", "name": "D", "municipality": "GM0503", "districts": "all"},
            ],
            "lots": [],
            "models": {},
            "base_euro": {},
            "damping": {},
            "budgets_euro": {},
        }
    )
    result = _reconcile(db, config=config)
    overlap = [e for e in result.exceptions if e.subject == "district WK051802"]
    assert [(e.kind, e.detail) for e in overlap] == [
        (
            "district-not-in-one-area",
            "district WK051802 (GM0518) is in 2 areas: GM0518-L1, GM0518-L2 (configuration)",
        )
    ]


def test_to_month_limits_spending_and_the_forecast(db: Engine) -> None:
    result = _reconcile(db, 2)
    c1 = _line(result, "C-1", "specialist")
    assert c1.spent_cents == 2 * 1000_00
    assert c1.months_elapsed == 2
    assert c1.forecast_cents == 2 * 1000_00 * 6
    kinds = _by_kind(result)
    assert "over-ceiling" not in kinds
    assert kinds["duplicate-invoice"] == [("invoice N-1b", 1000_00, 1), ("invoice N-2b", 500_00, 1)]
    assert "outside-contract-period" not in kinds  # OLD-1 was booked in April


def test_monthly_totals_match_the_rows(db: Engine) -> None:
    """The totals kept at import are what a GROUP BY over the rows gives."""
    with db.connect() as conn:
        kept = conn.execute(
            text(
                "SELECT reference, domain, sum(amount_cents), sum(rows) FROM spending_month "
                "GROUP BY reference, domain ORDER BY reference, domain"
            )
        ).all()
        scanned = conn.execute(
            text(
                "SELECT reference, domain, sum(amount_cents), count(*) FROM spending "
                "GROUP BY reference, domain ORDER BY reference, domain"
            )
        ).all()
    assert [tuple(r) for r in kept] == [tuple(r) for r in scanned]


def test_without_an_adopted_run_lines_show_no_allocation(engine: Engine, tmp_path: Path) -> None:
    seed_registry(engine, adopted=False)
    add_contract(engine, "C-1", ceilings_cents={2025: C1_CEILING})
    import_spending(engine, write_csv(tmp_path / "a.csv", [row(reference="C-1")]), user="t")
    result = _reconcile(engine)
    line = _line(result, "C-1", "specialist")
    assert (line.allocated_cents, line.remaining_cents, line.status) == (
        None,
        None,
        "no allocation",
    )
    assert "allocation-differs" not in _by_kind(result)
    assert any("no adopted allocation for 2025" in n for n in result.notes)


def test_reconciliation_needs_the_registry_and_a_sane_period(engine: Engine) -> None:
    with pytest.raises(DataError, match="populatie load"), session_scope(engine) as s:
        reconcile_year(s, 2025)
    seed_registry(engine)
    with pytest.raises(DataError, match="not a month"), session_scope(engine) as s:
        reconcile_year(s, 2025, 13)
    with session_scope(engine) as s:
        assert reconcile_year(s, 2025).to_month == 12  # no spending: the whole year


def test_json_csv_and_xlsx_carry_the_same_numbers(db: Engine, tmp_path: Path) -> None:
    result = _reconcile(db)
    data = json.loads(render_json(result))
    assert data["to"] == "2025-07"
    assert data["forecast_method"].startswith("run-rate")
    assert set(data["exception_counts"]) == set(EXCEPTION_KINDS)
    first = data["lines"][0]
    assert set(first) >= {
        "contract",
        "lot",
        "area",
        "domain",
        "allocated_cents",
        "ceiling_cents",
        "spent_cents",
        "forecast_cents",
        "remaining_cents",
        "variance_cents",
        "status",
    }
    csv_lines = render_csv(result).splitlines()
    assert csv_lines[0].startswith("record,year,to,contract,lot,area")
    assert sum(1 for c in csv_lines if c.startswith("line,")) == len(data["lines"])
    assert sum(1 for c in csv_lines if c.startswith("exception,")) == len(data["exceptions"])

    out = tmp_path / "r.xlsx"
    write_xlsx(result, out)
    book = load_workbook(out)
    assert book.sheetnames[:4] == ["Reconciliation", "Exceptions", "Evidence", "About"]
    sheet = book["Reconciliation"]
    header = [c.value for c in sheet[1]]
    spent_col = header.index("spent")
    cells = [r[spent_col] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [round(Decimal(str(c)) * 100) for c in cells] == [
        line["spent_cents"] for line in data["lines"]
    ]
    assert book["Exceptions"].max_row == len(data["exceptions"]) + 1
