"""Finance uploads a spending file in a real browser: a bad file shows its errors as a table
(line, column, value, reason) and writes nothing, then a good one is read in.

The good file is one row on the Kracht partnership's own contract in a year that has spending
already, so the other browser tests' figures keep their shape.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from populatie.spending.models import Spending
from tests.e2e.conftest import Server
from tests.integration.api_support import CONTRACT_OF, KRACHT

pytestmark = pytest.mark.browser

HEADER = (
    "booking_date,municipality,district,reference,domain,provider,amount,invoice_reference,"
    "description\n"
)


def _rows(server: Server) -> int:
    with Session(server.world.engine) as session:
        return int(session.execute(select(func.count()).select_from(Spending)).scalar_one())


def test_finance_uploads_a_bad_file_sees_the_errors_then_a_good_one(
    context: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    page = context.new_page()
    page.goto(server.base_url + "/finance")
    page.fill("#token", server.world.tokens["finance"])
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(re.compile(r"/finance$"))
    before = _rows(server)

    bad = tmp_path / "fout.csv"
    bad.write_text(
        HEADER + "2025-02-30,GM0518,,GM0518/1,nursing,Incluzio Randstad B.V.,abc,E2E-BAD-1,\n",
        encoding="utf-8",
    )
    page.set_input_files("#spending-file", str(bad))
    page.get_by_role("button", name="Inlezen").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Bestand afgewezen")
    table = page.get_by_role("table", name=re.compile("Fouten in fout.csv"))
    columns = {
        table.locator("tbody tr").nth(i).locator("td").nth(1).inner_text()
        for i in range(table.locator("tbody tr").count())
    }
    assert {"booking_date", "domain", "amount"} <= columns
    # The reasons in Dutch, none of them marked as English.
    reasons = table.locator("tbody tr td:nth-child(4)").all_inner_texts()
    assert "deze datum bestaat niet" in reasons
    assert any(r.startswith("geen domein; de domeinen zijn") for r in reasons)
    assert table.locator("[lang=en]").count() == 0
    assert _rows(server) == before
    page.screenshot(path=str(artifacts / "finance-upload-errors.png"), full_page=True)

    good = tmp_path / "goed.csv"
    good.write_text(
        HEADER + f"2025-06-12,GM0518,,{CONTRACT_OF[KRACHT]},prevention,"
        "Incluzio Randstad B.V.,125.40,E2E-GOOD-1,browser upload\n",
        encoding="utf-8",
    )
    page.set_input_files("#spending-file", str(good))
    page.get_by_role("button", name="Inlezen").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", level=1).inner_text() == "Bestand ingelezen"
    assert page.locator(".imported-rows").inner_text() == "1"
    assert _rows(server) == before + 1
    page.get_by_role("link", name=re.compile("Naar de verantwoording 2025")).click()
    page.wait_for_load_state("load")
    assert page.url.startswith(server.base_url + "/finance?year=2025")
