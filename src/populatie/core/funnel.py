"""Funnel plot for proportions: which providers differ from their peers by more than noise.

Each provider *i* has ``x_i`` events out of ``n_i`` (dropouts out of ended trajectories, say).
The target is the pooled proportion of the group, ``p0 = Σ x_i / Σ n_i``. Under the hypothesis
that every provider has the true proportion ``p0``, the observed proportion ``x/n`` of a provider
with ``n`` cases lies within

    p0 ± z · sqrt(p0 · (1 − p0) / n)

with the probability of ``z``: the binomial distribution approximated by the normal one, with
``z = 1.959964`` for the 95 % limits and ``z = 3.090232`` for the 99.8 % limits (the two-sided
quantiles 0.975 and 0.999 of the standard normal distribution). The limits are clipped to
[0, 1]. The funnel narrows as ``n`` grows, so a small provider is flagged only when its
difference is large enough not to be chance (Spiegelhalter, *Funnel plots for comparing
institutional performance*, Statistics in Medicine 2005).

Pure: numbers in, numbers out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Z_95",
    "Z_998",
    "FunnelPoint",
    "FunnelResult",
    "funnel",
    "funnel_curve",
    "limits",
]

Z_95 = 1.959964
Z_998 = 3.090232


@dataclass(frozen=True)
class Limits:
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float


@dataclass(frozen=True)
class FunnelPoint:
    """One provider: its events and cases, its proportion, the limits at its ``n``, where it lies.

    ``position`` is ``inside``, ``above_95``/``below_95`` (outside the 95 % limits only), or
    ``above_998``/``below_998`` (outside the 99.8 % limits too)."""

    label: str
    events: int
    cases: int
    proportion: float
    limits: Limits
    position: str


@dataclass(frozen=True)
class FunnelResult:
    target: float
    events: int
    cases: int
    points: list[FunnelPoint]


def limits(p0: float, n: int) -> Limits:
    """The 95 % and 99.8 % control limits around ``p0`` for a group of ``n`` cases."""
    if n <= 0:
        raise ValueError(f"a funnel point needs at least one case, not {n}")
    if not 0.0 <= p0 <= 1.0:
        raise ValueError(f"the target proportion {p0} is not between 0 and 1")
    sd = math.sqrt(p0 * (1.0 - p0) / n)
    return Limits(
        lower_95=max(0.0, p0 - Z_95 * sd),
        upper_95=min(1.0, p0 + Z_95 * sd),
        lower_998=max(0.0, p0 - Z_998 * sd),
        upper_998=min(1.0, p0 + Z_998 * sd),
    )


def _position(p: float, lim: Limits) -> str:
    if p > lim.upper_998:
        return "above_998"
    if p < lim.lower_998:
        return "below_998"
    if p > lim.upper_95:
        return "above_95"
    if p < lim.lower_95:
        return "below_95"
    return "inside"


def funnel(groups: Sequence[tuple[str, int, int]]) -> FunnelResult:
    """``(label, events, cases)`` per provider → the pooled target and each provider's point.

    Events must lie between 0 and cases; a provider without cases cannot be placed and is
    refused, as is an empty group."""
    for label, events, cases in groups:
        if cases <= 0 or not 0 <= events <= cases:
            raise ValueError(f"{label}: {events} events out of {cases} cases is no proportion")
    total_events = sum(g[1] for g in groups)
    total_cases = sum(g[2] for g in groups)
    if total_cases == 0:
        raise ValueError("a funnel plot needs at least one provider with cases")
    p0 = total_events / total_cases
    points = []
    for label, events, cases in groups:
        lim = limits(p0, cases)
        p = events / cases
        points.append(FunnelPoint(label, events, cases, p, lim, _position(p, lim)))
    return FunnelResult(p0, total_events, total_cases, points)


def funnel_curve(p0: float, n_max: int, steps: int = 60) -> list[tuple[int, Limits]]:
    """The limits at ``steps`` case counts from 1 to ``n_max`` (spaced evenly on a square-root
    scale, where the funnel bends), to draw the funnel's four lines."""
    if n_max < 1:
        return []
    ns = sorted(
        {max(1, round((1 + (math.sqrt(n_max) - 1) * i / steps) ** 2)) for i in range(steps + 1)}
    )
    return [(n, limits(p0, n)) for n in ns]
