"""Dutch error pages for browsers, problem details for everyone else.

The pages' own router turns its errors into pages (:func:`populatie.web.controllers.page_router`),
but an address no route knows, or a failure before any route is reached, is answered by the
application's handlers, which speak RFC 9457 problem details (:mod:`populatie.api.problems`).
A person who mistypes an address in a browser should get a page in Dutch with a way back, and a
tool should keep the problem document it parses. So each application handler is wrapped: a
request that prefers HTML (a browser's ``Accept``) outside ``/api`` and ``/schema`` gets the
page with the same status; any other request gets the problem details as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from populatie.errors import NotFoundError, PopulatieError
from populatie.web.controllers import error_page, unexpected_page

__all__ = ["HTML", "html_error_pages", "wants_html"]

HTML = "text/html"
# Listed first, so that a client accepting anything (``*/*``) keeps the problem document.
_OFFERS = ["application/problem+json", "application/json", HTML]

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """A browser asking for a page: HTML preferred over JSON, outside the API's paths."""
    path = request.url.path
    if path == "/api" or path.startswith(("/api/", "/schema")):
        return False
    return request.accept.best_match(_OFFERS) == HTML


def _status_of(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, PopulatieError):
        return exc.status
    return 500


def _wrap(handler: Handler) -> Handler:
    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if not wants_html(request):
            return handler(request, exc)
        if not isinstance(exc, HTTPException | PopulatieError):
            return unexpected_page(request, exc)  # logged there, 503 for a failing database
        return error_page(request, _status_of(exc))

    return handle


def html_error_pages(handlers: ExceptionHandlersMap) -> ExceptionHandlersMap:
    """``handlers`` (the application's, by exception type), each answering browsers with a
    Dutch page instead."""
    return {kind: _wrap(handler) for kind, handler in handlers.items()}
