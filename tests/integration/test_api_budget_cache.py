"""The budget reader's memory: one computation per key, no waiting for a renewal, and nothing
read before an adoption's commit given out after it."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine

from populatie.api import schemas
from populatie.api.budgets import BudgetReader
from populatie.errors import NotFoundError


def _budget(total: int) -> schemas.AreaBudget:
    return schemas.AreaBudget(
        area="GM0518-L2",
        name="perceel 2",
        municipality="GM0518",
        partnership="RondomJou",
        year=2025,
        run_id="r",
        domains={"prevention": total, "access": 0, "specialist": 0},
        total_cents=total,
        adopted_at=datetime.now(UTC),
        adopted_by="test",
    )


HANG_GUARD = 60.0  # seconds; only a broken reader ever waits this long


class Scripted(BudgetReader):
    """Answers from ``self.value``; each computation counts itself in ``self.calls`` once it
    has read the value, then waits for ``self.go`` when it is set."""

    def __init__(self, ttl: float) -> None:
        super().__init__(create_engine("sqlite://"), ttl=ttl)
        self.value: int | None = 1
        self.calls = 0
        self.go: threading.Event | None = None
        self._counted = threading.Condition()

    def _compute(
        self, code: str, scope: str | None, year: int | None
    ) -> schemas.AreaBudget | NotFoundError:
        with self._counted:
            value = self.value
            self.calls += 1
            self._counted.notify_all()
        if self.go is not None:
            self.go.wait(HANG_GUARD)
        if value is None:
            return NotFoundError(f"area {code} not found")
        return _budget(value)

    async def entered(self, calls: int) -> None:
        """Wait until ``calls`` computations have read their value."""

        def wait() -> bool:
            with self._counted:
                return self._counted.wait_for(lambda: self.calls >= calls, HANG_GUARD)

        assert await asyncio.to_thread(wait), f"{self.calls} computations, not {calls}"


def test_one_computation_for_many_callers_and_kept_answers() -> None:
    async def scenario() -> None:
        reader = Scripted(ttl=60)
        answers = await asyncio.gather(*(reader.area_budget("X", None) for _ in range(50)))
        assert {a.total_cents for a in answers} == {1}
        assert reader.calls == 1
        reader.value = 2
        assert (await reader.area_budget("X", None)).total_cents == 1  # kept
        assert reader.calls == 1
        reader.value = None
        with pytest.raises(NotFoundError):
            await reader.area_budget("X", "RondomJou")  # another scope, another key
        with pytest.raises(NotFoundError):
            await reader.area_budget("X", "RondomJou")
        assert reader.calls == 2

    asyncio.run(scenario())


def test_an_old_answer_is_given_while_it_is_renewed() -> None:
    async def scenario() -> None:
        reader = Scripted(ttl=0)
        assert (await reader.area_budget("X", None)).total_cents == 1
        reader.value = 2
        reader.go = threading.Event()  # the renewal hangs until released
        first = await reader.area_budget("X", None)
        await reader.entered(2)  # the renewal has read value 2, and hangs
        assert first.total_cents == 1  # answered from memory all the same
        reader.go.set()
        await reader.settled()
        assert (await reader.area_budget("X", None)).total_cents == 2

    asyncio.run(scenario())


def test_nothing_computed_before_a_clear_is_given_after_it() -> None:
    async def scenario() -> None:
        reader = Scripted(ttl=60)
        reader.go = threading.Event()
        before = asyncio.create_task(reader.area_budget("X", None))
        await reader.entered(1)  # it has read value 1 ...
        reader.value = 2  # ... an adoption commits ...
        reader.clear()  # ... and clears
        after = asyncio.create_task(reader.area_budget("X", None))
        await reader.entered(2)  # a computation of its own, reading value 2
        reader.go.set()
        assert (await before).total_cents == 1
        assert (await after).total_cents == 2
        assert (await reader.area_budget("X", None)).total_cents == 2
        assert reader.calls == 2

    asyncio.run(scenario())
