"""Where the pages' sign-in sessions are kept: the database (default) or Redis.

Both are shared by every worker process and outlive a restart. A store only keeps sessions by
the hash of their id; whether the token behind a session still holds is checked by
:mod:`populatie.web.sessions` on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import anyio.to_thread
from sqlalchemy import Engine, delete, update
from sqlalchemy.sql import Executable
from sqlmodel import Session, col

from populatie.auth.models import WebSession
from populatie.errors import ConfigurationError

__all__ = [
    "DatabaseSessionStore",
    "SessionStore",
    "StoredSession",
    "open_session_store",
]


@dataclass(frozen=True, slots=True)
class StoredSession:
    token_id: int
    role: str
    partnership: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class SessionStore(Protocol):
    async def create(self, id_hash: str, stored: StoredSession) -> None: ...

    async def get(self, id_hash: str, now: datetime) -> StoredSession | None:
        """The session, or None when there is none or it has expired."""
        ...

    async def touch(self, id_hash: str, now: datetime) -> None: ...

    async def delete(self, id_hash: str) -> None: ...

    async def delete_for_token(self, token_id: int) -> None: ...

    async def delete_expired(self, now: datetime) -> None: ...

    async def aclose(self) -> None:
        """Let go of connections, when the app shuts down."""
        ...


def open_session_store(url: str, engine: Engine) -> SessionStore:
    """The store ``url`` names (``POPULATIE_SESSION_URL``): empty for the database."""
    if not url:
        return DatabaseSessionStore(engine)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from populatie.web.redis_sessions import RedisSessionStore

        return RedisSessionStore(url)
    raise ConfigurationError(
        f"POPULATIE_SESSION_URL {url.split('://')[0]!r}: sessions are kept in the database "
        "(leave it empty) or in Redis (redis://host:port/db)",
        details=[{"field": "session_url", "reason": "unknown session store"}],
    )


class DatabaseSessionStore:
    """Sessions in ``web_session``; each call is one short transaction in a worker thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def create(self, id_hash: str, stored: StoredSession) -> None:
        await anyio.to_thread.run_sync(self._create, id_hash, stored)

    async def get(self, id_hash: str, now: datetime) -> StoredSession | None:
        return await anyio.to_thread.run_sync(self._get, id_hash, now)

    async def touch(self, id_hash: str, now: datetime) -> None:
        statement = (
            update(WebSession).where(col(WebSession.id_hash) == id_hash).values(last_seen_at=now)
        )
        await anyio.to_thread.run_sync(self._execute, statement)

    async def delete(self, id_hash: str) -> None:
        statement = delete(WebSession).where(col(WebSession.id_hash) == id_hash)
        await anyio.to_thread.run_sync(self._execute, statement)

    async def delete_for_token(self, token_id: int) -> None:
        statement = delete(WebSession).where(col(WebSession.token_id) == token_id)
        await anyio.to_thread.run_sync(self._execute, statement)

    async def delete_expired(self, now: datetime) -> None:
        statement = delete(WebSession).where(col(WebSession.expires_at) <= now)
        await anyio.to_thread.run_sync(self._execute, statement)

    async def aclose(self) -> None:
        """Nothing to do: the engine belongs to the app."""

    def _create(self, id_hash: str, stored: StoredSession) -> None:
        with Session(self.engine) as session:
            session.add(
                WebSession(
                    id_hash=id_hash,
                    token_id=stored.token_id,
                    role=stored.role,
                    partnership_name=stored.partnership,
                    created_at=stored.created_at,
                    last_seen_at=stored.last_seen_at,
                    expires_at=stored.expires_at,
                )
            )
            session.commit()

    def _get(self, id_hash: str, now: datetime) -> StoredSession | None:
        with Session(self.engine) as session:
            row = session.get(WebSession, id_hash)
            if row is None:
                return None
            if row.expires_at <= now:
                session.delete(row)
                session.commit()
                return None
            return StoredSession(
                token_id=row.token_id,
                role=row.role,
                partnership=row.partnership_name,
                created_at=row.created_at,
                last_seen_at=row.last_seen_at,
                expires_at=row.expires_at,
            )

    def _execute(self, statement: Executable) -> None:
        with self.engine.begin() as connection:
            connection.execute(statement)
