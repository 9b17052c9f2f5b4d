"""Who may call which route: bearer authentication, one declared policy per route, one guard.

Every route handler declares its :class:`Access` through :func:`access`, which the handler
decorator takes as keyword arguments (``@get("/", **access(READ_SCOPED))``). The policy is
kept on the handler's ``opt``, so the guard, the OpenAPI error responses and the authorization
test all read the same declaration::

    no token, unknown or revoked token      → 401 unauthorized
    role not in the route's policy          → 403 forbidden
    … and the caller is a consortium        → 404 not found (it must not learn what exists)
    role in the policy                      → the handler runs; consortium reads are scoped
                                              to its partnership by the service it calls

A route without a policy is refused to everyone, and :func:`check_policies` stops the app from
starting with one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ImproperlyConfiguredException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.routes import HTTPRoute
from sqlalchemy import Engine
from sqlmodel import Session

from populatie.api.problems import problem_responses
from populatie.auth.tokens import CACHE_SECONDS, Principal, Role, find_principal, hash_token

ACCESS_KEY = "access"
SECURITY_SCHEME = "BearerToken"


@dataclass(frozen=True)
class Access:
    """The roles that may call a route. A consortium in ``roles`` means: scoped to its own."""

    roles: frozenset[Role] = frozenset()
    public: bool = False

    def allows(self, role: Role | None) -> bool:
        return self.public or (role is not None and role in self.roles)


def roles(*names: Role) -> Access:
    return Access(roles=frozenset(names))


PUBLIC = Access(public=True)
READ = roles(Role.FINANCE, Role.PLANNER, Role.AUDITOR)
READ_SCOPED = roles(Role.FINANCE, Role.PLANNER, Role.AUDITOR, Role.CONSORTIUM)
PLAN = roles(Role.FINANCE, Role.PLANNER)
FINANCE = roles(Role.FINANCE)
AUDIT = roles(Role.FINANCE, Role.AUDITOR)


def access(policy: Access, *, errors: Iterable[int] = ()) -> dict[str, Any]:
    """Keyword arguments for a route decorator: the policy, and the problems it can answer."""
    statuses = {400, 404, *errors}
    if not policy.public:
        statuses.add(401)
        if set(Role) - policy.roles - {Role.CONSORTIUM}:
            statuses.add(403)
    kwargs: dict[str, Any] = {
        "opt": {ACCESS_KEY: policy, "exclude_from_auth": policy.public},
        "responses": problem_responses(*sorted(statuses)),
    }
    if policy.public:
        kwargs["security"] = [{}]
    return kwargs


def policy_of(handler: BaseRouteHandler) -> Access | None:
    policy = handler.opt.get(ACCESS_KEY)
    return policy if isinstance(policy, Access) else None


def _lookup(engine: Engine, token: str) -> Principal | None:
    with Session(engine) as session:
        return find_principal(session, token)


class PrincipalResolver:
    """Bearer token → :class:`Principal`, kept in memory by the token's hash.

    A known token's principal is kept; once older than ``ttl`` seconds it is still used while
    the token is looked up again in the background, so a revocation takes effect within
    ``ttl`` seconds and one lookup, and no request waits for a renewal (with many connections
    on one token, all of them would). One lookup per token at a time, in a worker thread.
    Unknown and revoked tokens are not kept.
    """

    def __init__(self, engine: Engine, ttl: float = CACHE_SECONDS, max_entries: int = 10_000):
        self.engine = engine
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._pending: dict[str, asyncio.Task[Principal | None]] = {}

    async def resolve(self, token: str) -> Principal | None:
        key = hash_token(token)
        entry = self._entries.get(key)
        if entry is not None:
            if entry[0] <= time.monotonic() and key not in self._pending:
                self._start(key, token)
            return entry[1]
        return await asyncio.shield(self._pending.get(key) or self._start(key, token))

    async def settled(self) -> None:
        """Wait until no lookup is running, so a caller (a test) can wait for a revocation to
        take effect by what it waits for rather than by the clock."""
        while self._pending:
            await asyncio.gather(*self._pending.values(), return_exceptions=True)

    def _start(self, key: str, token: str) -> asyncio.Task[Principal | None]:
        task = asyncio.create_task(self._load(key, token))
        task.add_done_callback(_retrieve)
        self._pending[key] = task
        return task

    async def _load(self, key: str, token: str) -> Principal | None:
        try:
            principal = await anyio.to_thread.run_sync(_lookup, self.engine, token)
            if principal is None:
                self._entries.pop(key, None)
            else:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[key] = (time.monotonic() + self.ttl, principal)
            return principal
        finally:
            del self._pending[key]


def _retrieve(task: asyncio.Task[Principal | None]) -> None:
    """Mark a failed lookup's error as seen; the requests waiting on it raise it."""
    if not task.cancelled():
        task.exception()


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """``Authorization: Bearer <token>`` → :class:`Principal`, through the app's resolver."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("a bearer token is required (Authorization: Bearer …)")
        principals: PrincipalResolver = connection.app.state.principals
        principal = await principals.resolve(token)
        if principal is None:
            raise NotAuthorizedException("unknown or revoked token")
        return AuthenticationResult(user=principal, auth=principal.token_id)


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The one guard: applies the handler's declared :class:`Access` to the caller.

    A coroutine, so that Litestar calls it on the event loop instead of in a worker thread.
    """
    policy = policy_of(handler)
    user = connection.scope.get("user")
    if policy is None:
        if "user" not in connection.scope:
            return  # a path the middleware skips (the OpenAPI document)
        raise PermissionDeniedException("this route declares no access policy")
    if policy.public:
        return
    if not isinstance(user, Principal):
        raise NotAuthorizedException("a bearer token is required (Authorization: Bearer …)")
    if user.role in policy.roles:
        return
    if user.role is Role.CONSORTIUM:
        raise NotFoundException()
    raise PermissionDeniedException(f"the {user.role.value} role may not do this")


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException("a bearer token is required (Authorization: Bearer …)")
    return user


def check_policies(routes: Iterable[Any], prefix: str = "/api") -> None:
    """Refuse to start when a route under ``prefix`` has no declared policy."""
    missing = [
        f"{method} {route.path}"
        for route in routes
        if isinstance(route, HTTPRoute) and route.path.startswith(prefix)
        for handler in route.route_handlers
        for method in sorted(handler.http_methods)
        if policy_of(handler) is None and method != "OPTIONS"
    ]
    if missing:
        raise ImproperlyConfiguredException(
            "routes without an access policy: " + ", ".join(missing)
        )
