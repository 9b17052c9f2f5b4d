"""One guard for every route: a NUL character in the path or the query is a bad request.

PostgreSQL cannot hold a NUL in a text value and refuses any statement that binds one, so an
address such as ``/api/areas/GM0518%00`` or ``?provider=a%00b`` would reach the database and
fail there as an internal error. No code, name or filter of this service contains a NUL, so
the request is answered with a validation error naming the parameter before any handler runs.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.exceptions import ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

__all__ = ["NulGuard"]

_MESSAGE = "a NUL character (%00) is not accepted"


class NulGuard(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        errors = []
        if "\x00" in scope["path"]:
            errors.append({"key": "path", "source": "path", "message": _MESSAGE})
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                if "\x00" in name or "\x00" in value:
                    errors.append(
                        {"key": name.replace("\x00", ""), "source": "query", "message": _MESSAGE}
                    )
        if errors:
            raise ValidationException(detail="NUL character in the request", extra=errors)
        await next_app(scope, receive, send)
