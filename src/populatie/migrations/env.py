"""Alembic environment: runs on the engine handed in by :func:`populatie.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from populatie.db import get_engine, metadata

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    engine = get_engine()

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
