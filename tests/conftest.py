"""Shared fixtures: one ``engine`` parametrised over SQLite and PostgreSQL.

PostgreSQL tests run in a schema of their own (created and dropped here), so they never touch
other data in the server's database. Where no server answers they skip and say why, except
under ``CI=true``: there a missing server fails them, so a run cannot pass on SQLite alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from populatie.db import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "POPULATIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reason() -> str | None:
    try:
        probe = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("select 1"))
        probe.dispose()
    except OperationalError as exc:
        return f"no PostgreSQL answers at {POSTGRES_URL}: {str(exc).splitlines()[0]}"
    return None


_PG_SKIP = _postgres_reason()


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema, dropped when the session ends."""
    if _PG_SKIP:
        if _in_ci():
            pytest.fail(f"{_PG_SKIP} (CI=true: the PostgreSQL tests must run)", pytrace=False)
        pytest.skip(_PG_SKIP)
    schema = f"populatie_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            tables = conn.execute(
                text("select tablename from pg_tables where schemaname = current_schema()")
            ).scalars()
            for table in tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{(tmp_path / 'test.db').as_posix()}")
    else:
        eng = make_engine(request.getfixturevalue("postgres_url"))
        _reset(eng)
    migrate(eng)
    yield eng
    eng.dispose()
