"""The estimate page's charts as inline SVG: estimated rates with their intervals, and each
area's budget range over those intervals (the waterfall of a change is in
:mod:`populatie.web.waterfall_chart`, shared with the consortium page).

Like :mod:`populatie.web.charts`, each chart is an image with a title and a description, the
page puts the same figures in a table beside it, and nothing depends on colour alone: a rise
is a solid bar and a fall a hatched one, a run's amount a dot and an estimate's a diamond.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from populatie.web.charts import INK, SPENT_FILL, nice_ticks
from populatie.web.formatting import euro_compact

__all__ = [
    "Interval",
    "RangeBar",
    "interval_chart",
    "range_chart",
]

FALL_FILL = "#fdae6b"
TOTAL_FILL = "#deebf7"


@dataclass(frozen=True)
class Interval:
    """One estimated rate with its interval (euro per unit); no interval without bootstrap."""

    label: str
    value: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class RangeBar:
    """One area: the lowest and highest amount over the intervals, the run's and the
    estimate's amount (cents)."""

    label: str
    low_cents: int
    high_cents: int
    run_cents: int
    estimate_cents: int


def _svg(prefix: str, css: str, width: float, height: float, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {width:.0f} '
        f'{height:.0f}" role="img" aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(desc)}</desc>'
    )


def _rate_text(value: float) -> str:
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"€\u00a0{text}"


def interval_chart(
    intervals: Sequence[Interval], *, prefix: str, title: str, description: str
) -> Markup:
    """One row per indicator, each on its own scale from 0 (rates of different indicators are
    in different units): the name above, the interval as a line with end ticks, the estimate
    as a dot, and the figures to the right."""
    left, value_w, width = 8.0, 250.0, 640.0
    row_h, top = 52.0, 4.0
    plot_w = width - left - value_w - 16
    parts = []
    y = top
    for item in intervals:
        high = max(item.value, item.high or 0.0)
        scale = nice_ticks(high)[-1] if high > 0 else 1.0

        def px(value: float, scale: float = scale) -> float:
            return left + value / scale * plot_w

        mid = y + 26
        parts.append(
            f'<text x="0" y="{y + 12:.1f}" class="bar-label">{escape(item.label)}</text>'
            f'<line x1="{left:.1f}" x2="{left + plot_w:.1f}" y1="{mid:.1f}" y2="{mid:.1f}" '
            'class="grid"/>'
            f'<text x="{left:.1f}" y="{mid + 20:.1f}" class="axis">0</text>'
            f'<text x="{left + plot_w:.1f}" y="{mid + 20:.1f}" text-anchor="end" '
            f'class="axis">{escape(_rate_text(scale))}</text>'
        )
        if item.low is not None and item.high is not None:
            lo, hi = px(item.low), px(item.high)
            parts.append(
                f'<path d="M{lo:.1f},{mid:.1f}H{hi:.1f}M{lo:.1f},{mid - 7:.1f}V{mid + 7:.1f}'
                f'M{hi:.1f},{mid - 7:.1f}V{mid + 7:.1f}" stroke="{INK}" stroke-width="2" '
                'fill="none"/>'
            )
            bounds = f"{_rate_text(item.low)} – {_rate_text(item.high)}"
        else:
            bounds = "geen interval"
        parts.append(
            f'<circle cx="{px(item.value):.1f}" cy="{mid:.1f}" r="5" fill="{SPENT_FILL}"/>'
            f'<text x="{left + plot_w + 16:.1f}" y="{mid - 2:.1f}" class="bar-value">'
            f"{escape(_rate_text(item.value))}</text>"
            f'<text x="{left + plot_w + 16:.1f}" y="{mid + 14:.1f}" class="axis">'
            f"{escape(bounds)}</text>"
        )
        y += row_h
    return Markup(
        _svg(prefix, "intervals", width, y + top, title, description) + "".join(parts) + "</svg>"
    )


def _span_ticks(low: float, high: float) -> list[float]:
    """Round ticks around ``low``..``high`` (not from 0: a range is read by its ends)."""
    step_ticks = nice_ticks(max(high - low, 1.0))
    step = step_ticks[1] - step_ticks[0]
    start = math.floor(low / step) * step
    ticks = [start]
    while ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return ticks


def range_chart(bars: Sequence[RangeBar], *, prefix: str, title: str, description: str) -> Markup:
    """Per area, its name above a bar from the lowest to the highest amount, the run's amount
    as a dot and the amount at the estimate as a diamond, all on one axis around the amounts
    (the axis does not start at € 0, as its labels say)."""
    left, width = 44.0, 640.0
    row_h, top, bottom = 44.0, 6.0, 26.0
    plot_w = width - left - 48
    values = [float(v) for b in bars for v in (b.low_cents, b.high_cents, b.run_cents)]
    ticks = _span_ticks(min(values, default=0.0), max(values, default=1.0))
    low, span = ticks[0], (ticks[-1] - ticks[0]) or 1.0

    def px(cents: float) -> float:
        return left + (cents - low) / span * plot_w

    height = top + row_h * len(bars) + bottom
    parts = []
    for tick in ticks:
        x = px(tick)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top:.1f}" y2="{height - bottom:.1f}" '
            'class="grid"/>'
            f'<text x="{x:.1f}" y="{height - 8:.1f}" text-anchor="middle" class="axis">'
            f"{escape(euro_compact(tick))}</text>"
        )
    y = top
    for b in bars:
        mid = y + 28
        lo, hi = px(b.low_cents), px(b.high_cents)
        ex = px(b.estimate_cents)
        parts.append(
            f'<text x="0" y="{y + 12:.1f}" class="bar-label">{escape(b.label)}</text>'
            f'<rect x="{lo:.1f}" y="{mid - 6:.1f}" width="{max(hi - lo, 1.0):.1f}" height="12" '
            f'fill="{TOTAL_FILL}" stroke="{INK}"/>'
            f'<path d="M{ex:.1f},{mid - 7:.1f}L{ex + 7:.1f},{mid:.1f}L{ex:.1f},{mid + 7:.1f}'
            f'L{ex - 7:.1f},{mid:.1f}Z" fill="{FALL_FILL}" stroke="{INK}"/>'
            f'<circle cx="{px(b.run_cents):.1f}" cy="{mid:.1f}" r="4.5" fill="{SPENT_FILL}"/>'
        )
        y += row_h
    return Markup(
        _svg(prefix, "ranges", width, height, title, description) + "".join(parts) + "</svg>"
    )
