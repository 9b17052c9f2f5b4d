"""The one place where errors become RFC 9457 problem details.

Every error response of the API is ``application/problem+json`` with a ``type`` that is stable
per kind of error, so clients branch on ``type``, never on the wording of ``detail``:

=====================  ======  ============================================================
type (after the base)  status  when
=====================  ======  ============================================================
validation-error       400     a parameter or body field is invalid; ``errors`` names each
unauthorized           401     no bearer token, or an unknown or revoked one
forbidden              403     the token's role may not do this
not-found              404     no such record or route — or not yours (consortium tokens)
method-not-allowed     405     the route exists, the method does not
conflict               409     the request clashes with stored state
(PopulatieError)       4xx     each domain error's own ``problem_type`` (configuration-error,
                               data-error, missing-figure, allocation-error, …)
internal-error         500     anything unexpected; the detail is not shown
service-unavailable    503     the database or disk failed (read-only, full, locked,
                               unreachable); ``Retry-After`` says when to try again
=====================  ======  ============================================================
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsException

from populatie.errors import PopulatieError
from populatie.faults import RETRY_AFTER_SECONDS, environment_fault

PROBLEM_BASE = "https://populatie.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("populatie.api")

_BY_STATUS = {
    400: "validation-error",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
    503: "service-unavailable",
}


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem; ``errors`` lists the offending fields of a validation error."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET


def problem_type(kind: str) -> str:
    return PROBLEM_BASE + kind


def _problem(
    status: int,
    kind: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> ProblemDetailsException:
    return ProblemDetailsException(
        detail=detail,
        status_code=status,
        type_=problem_type(kind),
        title=kind.replace("-", " "),
        extra={"errors": errors} if errors else None,
        headers=headers,
    )


def problem_from_error(exc: PopulatieError) -> ProblemDetailsException:
    """A domain error, with its own stable ``problem_type`` and status."""
    return _problem(exc.status, exc.problem_type, exc.message, list(exc.details) or None)


_NAMED_IN_MESSAGE = re.compile(r"(?:unknown|missing required) field `([^`]+)`")


def _field_name(key: str, message: str) -> str:
    """The offending field's dotted path; msgspec names unknown and missing fields only in
    the message, and Litestar calls the request body ``data``."""
    named = _NAMED_IN_MESSAGE.search(message)
    if named is None:
        return key
    parent = "" if key in ("", "data") else key.removeprefix("data.")
    return f"{parent}.{named.group(1)}" if parent else named.group(1)


def _field_errors(extra: object) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, Mapping):
                source = item.get("source", "body")
                errors.append(
                    {
                        "field": _field_name(str(item.get("key", "")), str(item.get("message"))),
                        "source": str(getattr(source, "value", source)),
                        "message": str(item.get("message", "")),
                    }
                )
    return errors


_MISSING = re.compile(r"Missing required (\w+) parameter '([^']+)'")


def _missing_parameter(detail: str) -> list[dict[str, Any]]:
    """Litestar names a missing required parameter only in its message."""
    found = _MISSING.search(detail)
    if found is None:
        return []
    return [{"field": found[2], "source": found[1], "message": "required"}]


def problem_from_http(exc: HTTPException) -> ProblemDetailsException:
    """Litestar's own errors (validation, auth, routing) with a stable ``type`` per kind."""
    if isinstance(exc, ProblemDetailsException):
        return exc
    if isinstance(exc, ValidationException):
        errors = _field_errors(exc.extra) or _missing_parameter(exc.detail)
        named = "; ".join(f"{e['field'] or e['source']}: {e['message']}" for e in errors)
        return _problem(400, "validation-error", f"invalid request: {named or exc.detail}", errors)
    if isinstance(exc, NotAuthorizedException):
        return _problem(401, "unauthorized", exc.detail, headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, PermissionDeniedException):
        return _problem(403, "forbidden", exc.detail)
    if isinstance(exc, NotFoundException):
        return _problem(404, "not-found", "not found")
    if isinstance(exc, MethodNotAllowedException):
        return _problem(405, "method-not-allowed", exc.detail, headers=exc.headers)
    status = exc.status_code
    kind = _BY_STATUS.get(status, "internal-error" if status >= 500 else "bad-request")
    detail = "internal error" if status >= 500 else exc.detail
    return _problem(status, kind, detail, headers=exc.headers)


def problem_from_unexpected(exc: Exception) -> ProblemDetailsException:
    """Anything else is a bug: log it whole, show nothing of it — unless the database or the
    disk failed (:mod:`populatie.faults`): then the request may succeed later, nothing of it was
    written, and the client is told when to try again."""
    fault = environment_fault(exc)
    if fault is not None:
        log.warning("service unavailable: %s", fault.detail)
        return _problem(
            503,
            "service-unavailable",
            f"service unavailable: {fault.summary}; nothing was written, try again later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.error("unexpected error", exc_info=exc)
    return _problem(500, "internal-error", "internal error")


EXCEPTION_TO_PROBLEM: dict[type[Exception], Any] = {
    PopulatieError: problem_from_error,
    HTTPException: problem_from_http,
    Exception: problem_from_unexpected,
}

_DESCRIPTIONS = {
    400: "Invalid parameter or body; `errors` names each field",
    401: "No valid bearer token",
    403: "The token's role may not do this",
    404: "Not found (or not visible to this token)",
    409: "Conflicts with stored state",
    422: "The request is valid but the domain rejects it (configuration, data, allocation)",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problems a handler can answer with."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=_DESCRIPTIONS[status],
            generate_examples=False,
        )
        for status in statuses
    }
