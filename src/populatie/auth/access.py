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
from populatie.auth.tokens import Principal, PrincipalCache, Role, find_principal

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


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """``Authorization: Bearer <token>`` → :class:`Principal`, cached for a few seconds."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("a bearer token is required (Authorization: Bearer …)")
        cache: PrincipalCache = connection.app.state.principal_cache
        principal = cache.get(token)
        if principal is None:
            engine: Engine = connection.app.state.engine
            principal = await anyio.to_thread.run_sync(_lookup, engine, token)
            if principal is None:
                raise NotAuthorizedException("unknown or revoked token")
            cache.put(token, principal)
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
