"""One guard for every route: a NUL character in the path, the query or a JSON body is a bad
request.

PostgreSQL cannot hold a NUL in a text value and refuses any statement that binds one, so an
address such as ``/api/areas/GM0518%00``, ``?provider=a%00b`` or a contract's ``reason``
holding ``\\u0000`` would reach the database and fail there as an internal error. No code,
name, filter or text of this service contains a NUL, so the request is answered with a
validation error naming where the NUL is before any handler runs. (A spending upload is not a
JSON body; the import refuses control characters itself, with line and column.)
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.exceptions import ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

__all__ = ["NulGuard"]

_MESSAGE = "a NUL character is not accepted"


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
        if _is_json(scope):
            messages = await _read_body(receive)
            body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
            if b"\\u0000" in body or b"\x00" in body:
                raise ValidationException(
                    detail="NUL character in the request",
                    extra=[{"key": "data", "source": "body", "message": _MESSAGE}],
                )
            receive = _replay(messages, receive)
        await next_app(scope, receive, send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


async def _read_body(receive: Receive) -> list[ReceiveMessage]:
    messages: list[ReceiveMessage] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    async def replay() -> ReceiveMessage:
        return messages.pop(0) if messages else await receive()

    return replay
