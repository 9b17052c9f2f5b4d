"""Faults of the environment: the database or the disk, not the request and not the program.

A read-only or full disk, a database file that cannot be opened, a lock another process holds
past the wait timeout, an output path that cannot be written: none of these is the user's
mistake or a bug, and the unit of work they interrupt has been rolled back, so nothing is half
written. The command line says what failed in one line (exit code 3) and the API answers 503
with ``Retry-After``. :func:`environment_fault` tells such a fault from anything else; errors it
does not recognise stay what they are (a traceback, a 500), since they point at a bug.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, OperationalError

__all__ = ["EXIT_ENVIRONMENT", "RETRY_AFTER_SECONDS", "Fault", "environment_fault"]

EXIT_ENVIRONMENT = 3
RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class Fault:
    """``summary`` names no path or server, so an HTTP client may see it; ``detail`` adds
    the file or the database's own words, for the operator at the terminal or in the log."""

    summary: str
    detail: str
    in_database: bool = True


# SQLite says what happened only in its message.
_SQLITE = (
    ("database or disk is full", "the disk holding the database is full"),
    ("readonly database", "the database is read-only"),
    ("database is locked", "the database is locked by another process past the wait timeout"),
    ("database table is locked", "the database is locked by another process past the wait timeout"),
    ("unable to open database file", "the database file cannot be opened"),
    ("disk i/o error", "the disk holding the database reported an I/O error"),
)
# PostgreSQL by SQLSTATE (or its class, the first two characters).
_POSTGRES = {
    "53100": "the disk holding the database is full",
    "25006": "the database accepts no writes (read-only transaction)",
    "55P03": "a lock the request needs is held by another transaction past the timeout",
    "57014": "the database cancelled the statement (statement or lock timeout)",
    "40P01": "the database ended a deadlock by cancelling this transaction",
    "53": "the database is out of resources",
    "57": "the database is shutting down or not accepting connections",
    "08": "the database cannot be reached",
}
_DISK_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EIO: "the disk reported an I/O error",
}


def environment_fault(exc: BaseException) -> Fault | None:
    """The environment fault behind ``exc`` (or what it was raised from), or None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        fault = None
        if isinstance(current, DBAPIError):
            orig = current.orig
            fault = (_driver_fault(orig) if orig is not None else None) or _unreachable(current)
        elif isinstance(current, sqlite3.Error) or hasattr(current, "sqlstate"):
            fault = _driver_fault(current)  # raised by the driver, past SQLAlchemy
        elif isinstance(current, OSError):
            fault = _os_fault(current)
        if fault is not None:
            return fault
        current = current.__cause__ or current.__context__
    return None


def _driver_fault(original: BaseException) -> Fault | None:
    text = str(original).strip()
    words = text.splitlines()[0] if text else type(original).__name__
    if isinstance(original, sqlite3.Error):
        message = text.lower()
        for needle, summary in _SQLITE:
            if needle in message:
                return Fault(summary, f"{summary} ({words})")
        return None  # e.g. "no such table": a bug, not the environment
    sqlstate = getattr(original, "sqlstate", None)
    if isinstance(sqlstate, str):
        known = _POSTGRES.get(sqlstate) or _POSTGRES.get(sqlstate[:2])
        if known is not None:
            return Fault(known, f"{known} ({words})")
    return None


def _unreachable(exc: DBAPIError) -> Fault | None:
    """A connection that failed or broke says so only by its class and state."""
    no_state = getattr(exc.orig, "sqlstate", None) is None
    sqlite = isinstance(exc.orig, sqlite3.Error)
    if exc.connection_invalidated or (
        isinstance(exc, OperationalError) and no_state and not sqlite
    ):
        summary = "the database cannot be reached"
        text = str(exc.orig).strip()
        return Fault(summary, f"{summary} ({text.splitlines()[0] if text else 'no reason given'})")
    return None


def _os_fault(exc: OSError) -> Fault | None:
    reason = exc.strerror or str(exc)
    disk = _DISK_ERRNOS.get(exc.errno or 0)
    where = f"{exc.filename}: " if exc.filename else ""
    if disk is not None:
        return Fault(disk, f"{disk} ({where}{reason})", in_database=False)
    if exc.filename:
        summary = "a file cannot be read or written"
        return Fault(summary, f"cannot use {exc.filename}: {reason}", in_database=False)
    return None
