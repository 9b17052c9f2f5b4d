"""``OPTIONS`` answers with every method its path allows.

Litestar 2 gives every path an ``OPTIONS`` handler whose ``Allow`` header is fixed when the
path's first handlers are registered: a controller registers its handlers one by one, so
``OPTIONS /api/runs`` said ``OPTIONS, POST`` and left out ``GET`` (litestar-org/litestar#4169,
fixed in Litestar 3 only). :class:`AllowHeader` learns each path's methods from the finished
routes and writes them into the ``Allow`` header of those default ``OPTIONS`` answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar.routes import HTTPRoute
from litestar.types import Message, Scope

__all__ = ["AllowHeader"]

_DEFAULT_HANDLER = "options_handler"


class AllowHeader:
    """A ``before_send`` hook: the ``Allow`` header of a default ``OPTIONS`` answer, set from
    the methods of the route it answers for."""

    def __init__(self) -> None:
        self._allow: dict[int, bytes] = {}

    def learn(self, routes: Iterable[Any]) -> None:
        """Remember, per default ``OPTIONS`` handler, every method of its route."""
        for route in routes:
            if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
                continue
            handler = route.route_handler_map["OPTIONS"][0]
            if handler.handler_name == _DEFAULT_HANDLER:
                self._allow[id(handler)] = ", ".join(sorted(route.methods)).encode()

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
            return
        allow = self._allow.get(id(scope.get("route_handler")))
        if allow is None:
            return
        headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"allow"]
        message["headers"] = [*headers, (b"allow", allow)]
