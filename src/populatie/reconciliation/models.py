"""Finance's marks on reconciliation exceptions.

An exception is recomputed on every reconciliation and has no row; the mark that it was
handled is kept here under the exception's stable identity
(:func:`populatie.core.exception_identity.exception_key`), so it stays when the reconciliation
is run again. A mark is replaced by a newer one; the audit log keeps every one.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class ExceptionHandling(SQLModel, table=True):
    """The newest mark on one exception: who handled it, when, and the note."""

    __tablename__ = "exception_handling"

    key: str = Field(primary_key=True, max_length=40)
    year: int = Field(index=True)
    kind: str = Field(max_length=40)
    subject: str
    note: str
    handled_at: datetime
    handled_by: str
