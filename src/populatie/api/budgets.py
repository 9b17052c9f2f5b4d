"""Read services for budgets: the adopted allocation per area and domain.

A budget is what the adopted run of a municipality-year gives an area; there is no other
source. Without ``year`` an area's budget is that of the newest year with an adoption.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import anyio.to_thread
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from populatie.allocations.models import Adoption, RunArea
from populatie.api import schemas
from populatie.api.pagination import Window
from populatie.api.registry import area_in_scope
from populatie.configuration import DOMAINS
from populatie.errors import NotFoundError
from populatie.registry.models import Area

BUDGET_CACHE_SECONDS = 2.0
MAX_ANSWERS = 10_000


def _budget(area: Area, adoption: Adoption, rows: Iterable[RunArea]) -> schemas.AreaBudget:
    domains = dict.fromkeys(DOMAINS, 0)
    for row in rows:
        domains[row.domain] = int(row.amount_cents)
    return schemas.AreaBudget(
        area=area.code,
        name=area.name,
        municipality=area.municipality_code,
        partnership=area.partnership_name,
        year=adoption.year,
        run_id=adoption.run_id,
        domains=domains,
        total_cents=sum(domains.values()),
        adopted_at=adoption.adopted_at,
        adopted_by=adoption.adopted_by,
    )


def area_budget(
    session: Session, code: str, scope: str | None, year: int | None = None
) -> schemas.AreaBudget:
    area = area_in_scope(session, code, scope)
    if year is not None:
        adoption = session.get(Adoption, (year, area.municipality_code))
    else:
        adoption = (
            session.execute(
                select(Adoption)
                .where(col(Adoption.municipality_code) == area.municipality_code)
                .order_by(col(Adoption.year).desc())
                .limit(1)
            )
            .scalars()
            .first()
        )
    when = f" in {year}" if year is not None else ""
    if adoption is None:
        raise NotFoundError(f"no adopted allocation for area {code}{when}")
    rows = list(
        session.execute(
            select(RunArea)
            .where(col(RunArea.run_id) == adoption.run_id)
            .where(col(RunArea.area_code) == code)
        ).scalars()
    )
    if not rows:
        raise NotFoundError(f"no adopted allocation for area {code}{when}")
    return _budget(area, adoption, rows)


def list_budgets(
    session: Session,
    window: Window,
    scope: str | None,
    year: int | None = None,
    municipality: str | None = None,
) -> schemas.AreaBudgetPage:
    """Every (year, area) with an adopted allocation, newest year first, then by area code."""
    adoptions_query = select(Adoption)
    if year is not None:
        adoptions_query = adoptions_query.where(col(Adoption.year) == year)
    if municipality is not None:
        adoptions_query = adoptions_query.where(col(Adoption.municipality_code) == municipality)
    adoptions = list(session.execute(adoptions_query).scalars())
    areas_query = select(Area)
    if scope is not None:
        areas_query = areas_query.where(col(Area.partnership_name) == scope)
    areas = list(session.execute(areas_query.order_by(col(Area.code))).scalars())
    pairs = sorted(
        (
            (adoption, area)
            for adoption in adoptions
            for area in areas
            if area.municipality_code == adoption.municipality_code
        ),
        key=lambda pair: (-pair[0].year, pair[1].code),
    )
    page = pairs[window.offset : window.offset + window.limit]
    items: list[schemas.AreaBudget] = []
    for adoption, area in page:
        rows = session.execute(
            select(RunArea)
            .where(col(RunArea.run_id) == adoption.run_id)
            .where(col(RunArea.area_code) == area.code)
        ).scalars()
        items.append(_budget(area, adoption, rows))
    return schemas.AreaBudgetPage(items=items, total=len(pairs))


_Key = tuple[str, str | None, int | None]
_Answer = schemas.AreaBudget | NotFoundError


class BudgetReader:
    """``GET /api/areas/{code}/budget``, the hottest read, answered from memory.

    An area's budget changes only when a run is adopted. Answers (including "not found") are
    kept per area, year and caller scope; an adoption through this app clears them at once.
    An answer older than ``ttl`` seconds is still given while a fresh one is computed in the
    background, so an adoption through another process (the CLI) shows within ``ttl`` seconds
    and the time to compute one, and no caller waits for a renewal. One computation per key
    runs at a time, in a worker thread with a session of its own, as a task of its own so that
    a caller going away does not cancel it for the others waiting.
    """

    def __init__(self, engine: Engine, ttl: float = BUDGET_CACHE_SECONDS) -> None:
        self.engine = engine
        self.ttl = ttl
        self._answers: dict[_Key, tuple[float, _Answer]] = {}
        self._pending: dict[_Key, tuple[int, asyncio.Task[_Answer]]] = {}
        self._generation = 0

    def clear(self) -> None:
        """Forget every answer, also those being computed right now (call after a commit)."""
        self._generation += 1
        self._answers.clear()

    async def area_budget(
        self, code: str, scope: str | None, year: int | None = None
    ) -> schemas.AreaBudget:
        key = (code, scope, year)
        cached = self._answers.get(key)
        pending = self._pending.get(key)
        current = pending[1] if pending and pending[0] == self._generation else None
        if cached is not None:
            if cached[0] <= time.monotonic() and current is None:
                self._start(key)  # renewed in the background; this caller need not wait
            return _answer(cached[1])
        # (a computation begun before the last clear() may have read what it replaced)
        return _answer(await asyncio.shield(current or self._start(key)))

    async def settled(self) -> None:
        """Wait until no computation is running, so a caller (a test) can wait for a renewal
        by what it waits for rather than by the clock."""
        while self._pending:
            await asyncio.gather(*(t for _, t in self._pending.values()), return_exceptions=True)

    def _start(self, key: _Key) -> asyncio.Task[_Answer]:
        task = asyncio.create_task(self._load(key, self._generation))
        task.add_done_callback(_retrieve)
        self._pending[key] = (self._generation, task)
        return task

    async def _load(self, key: _Key, generation: int) -> _Answer:
        try:
            answer = await anyio.to_thread.run_sync(self._compute, *key)
            if generation == self._generation:
                if len(self._answers) >= MAX_ANSWERS:
                    self._answers.clear()
                self._answers[key] = (time.monotonic() + self.ttl, answer)
            return answer
        finally:
            if self._pending.get(key, (None,))[0] == generation:
                del self._pending[key]

    def _compute(self, code: str, scope: str | None, year: int | None) -> _Answer:
        with Session(self.engine) as session:
            try:
                return area_budget(session, code, scope, year)
            except NotFoundError as exc:
                return exc


def _retrieve(task: asyncio.Task[_Answer]) -> None:
    """Mark a failed computation's error as seen; the callers waiting on it raise it."""
    if not task.cancelled():
        task.exception()


def _answer(answer: _Answer) -> schemas.AreaBudget:
    if isinstance(answer, NotFoundError):
        raise NotFoundError(answer.message)
    return answer
