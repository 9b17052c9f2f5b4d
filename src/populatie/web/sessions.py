"""Signing in to the pages with an API token, kept in a server-side session.

The token is pasted once into the sign-in form and checked like a bearer token. The browser
then holds only a random session id, in an ``HttpOnly``, ``SameSite=Strict`` cookie; the server
keeps, per session id, the SHA-256 hash of the token (never the token), in the application's
store (the memory of the serving process: a restart signs everyone out) for
:data:`SESSION_SECONDS`. Every page request resolves that hash again, so a revoked
token signs its sessions out at once. Signing in always starts a new session id (no fixation);
signing out deletes it.

:class:`SessionAuthMiddleware` sets ``scope["user"]`` to the :class:`Principal`, so the pages
are authorized by the same guard and the same declared policies as the API
(:mod:`populatie.auth.access`).
"""

from __future__ import annotations

import secrets
from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.middleware import ASGIMiddleware
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.auth.models import ApiToken
from populatie.auth.tokens import Principal, Role, hash_token

__all__ = [
    "COOKIE",
    "SESSION_SECONDS",
    "SessionAuthMiddleware",
    "end_session",
    "session_cookie",
    "start_session",
]

COOKIE = "populatie_session"
SESSION_SECONDS = 8 * 3600
STORE = "populatie-web-sessions"


def _store(connection: ASGIConnection[Any, Any, Any, Any]) -> Store:
    return connection.app.stores.get(STORE)


def principal_by_hash(engine: Engine, token_hash: str) -> Principal | None:
    """The principal of a stored token hash, or None once the token is unknown or revoked."""
    with Session(engine) as session:
        record = session.execute(
            select(ApiToken).where(col(ApiToken.token_hash) == token_hash)
        ).scalar_one_or_none()
    if record is None or record.revoked_at is not None or record.id is None:
        return None
    return Principal(
        token_id=record.id,
        role=Role(record.role),
        partnership=record.partnership_name,
        label=record.label,
    )


async def start_session(
    request: Request[Any, Any, Any], token: str
) -> tuple[str, Principal] | None:
    """Check ``token``; on success store a new session for it and return its id and principal.

    The session id the browser sent before, if any, is dropped: a sign-in never continues an
    earlier session.
    """
    engine: Engine = request.app.state.engine
    token_hash = hash_token(token.strip())
    principal = await anyio.to_thread.run_sync(principal_by_hash, engine, token_hash)
    if principal is None:
        return None
    store = _store(request)
    old = request.cookies.get(COOKIE)
    if old:
        await store.delete(old)
    if isinstance(store, MemoryStore):
        await store.delete_expired()  # sessions never signed out would otherwise pile up
    session_id = secrets.token_urlsafe(32)
    await store.set(session_id, token_hash, expires_in=SESSION_SECONDS)
    return session_id, principal


async def end_session(request: Request[Any, Any, Any]) -> None:
    session_id = request.cookies.get(COOKIE)
    if session_id:
        await _store(request).delete(session_id)


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
            raw = await _store(connection).get(session_id)
            if raw is not None:
                engine: Engine = connection.app.state.engine
                principal = await anyio.to_thread.run_sync(principal_by_hash, engine, raw.decode())
                if principal is not None:
                    scope["user"] = principal
                else:
                    await _store(connection).delete(session_id)
        await next_app(scope, receive, send)
