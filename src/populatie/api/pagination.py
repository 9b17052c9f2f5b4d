"""``limit``/``offset`` for every list, as one dependency so they are documented alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar.params import QueryParameter

MAX_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    offset: int


def provide_window(
    limit: Annotated[
        int, QueryParameter(ge=1, le=MAX_LIMIT, description="Items per page (at most 1000)")
    ] = 100,
    offset: Annotated[int, QueryParameter(ge=0, le=10_000_000, description="Items to skip")] = 0,
) -> Window:
    return Window(limit=limit, offset=offset)
