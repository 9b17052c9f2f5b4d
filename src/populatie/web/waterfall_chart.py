"""A waterfall chart as inline SVG: from last year's amount, through the parts of the change,
to this year's.

The parts are the explanation's four (budget, bevolking, behoeftemix, demping), which add up
to the change to the cent. The change is small beside the amounts, so the value axis starts
just below the lowest running total, and the chart says so in its description and on the
axis; the table beside it gives the amounts. A rise is a solid bar, a fall a hatched one, so
the chart reads in greyscale too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from populatie.web.charts import INK, SPENT_FILL, nice_ticks
from populatie.web.formatting import euro_compact

__all__ = ["Step", "waterfall_chart"]

TOTAL_FILL = "#deebf7"
RISE_FILL = SPENT_FILL
FALL_FILL = "#9ecae1"


@dataclass(frozen=True)
class Step:
    """A part of the change, in cents (positive: more budget)."""

    label: str
    cents: int


def _signed(cents: int) -> str:
    text = euro_compact(abs(cents))
    return ("+" if cents > 0 else "−" if cents < 0 else "±") + text


def waterfall_chart(
    start: tuple[str, int],
    steps: Sequence[Step],
    end: tuple[str, int],
    *,
    prefix: str,
    title: str,
    description: str,
) -> Markup:
    """Columns: ``start`` (a total), each step floating on the running total, ``end``."""
    width, height = 640.0, 280.0
    left, right, top, bottom = 92.0, 12.0, 26.0, 44.0
    plot_w, plot_h = width - left - right, height - top - bottom
    running = [start[1]]
    for step in steps:
        running.append(running[-1] + step.cents)
    low, high = min([*running, end[1]]), max([*running, end[1]])
    spread = max(high - low, 1, abs(high) // 50)
    rough = max(0.0, low - spread * 0.6)
    rough_ticks = nice_ticks(high + spread * 0.2 - rough)
    gap = rough_ticks[1] - rough_ticks[0]
    floor = math.floor(rough / gap) * gap  # on a tick, so the axis reads in round amounts
    ticks = [floor + i * gap for i in range(math.ceil((high - floor) / gap) + 2)]
    top_value = ticks[-1]

    def y(cents: float) -> float:
        return top + plot_h - (cents - floor) / (top_value - floor) * plot_h

    columns = len(steps) + 2
    slot = plot_w / columns
    bar_w = slot * 0.6
    parts = [
        f'<pattern id="{prefix}-fall" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{FALL_FILL}"/>'
        f'<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="{INK}" stroke-width="1"/>'
        "</pattern>"
    ]
    for tick in ticks:
        ty = y(tick)
        parts.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'class="grid"/>'
            f'<text x="{left - 6:.1f}" y="{ty + 4:.1f}" text-anchor="end" class="axis">'
            f"{escape(euro_compact(tick))}</text>"
        )
    if floor > 0:
        parts.append(
            f'<text x="{left:.1f}" y="{top - 10:.1f}" class="axis">de as begint niet bij nul</text>'
        )

    def column(i: int, label: str, low_c: float, high_c: float, style: str, value: str) -> None:
        x = left + slot * i + (slot - bar_w) / 2
        y_top, y_low = y(high_c), y(low_c)
        parts.append(
            f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" '
            f'height="{max(y_low - y_top, 1.0):.1f}" {style}/>'
            f'<text x="{x + bar_w / 2:.1f}" y="{y_top - 5:.1f}" text-anchor="middle" '
            f'class="bar-value">{escape(value)}</text>'
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 24:.1f}" text-anchor="middle" '
            f'class="axis">{escape(label)}</text>'
        )

    total_style = f'fill="{TOTAL_FILL}" stroke="{INK}" stroke-width="1"'
    column(0, start[0], floor, start[1], total_style, euro_compact(start[1]))
    for i, step in enumerate(steps, start=1):
        before, after = running[i - 1], running[i]
        style = (
            f'fill="{RISE_FILL}"'
            if step.cents >= 0
            else f'fill="url(#{prefix}-fall)" stroke="{INK}" stroke-width="1"'
        )
        column(i, step.label, min(before, after), max(before, after), style, _signed(step.cents))
    column(columns - 1, end[0], floor, end[1], total_style, euro_compact(end[1]))
    x0, y0 = left, y(floor)
    parts.append(
        f'<line x1="{x0:.1f}" x2="{width - right:.1f}" y1="{y0:.1f}" y2="{y0:.1f}" stroke="{INK}"/>'
    )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart waterfall" viewBox="0 0 '
        f'{width:.0f} {height:.0f}" role="img" aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
        f"<defs>{parts[0]}</defs>{''.join(parts[1:])}</svg>"
    )
