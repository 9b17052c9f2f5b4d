"""Keep the ``segment`` table equal to ``config/segments.toml``, and read it.

The configuration is the source of truth (segments change with a procurement strategy, not by
a finance edit), so syncing replaces the table inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import delete, or_, select
from sqlmodel import Session, col

from populatie.configuration import SegmentConfig
from populatie.errors import DataError
from populatie.segments.models import Segment

__all__ = ["SegmentView", "list_segments", "sync_segments"]


@dataclass(frozen=True)
class SegmentView:
    code: str
    name_nl: str
    name_en: str
    from_year: int
    to_year: int | None
    source: str
    note: str

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def sync_segments(session: Session, segments: Sequence[SegmentConfig]) -> None:
    session.execute(delete(Segment))
    session.add_all(
        Segment(
            code=s.code,
            name_nl=s.name_nl,
            name_en=s.name_en,
            from_year=s.from_year,
            to_year=s.to_year,
            source=s.source,
            note=s.note,
        )
        for s in segments
    )
    session.flush()


def list_segments(session: Session, year: int | None = None) -> list[SegmentView]:
    """The segments in order of their first year, then code; with ``year``, those that apply
    in it."""
    query = select(Segment)
    if year is not None:
        if not 2000 <= year <= 2099:
            raise DataError(f"year {year} is not a budget year")
        query = query.where(
            col(Segment.from_year) <= year,
            or_(col(Segment.to_year).is_(None), col(Segment.to_year) >= year),
        )
    rows = session.execute(query.order_by(col(Segment.from_year), col(Segment.code))).scalars()
    return [
        SegmentView(
            code=r.code,
            name_nl=r.name_nl,
            name_en=r.name_en,
            from_year=r.from_year,
            to_year=r.to_year,
            source=r.source,
            note=r.note,
        )
        for r in rows
    ]
