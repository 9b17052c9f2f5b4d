"""Engine, sessions and schema migrations for SQLite (default) and PostgreSQL (one URL).

The schema is owned by Alembic: :func:`migrate` brings any database to the newest revision, so
the CLI, the server and the tests all run against the same migrated schema, never against
``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

from populatie.allocations import models as _allocation_models
from populatie.auth import models as _auth_models
from populatie.budget_totals import models as _budget_total_models
from populatie.contracts import models as _contract_models
from populatie.cost_sharing import models as _cost_sharing_models
from populatie.districts import models as _district_models
from populatie.kpis import models as _kpi_models
from populatie.providers import models as _provider_models
from populatie.registry import models as _registry_models
from populatie.segments import models as _segment_models
from populatie.settings import get_settings
from populatie.spending import models as _spending_models

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = SQLModel.metadata
_MODELS = (
    _allocation_models,
    _auth_models,
    _budget_total_models,
    _contract_models,
    _cost_sharing_models,
    _district_models,
    _kpi_models,
    _provider_models,
    _registry_models,
    _segment_models,
    _spending_models,
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine with the settings both dialects need to behave alike under concurrency."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        uri = parsed.database is not None and parsed.database.startswith("file:")
        if parsed.database and parsed.database != ":memory:" and not uri:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # How long to wait for another writer's lock: 30 s, or the URL's ``?timeout=`` seconds.
        timeout = float(parsed.query.get("timeout", 30))  # type: ignore[arg-type]
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": timeout})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    return make_engine(url or get_settings().effective_database_url)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema revision (idempotent)."""
    command.upgrade(alembic_config(engine), "head")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
