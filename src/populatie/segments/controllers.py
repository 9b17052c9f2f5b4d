"""Thin HTTP layer over the configured segments (read-only: they change with the strategy,
in ``config/segments.toml``)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter
from msgspec import Struct

from populatie.api.deps import DbSession, Paging
from populatie.auth.access import READ, access
from populatie.segments.service import list_segments


class Segment(Struct, kw_only=True):
    code: str
    name_nl: str
    name_en: str
    from_year: int
    to_year: int | None
    source: str
    note: str


class SegmentPage(Struct, kw_only=True):
    items: list[Segment]
    total: int


YearFilter = Annotated[
    int | None, QueryParameter(ge=2000, le=2099, description="Only segments that apply that year")
]


class SegmentController(Controller):
    path = "/api/segments"
    tags = ["segments"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get("/", operation_id="ListSegments", sync_to_thread=True, **access(READ))
    def list_segments(
        self, session: DbSession, window: Paging, year: YearFilter = None
    ) -> SegmentPage:
        views = list_segments(session, year)
        page = views[window.offset : window.offset + window.limit]
        items = [
            Segment(
                code=v.code,
                name_nl=v.name_nl,
                name_en=v.name_en,
                from_year=v.from_year,
                to_year=v.to_year,
                source=v.source,
                note=v.note,
            )
            for v in page
        ]
        return SegmentPage(items=items, total=len(views))
