"""Signing in to the pages with an API token, kept in a server-side session.

The token is pasted once into the sign-in form and checked like a bearer token. The browser
then holds only a random session id, in an ``HttpOnly``, ``SameSite=Strict`` cookie; the server
keeps, per SHA-256 hash of that id (never the id itself, as API tokens are kept), who signed in
(token id, role, partnership), when, when last seen, and until when: :data:`SESSION_SECONDS`
after signing in. The sessions live in the database (``web_session``), or in Redis when
``POPULATIE_SESSION_URL`` names one (:mod:`populatie.web.session_stores`), so every worker of
``populatie serve --workers N`` sees the same sessions and a restart signs nobody out.

Every page request checks the session's token again, so a revoked token signs its sessions out
at once (and its sessions are deleted). Signing in always starts a new session id (no
fixation) and clears expired sessions; signing out deletes the session.

:class:`SessionAuthMiddleware` sets ``scope["user"]`` to the :class:`Principal`, so the pages
are authorized by the same guard and the same declared policies as the API
(:mod:`populatie.auth.access`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.auth.models import ApiToken
from populatie.auth.tokens import Principal, Role, hash_token
from populatie.web.session_stores import SessionStore, StoredSession, open_session_store

__all__ = [
    "COOKIE",
    "SESSION_SECONDS",
    "TOUCH_SECONDS",
    "SessionAuthMiddleware",
    "close_session_store",
    "end_session",
    "hash_session_id",
    "session_cookie",
    "session_store",
    "start_session",
]

COOKIE = "populatie_session"
SESSION_SECONDS = 8 * 3600
TOUCH_SECONDS = 60  # last-seen is written at most this often per session, not on every request


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def session_store(app: Litestar) -> SessionStore:
    """The app's session store, opened on first use from its settings and engine."""
    store: SessionStore | None = getattr(app.state, "web_sessions", None)
    if store is None:
        store = open_session_store(app.state.settings.session_url, app.state.engine)
        app.state.web_sessions = store
    return store


async def close_session_store(app: Litestar) -> None:
    """On shutdown: let the store go of its connections (Redis)."""
    store: SessionStore | None = getattr(app.state, "web_sessions", None)
    if store is not None:
        await store.aclose()


def token_by_hash(engine: Engine, token_hash: str) -> ApiToken | None:
    """The stored token of a hash, or None once it is unknown or revoked."""
    with Session(engine) as session:
        record: ApiToken | None = session.execute(
            select(ApiToken).where(col(ApiToken.token_hash) == token_hash)
        ).scalar_one_or_none()
    if record is None or record.revoked_at is not None or record.id is None:
        return None
    return record


def active_token(engine: Engine, token_id: int) -> ApiToken | None:
    with Session(engine) as session:
        record: ApiToken | None = session.get(ApiToken, token_id)
    if record is None or record.revoked_at is not None:
        return None
    return record


def _principal(stored: StoredSession, token: ApiToken) -> Principal | None:
    """The session's principal, if its token still says the same (tokens never change role)."""
    if stored.role != token.role or stored.partnership != token.partnership_name:
        return None
    return Principal(
        token_id=stored.token_id,
        role=Role(stored.role),
        partnership=stored.partnership,
        label=token.label,
    )


async def start_session(
    request: Request[Any, Any, Any], token: str
) -> tuple[str, Principal] | None:
    """Check ``token``; on success store a new session for it and return its id and principal.

    The session id the browser sent before, if any, is dropped: a sign-in never continues an
    earlier session.
    """
    engine: Engine = request.app.state.engine
    record = await anyio.to_thread.run_sync(token_by_hash, engine, hash_token(token.strip()))
    if record is None or record.id is None:
        return None
    store = session_store(request.app)
    now = datetime.now(UTC)
    old = request.cookies.get(COOKIE)
    if old:
        await store.delete(hash_session_id(old))
    await store.delete_expired(now)  # sessions never signed out would otherwise pile up
    session_id = secrets.token_urlsafe(32)
    stored = StoredSession(
        token_id=record.id,
        role=record.role,
        partnership=record.partnership_name,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=SESSION_SECONDS),
    )
    await store.create(hash_session_id(session_id), stored)
    principal = _principal(stored, record)
    assert principal is not None
    return session_id, principal


async def end_session(request: Request[Any, Any, Any]) -> None:
    session_id = request.cookies.get(COOKIE)
    if session_id:
        await session_store(request.app).delete(hash_session_id(session_id))


def session_cookie(request: Request[Any, Any, Any], session_id: str | None) -> Cookie:
    """The session cookie (``None``: the cookie that deletes it)."""
    return Cookie(
        key=COOKIE,
        value=session_id or "",
        path="/",
        max_age=SESSION_SECONDS if session_id else 0,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


class SessionAuthMiddleware(ASGIMiddleware):
    """Resolve the session cookie to a :class:`Principal` in ``scope["user"]``, if it holds one.

    Without a valid session nothing is set, and the guard treats the request as not signed in.
    """

    scopes = ("http",)  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        session_id = connection.cookies.get(COOKIE)
        if session_id:
            principal = await _resolve(connection.app, hash_session_id(session_id))
            if principal is not None:
                scope["user"] = principal
        await next_app(scope, receive, send)


async def _resolve(app: Litestar, id_hash: str) -> Principal | None:
    store = session_store(app)
    now = datetime.now(UTC)
    stored = await store.get(id_hash, now)
    if stored is None:
        return None
    token = await anyio.to_thread.run_sync(active_token, app.state.engine, stored.token_id)
    principal = None if token is None else _principal(stored, token)
    if principal is None:
        await store.delete_for_token(stored.token_id)
        return None
    if now - stored.last_seen_at >= timedelta(seconds=TOUCH_SECONDS):
        await store.touch(id_hash, now)
    return principal
