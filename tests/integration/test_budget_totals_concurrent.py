"""``populatie budgets index`` twice at the same moment: one makes the totals, the other ends
with one line and exit code 2 (or 3 where the database made it wait past its lock timeout),
never a traceback, and the totals are written once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from populatie.budget_totals.models import BudgetTotalVersion
from tests.integration.conftest import run_cli


def test_two_indexations_at_once_give_one_result_and_no_traceback(
    loaded: Engine, tmp_path: Path
) -> None:
    url = loaded.url.render_as_string(hide_password=False)
    args = ("budgets", "index", "--from", "2026", "--to", "2027", "--pct", "3.2", "--basis", "t")
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _: run_cli(tmp_path, *args, database_url=url), range(2)))
    codes = sorted(r.returncode for r in runs)
    assert codes[0] == 0, [r.stderr for r in runs]
    assert codes[1] in (2, 3), [r.stderr for r in runs]
    loser = next(r for r in runs if r.returncode != 0)
    assert "Traceback" not in loser.stderr
    assert loser.stderr.strip().startswith("error:")
    assert "2027" in loser.stderr
    with Session(loaded) as session:
        versions = session.execute(
            select(func.count())
            .select_from(BudgetTotalVersion)
            .where(col(BudgetTotalVersion.year) == 2027)
        ).scalar_one()
    assert versions == 10  # each municipality once, from one of the two
