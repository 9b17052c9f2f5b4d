"""The dependencies every handler may ask for by name, provided once in ``create_app``.

``session: DbSession`` (one per request, committed by the framework), ``principal: Caller``
(who holds the bearer token) and ``window: Paging`` (``limit``/``offset``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy import Engine
from sqlmodel import Session

from populatie.api.pagination import Window
from populatie.auth.tokens import Principal

DbSession = NamedDependency[Session]
Caller = NamedDependency[Principal]
Paging = NamedDependency[Window]

AFTER_COMMIT = "after_commit"


async def provide_session(request: Request[Any, Any, Any]) -> AsyncIterator[Session]:
    """One session per request; commit when the handler succeeded, roll back otherwise.

    Commit and rollback run in a worker thread, like the handlers, so a database that makes a
    writer wait never holds up the event loop. What :func:`after_commit` registered runs once
    the commit succeeded, before the response is sent.
    """
    engine: Engine = request.app.state.engine
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        await anyio.to_thread.run_sync(session.commit)
        for callback in session.info.pop(AFTER_COMMIT, []):
            callback()
    except BaseException:
        await anyio.to_thread.run_sync(session.rollback)
        raise
    finally:
        await anyio.to_thread.run_sync(session.close)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once this request's unit of work is committed (never on rollback)."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)
