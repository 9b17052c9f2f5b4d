"""Faults of the environment — a read-only or full database, a lock held past the timeout, a
database that cannot be opened, an output path that cannot be written — are one line and exit
code 3 on the command line, 503 with ``Retry-After`` from the API, and nothing is half written.

Tests run as root, for whom file permissions are no obstacle, so each fault is made in a way
that holds for root too: SQLite's ``mode=ro`` URI and PostgreSQL's read-only transactions, a
path under a regular file, ``/proc``, SQLite's ``max_page_count`` for a full disk.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, event, text

from populatie import cli
from populatie.app import create_app
from populatie.auth.tokens import issue_token
from populatie.db import get_engine, make_engine, migrate, session_scope
from populatie.settings import get_settings
from tests.integration.conftest import run_cli
from tests.integration.spending_support import row, seed_registry, write_csv

PROBLEMS = "https://populatie.example/problems/"


def _spending_file(path: Path, rows: int) -> Path:
    return write_csv(
        path,
        [
            row(
                reference="GM0518/1",
                domain="access",
                invoice_reference=f"INV-{i}",
                description="synthetic " + "x" * 200,
            )
            for i in range(rows)
        ],
    )


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _on_connect(engine: Engine, *statements: str) -> Engine:
    """``engine`` with ``statements`` run on every new connection (after the usual ones)."""

    def run(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for statement in statements:
            if statement.startswith("max_page_count"):
                pages = cursor.execute("PRAGMA page_count").fetchone()[0]
                statement = f"PRAGMA max_page_count = {pages}"
            cursor.execute(statement)
        cursor.close()
        if engine.dialect.name == "postgresql":
            dbapi_connection.commit()

    event.listen(engine, "connect", run)
    return engine


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def token(engine: Engine) -> str:
    """A finance token over a small registry (enough to import spending)."""
    seed_registry(engine, adopted=False)
    with session_scope(engine) as session:
        return issue_token(session, "finance", None, "faults", "test").token


def _upload(engine: Engine, token: str, path: Path) -> Any:
    with TestClient(app=create_app(engine)) as client:
        return client.post(
            "/api/spending",
            files={"file": (path.name, path.read_bytes(), "text/csv")},
            headers={"Authorization": f"Bearer {token}"},
        )


def _assert_unavailable(response: Any, words: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    problem = response.json()
    assert problem["type"] == PROBLEMS + "service-unavailable"
    assert words in problem["detail"]
    assert "nothing was written" in problem["detail"]


def _nothing_imported(engine: Engine) -> None:
    assert _count(engine, "spending") == 0
    assert _count(engine, "spending_import") == 0
    with engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_event")).scalars().all()
    assert "spending.import" not in actions


# --- the API -----------------------------------------------------------------------------


def test_api_on_a_read_only_database_is_503(engine: Engine, token: str, tmp_path: Path) -> None:
    if engine.dialect.name == "sqlite":
        read_only = make_engine(f"sqlite:///file:{engine.url.database}?mode=ro&uri=true")
    else:
        read_only = _on_connect(make_engine(_url(engine)), "SET default_transaction_read_only = on")
    response = _upload(read_only, token, _spending_file(tmp_path / "s.csv", 3))
    read_only.dispose()
    _assert_unavailable(response, "read-only")
    _nothing_imported(engine)


def test_api_on_a_full_disk_is_503(engine: Engine, token: str, tmp_path: Path) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("a full disk is simulated with SQLite's max_page_count")
    full = _on_connect(make_engine(_url(engine)), "max_page_count")
    response = _upload(full, token, _spending_file(tmp_path / "s.csv", 2000))
    full.dispose()
    _assert_unavailable(response, "disk holding the database is full")
    _nothing_imported(engine)


@contextmanager
def _locked(engine: Engine) -> Iterator[Engine]:
    """Another connection holds a write lock; the engine yielded waits for it only briefly."""
    if engine.dialect.name == "sqlite":
        holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        waiting = make_engine(f"{_url(engine)}?timeout=0.2")
        try:
            yield waiting
        finally:
            holder.execute("ROLLBACK")
            holder.close()
            waiting.dispose()
        return
    waiting = _on_connect(make_engine(_url(engine)), "SET lock_timeout = '200ms'")
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE spending_import IN ACCESS EXCLUSIVE MODE"))
        try:
            yield waiting
        finally:
            conn.rollback()
            waiting.dispose()


def test_api_with_a_lock_held_past_the_timeout_is_503(
    engine: Engine, token: str, tmp_path: Path
) -> None:
    path = _spending_file(tmp_path / "s.csv", 3)
    with _locked(engine) as waiting:
        response = _upload(waiting, token, path)
    _assert_unavailable(response, "lock")
    _nothing_imported(engine)
    assert _upload(engine, token, path).status_code == 200  # once the lock is gone


def test_api_on_a_database_that_cannot_be_opened_is_503() -> None:
    nowhere = make_engine("sqlite:////proc/populatie-test.db")
    with TestClient(app=create_app(nowhere)) as client:
        response = client.get("/api/runs", headers={"Authorization": "Bearer pop_x"})
    _assert_unavailable(response, "cannot be opened")


def test_a_page_on_a_database_that_cannot_be_opened_is_503() -> None:
    nowhere = make_engine("sqlite:////proc/populatie-test.db")
    with TestClient(app=create_app(nowhere)) as client:
        form = client.get("/sign-in").text
        csrf = form.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post("/sign-in", data={"token": "pop_x", "_csrf_token": csrf})
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert "text/html" in response.headers["content-type"]
    assert "Tijdelijk niet beschikbaar" in response.text


# --- the command line --------------------------------------------------------------------


def _one_line_exit_3(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("error: ")
    assert words in lines[-1]


def test_cli_on_a_database_that_cannot_be_opened(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "runs", database_url="sqlite:////proc/populatie-test.db")
    _one_line_exit_3(done, "cannot be opened")
    assert "/proc/populatie-test.db" in done.stderr
    folder_is_a_file = tmp_path / "a-file"
    folder_is_a_file.write_text("")
    done = run_cli(tmp_path, "runs", database_url=f"sqlite:///{folder_is_a_file}/x.db")
    _one_line_exit_3(done, str(folder_is_a_file))


def test_cli_on_a_read_only_database_writes_nothing(tmp_path: Path) -> None:
    made = run_cli(tmp_path, "tokens", "create", "--role", "auditor")
    assert made.returncode == 0, made.stderr
    path = tmp_path / "cli.db"
    done = run_cli(
        tmp_path,
        "tokens", "create", "--role", "auditor",
        database_url=f"sqlite:///file:{path}?mode=ro&uri=true",
    )  # fmt: skip
    _one_line_exit_3(done, "read-only")
    engine = make_engine(f"sqlite:///{path}")
    assert (_count(engine, "api_token"), _count(engine, "audit_event")) == (1, 1)
    engine.dispose()


def test_cli_with_a_lock_held_past_the_timeout_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    assert run_cli(tmp_path, "migrate").returncode == 0
    engine = make_engine(f"sqlite:///{path}")
    with _locked(engine):
        done = run_cli(
            tmp_path, "tokens", "create", "--role", "auditor",
            database_url=f"sqlite:///{path}?timeout=0.2",
        )  # fmt: skip
    _one_line_exit_3(done, "locked by another process")
    assert _count(engine, "api_token") == 0
    engine.dispose()


def _seeded_cli_database(folder: Path) -> None:
    assert run_cli(folder, "migrate").returncode == 0
    engine = make_engine(f"sqlite:///{folder / 'cli.db'}")
    seed_registry(engine)
    engine.dispose()


def test_cli_errors_file_that_cannot_be_written(tmp_path: Path) -> None:
    _seeded_cli_database(tmp_path)
    blocker = tmp_path / "somefile"
    blocker.write_text("")
    bad = write_csv(tmp_path / "bad.csv", [row(amount="abc")])
    done = run_cli(tmp_path, "import-spending", str(bad), "--errors", str(blocker / "errors.csv"))
    _one_line_exit_3(done, "somefile/errors.csv")
    assert "Not a directory" in done.stderr
    assert "abc" in done.stderr  # the errors are still shown on the terminal


def test_cli_out_file_that_cannot_be_written(tmp_path: Path) -> None:
    _seeded_cli_database(tmp_path)
    blocker = tmp_path / "somefile"
    blocker.write_text("")
    done = run_cli(
        tmp_path, "reconcile", "--year", "2025", "--format", "csv", "--out",
        str(blocker / "out.csv"),
    )  # fmt: skip
    _one_line_exit_3(done, "somefile/out.csv")


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Engine]]:
    """Run :func:`populatie.cli.main` in this process on a SQLite file of its own, so the test
    can reach the engine the command uses."""
    monkeypatch.setenv("POPULATIE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("POPULATIE_USER", "tester")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield get_engine
    get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


def test_cli_on_a_full_disk_writes_nothing(
    cli_database: Callable[[], Engine], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    migrate(setup)
    seed_registry(setup, adopted=False)
    _on_connect(cli_database(), "max_page_count")  # before its first connection
    path = _spending_file(tmp_path / "s.csv", 2000)
    with pytest.raises(SystemExit) as ended:
        cli.main(["import-spending", str(path)])
    assert ended.value.code == 3
    err = capsys.readouterr().err
    assert "disk holding the database is full" in err
    assert "Traceback" not in err
    _nothing_imported(setup)
    setup.dispose()


# --- a reader that goes away -------------------------------------------------------------


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """``populatie tokens list | head``: the reader is gone before the command writes, so the
    write fails with EPIPE; the command ends without a traceback or a word on stderr."""
    made = run_cli(tmp_path, "tokens", "create", "--role", "auditor")
    assert made.returncode == 0, made.stderr
    env = {**os.environ, "POPULATIE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "populatie.cli", "tokens", "list"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )
    finally:
        os.close(writer)
    assert done.stderr == ""
    assert done.returncode == 1
