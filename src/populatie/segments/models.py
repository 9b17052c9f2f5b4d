"""Segments of specialist youth care, synced from ``config/segments.toml``."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Segment(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=40)
    name_nl: str
    name_en: str
    from_year: int
    to_year: int | None = None
    source: str
    note: str = ""
