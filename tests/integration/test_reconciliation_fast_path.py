"""The database's pick of suspect detail against the plain way, on a generated year.

Reconciliation hands the funding-form checks only the detail groups the database finds
suspect (:mod:`populatie.reconciliation.detail_reads`). Here the same checks also run the plain
way: over every spending row, read back one by one and grouped in Python, with the monthly
totals summed from the rows too. Both must find the same, to the cent and the evidence row;
amounts right, off by a cent, and on a rounding half are all generated.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from populatie.contracts.service import get_contract
from populatie.contracts.tariffs import TariffInput, set_tariff
from populatie.core.funding import expected_cents, stage_percent
from populatie.core.funding_checks import DetailTotal, funding_exceptions
from populatie.core.reconciliation import (
    MonthTotal,
    ReconciliationException,
    contracts_of_totals,
    owner_on,
    reference_owners,
)
from populatie.db import session_scope
from populatie.reconciliation.detail_reads import suspect_details
from populatie.reconciliation.service import _contract_terms, reconcile_year
from populatie.segments.models import Segment
from populatie.spending.models import Spending
from populatie.spending.service import import_spending
from tests.integration.spending_support import (
    INCLUZIO,
    JEUGDFORMAAT,
    add_contract,
    row,
    seed_registry,
)
from tests.integration.test_spending_detail import DETAIL_HEADER

TARIFFS = {
    "EFF": {"45A12": 85_33, "45A13": 112_50},
    "MON": {"43B02": 2_345_67},
    "TRAJ": {"45C01": 1_000_01, "45C02": 333_33},
}
FORMS = {"EFF": "effort-based", "MON": "output-based-month", "TRAJ": "output-based-trajectory"}
PRODUCTS = ("45A12", "45A13", "43B02", "45C01", "45C02", "45A99", "")
KINDS = ("segment-not-contracted", "product-not-contracted", "tariff-mismatch")


def _year(engine: Engine, folder: Path, seed: int) -> None:
    """Three contracts paid by tariff and a year of rows on them, a third of them wrong."""
    seed_registry(engine)
    with session_scope(engine) as s:
        for code in ("B", "C"):
            s.add(Segment(code=code, name_nl=code, name_en=code, from_year=2020, source="t"))
    period = {"starts_on": date(2025, 1, 1), "ends_on": date(2025, 12, 31)}
    # lot 1 paid by the hour in the first half-year, by the month in the second
    add_contract(
        engine, "EFF", funding_form="effort-based", segment="B",
        starts_on=date(2025, 1, 1), ends_on=date(2025, 6, 30),
    )  # fmt: skip
    add_contract(
        engine, "MON", funding_form="output-based-month", product_codes=("43B02",),
        starts_on=date(2025, 7, 1), ends_on=date(2025, 12, 31),
    )  # fmt: skip
    add_contract(
        engine,
        "TRAJ",
        lot="GM0518/2",
        funding_form="output-based-trajectory",
        start_percent=60,
        segment="C",
        **period,
    )
    with session_scope(engine) as s:
        for ref, tariffs in TARIFFS.items():
            for product, cents in tariffs.items():
                unit = "trajectory" if ref == "TRAJ" else "hour"
                set_tariff(
                    s, get_contract(s, ref), TariffInput(product, 2025, unit, cents), "t", "t"
                )
    rng = random.Random(seed)
    lines = []
    for i in range(600):
        ref = rng.choice(list(TARIFFS))
        product = rng.choice(PRODUCTS)
        quantity = rng.choice([None, 50, 100, 150, 250, 1_000, rng.randint(1, 5_000)])
        stage = rng.choice(["", "start", "completion", "dropout"]) if ref == "TRAJ" else ""
        if product == "":
            quantity, stage = None, ""
        tariff = TARIFFS[ref].get(product, 10_00)
        due = expected_cents(100 if quantity is None else quantity, tariff,
                             stage_percent(FORMS[ref], stage, 60))  # fmt: skip
        amount = due + rng.choice([0, 0, 0, 1, -1, 100])
        months = {"EFF": (1, 6), "MON": (7, 12), "TRAJ": (1, 12)}[ref]
        day = date(2025, rng.randint(*months), rng.randint(1, 28))
        lines.append(
            row(
                invoice_reference=f"G-{i}",
                booking_date=day.isoformat(),
                amount=f"{amount // 100}.{amount % 100:02d}",
                reference=ref,
                district="WK051811" if ref == "TRAJ" else "WK051801",
                provider=JEUGDFORMAAT if ref == "TRAJ" else INCLUZIO,
                description=f"generated {i}",
            )
            + f",{rng.choice(['', 'B', 'C'])},{product},"
            + ("" if quantity is None else f"{quantity // 100}.{quantity % 100:02d}")
            + f",{'hour' if quantity is not None else ''},{stage},"
            + (f"TW{i}" if stage else "")
        )
    path = folder / "generated.csv"
    path.write_text("\n".join([DETAIL_HEADER, *lines]) + "\n", encoding="utf-8")
    outcome = import_spending(engine, path, user="t")
    assert outcome.imported, outcome.summary()


def _plain(engine: Engine) -> tuple[dict[int, MonthTotal], list[DetailTotal]]:
    """Monthly totals and detail groups summed from the rows themselves."""
    s = Spending
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                col(s.id), col(s.month_id), col(s.booked_on), col(s.municipality_code),
                col(s.district_code), col(s.reference), col(s.domain), col(s.provider),
                col(s.amount_cents), col(s.segment), col(s.product_code), col(s.stage),
                col(s.unit), col(s.quantity_hundredths),
            ).order_by(col(s.id))
        ).all()  # fmt: skip
    sums: dict[int, list[Any]] = {}
    groups: dict[tuple[Any, ...], list[int]] = {}
    for r in rows:
        (i, month_id, day, municipality, district, ref, domain, provider, amount) = r[:9]
        total = sums.setdefault(
            month_id,
            [day.year, day.month, municipality, district or "", ref, domain, provider, 0, 0],
        )
        total[7] += amount
        total[8] += 1
        segment, product, stage, unit = (v or "" for v in r[9:13])
        quantity = r[13]
        if not (segment or product or stage):  # as the import groups them
            continue
        key = (month_id, segment, product, stage, unit, quantity, amount)
        group = groups.setdefault(key, [0, i])
        group[0] += 1
    totals = {m: MonthTotal(m, *values) for m, values in sums.items()}
    details = [
        DetailTotal(m, seg, prod, st, un, q, amount, n, first)
        for (m, seg, prod, st, un, q, amount), (n, first) in sorted(
            groups.items(),
            key=lambda kv: (kv[0][:5], kv[0][5] is not None, kv[0][5] or 0, kv[0][6]),
        )
    ]
    return totals, details


def _shown(found: list[ReconciliationException]) -> list[tuple[Any, ...]]:
    return sorted(
        (e.kind, e.subject, e.amount_cents, e.rows, e.detail, e.partnership,
         tuple(sorted(e.facts.items())), e.evidence)
        for e in found
    )  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2])
def test_the_suspect_detail_finds_what_every_row_would(
    engine: Engine, tmp_path: Path, seed: int
) -> None:
    _year(engine, tmp_path, seed)
    totals, details = _plain(engine)
    with session_scope(engine) as s:
        lots, contracts = _contract_terms(s, 2025)
        contract_of = contracts_of_totals(2025, list(totals.values()), contracts, lots)
        owners = reference_owners(contracts, lots)

        def owner(t: MonthTotal) -> str | None:
            return owner_on(owners, t.reference, date(t.year, t.month, 1))

        suspect = suspect_details(s, 2025, 12, totals, contract_of)
        plain = funding_exceptions(2025, 12, totals, contract_of, owner, details=details)
        fast = funding_exceptions(2025, 12, totals, contract_of, owner, details=suspect)
        result = reconcile_year(s, 2025)
    assert _shown(fast) == _shown(plain)
    # the generated year holds every kind, so the comparison can fail
    assert {e.kind for e in plain} >= set(KINDS)
    # and the database handed over far fewer groups than there are
    assert 0 < len(suspect) < len(details)
    reported = defaultdict(int)
    for e in result.exceptions:
        if e.kind in KINDS:
            reported[(e.kind, e.subject)] += e.amount_cents
    assert reported == {(e.kind, e.subject): e.amount_cents for e in plain if e.kind in KINDS}
