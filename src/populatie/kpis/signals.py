"""Signals: a KPI outside its norm for two consecutive periods (Simons' diagnostic lever).

Pure: a series in, the runs out. One period outside the norm may be noise; two in a row is a
signal, reported with its evidence (the periods, the values and the norm of each). Periods are
consecutive when the second starts the month after the first ends; a gap (a period without a
figure, or a figure withheld as too small) breaks a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Observation", "Signal", "find_signals", "outside"]

RUN = 2


@dataclass(frozen=True)
class Observation:
    period: str
    start: int  # months since year 0: year · 12 + month − 1
    months: int
    value: float | None  # None: no figure, or withheld
    norm: float | None


@dataclass(frozen=True)
class Signal:
    periods: list[str]
    values: list[float]
    norms: list[float]


def outside(value: float | None, norm: float | None, direction: str) -> bool | None:
    """Whether ``value`` misses ``norm`` in the KPI's direction (None: cannot tell)."""
    if value is None or norm is None or direction not in ("higher", "lower"):
        return None
    return value < norm if direction == "higher" else value > norm


def find_signals(series: Sequence[Observation], direction: str) -> list[Signal]:
    """Every maximal run of at least two consecutive periods outside the norm."""
    found: list[Signal] = []
    run: list[Observation] = []

    def close() -> None:
        if len(run) >= RUN:
            found.append(
                Signal(
                    [o.period for o in run],
                    [o.value for o in run if o.value is not None],
                    [o.norm for o in run if o.norm is not None],
                )
            )

    for obs in sorted(series, key=lambda o: (o.start, o.months)):
        if outside(obs.value, obs.norm, direction):
            if run and run[-1].start + run[-1].months == obs.start and run[-1].months == obs.months:
                run.append(obs)
            else:
                close()
                run = [obs]
        else:
            close()
            run = []
    close()
    return found
