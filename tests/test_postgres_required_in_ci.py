"""A CI run must not pass on SQLite alone: with ``CI=true`` an unreachable PostgreSQL fails
the PostgreSQL tests instead of skipping them (a fifth of the suite would vanish silently).

Checked by running pytest on one tiny test in a subprocess against a server that cannot answer.
"""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import Engine, text

from tests.conftest import ROOT

NOBODY = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # port 1: refused at once


def test_each_database_answers(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(text("select 1")).scalar_one() == 1


def _pytest_on_postgres(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "CI"}
    environment |= {"POPULATIE_TEST_POSTGRES_URL": NOBODY, **env}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"{__file__}::test_each_database_answers[postgresql]",
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_in_ci_an_unreachable_postgres_fails_the_run() -> None:
    done = _pytest_on_postgres(CI="true")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 error" in done.stdout, done.stdout
    assert "CI=true: the PostgreSQL tests must run" in done.stdout
    assert "no PostgreSQL answers at " + NOBODY in done.stdout
