"""The demo spending generator never trips the import's personal-data or control-character
rules: whatever the seed, its files import (they are synthetic, and say so)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from populatie.db import session_scope
from populatie.districts.models import Municipality
from populatie.spending.demo import register_demo_contracts, write_demo_spending
from populatie.spending.parsing import SpendingFileError, parse_spending
from tests.integration.api_support import build_world


@pytest.mark.parametrize("decimal_comma", [False, True])
def test_demo_files_hold_no_false_positive(
    engine: Engine, tmp_path: Path, decimal_comma: bool
) -> None:
    build_world(engine)
    with engine.connect() as conn:
        municipalities = list(conn.execute(select(col(Municipality.code))).scalars())
    with session_scope(engine) as session:
        register_demo_contracts(session, 2025, "test")
    for seed in (1, 7, 11, 2025, 31337):
        out = tmp_path / f"demo-{seed}.csv"
        with session_scope(engine) as session:
            write_demo_spending(session, 2025, 3000, seed, out, decimal_comma=decimal_comma)
        try:
            parse_spending(
                out.read_bytes(),
                decimal_comma=decimal_comma,
                municipalities=municipalities,
            )
        except SpendingFileError as exc:
            pytest.fail(f"seed {seed}: {exc.errors[:5]}")
