"""GET with timeouts and retries, and the two ways a source can fail us.

Exception tree (neither is a :class:`~populatie.errors.PopulatieError`: the request was fine,
the source was not there)::

    SourceError
    ├── SourceUnreachableError  no answer: no network, DNS, refused, timed out (after retries)
    └── SourceFailedError       an answer, but 5xx or 429 after every retry

A 4xx other than 429 is the request's fault (a wrong table id or key) and raises
ConfigurationError at once: retrying cannot help.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from populatie.errors import ConfigurationError

__all__ = ["SourceError", "SourceFailedError", "SourceUnreachableError", "get_json"]

Progress = Callable[[str], None]


class SourceError(Exception):
    """A source could not serve us; the message is one line for the terminal."""


class SourceUnreachableError(SourceError):
    pass


class SourceFailedError(SourceError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _retryable(status: int) -> bool:
    return status >= 500 or status == 429


def get_json(
    client: httpx.Client,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    retries: int,
    backoff_seconds: float,
    progress: Progress,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[str, Any], str]:
    """The JSON object at ``url`` and the URL actually requested.

    Retries a timeout, a connection failure, a 5xx and a 429 ``retries`` times, waiting
    ``backoff_seconds × 2^attempt`` between tries (``Retry-After`` when the server sends one).
    """
    attempt = 0
    while True:
        request = client.build_request("GET", url, params=params)
        shown = str(request.url)
        try:
            response = client.send(request)
        except httpx.TransportError as error:
            if attempt >= retries:
                kind = "timed out" if isinstance(error, httpx.TimeoutException) else "no answer"
                raise SourceUnreachableError(
                    f"{request.url.host}: {kind} after {attempt + 1} tries ({type(error).__name__})"
                ) from error
            wait = backoff_seconds * 2**attempt
            progress(f"{request.url.host}: {type(error).__name__}, retrying in {wait:g} s")
        else:
            if response.is_success:
                try:
                    payload = response.json()
                except ValueError as error:
                    raise SourceFailedError(
                        f"{shown}: answer is not JSON ({error})", response.status_code
                    ) from error
                if not isinstance(payload, dict):
                    raise SourceFailedError(f"{shown}: answer is not a JSON object", 200)
                return payload, shown
            status = response.status_code
            if not _retryable(status):
                raise ConfigurationError(
                    f"{shown}: HTTP {status} {response.reason_phrase}; check the table id, "
                    "year and column keys in config/cbs.toml",
                    details=[{"url": shown, "status": status}],
                )
            if attempt >= retries:
                raise SourceFailedError(
                    f"{request.url.host}: HTTP {status} {response.reason_phrase} after "
                    f"{attempt + 1} tries ({shown})",
                    status,
                )
            wait = _retry_after(response) or backoff_seconds * 2**attempt
            progress(f"{request.url.host}: HTTP {status}, retrying in {wait:g} s")
        sleep(wait)
        attempt += 1


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
