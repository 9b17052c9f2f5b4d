"""A waterfall chart as inline SVG: an area's change in its four parts (budget, bevolking,
behoeftemix, demping), the planner's runs page and the consortium's year against last year alike.

Each part is a horizontal bar that starts where the one before ended, and the last bar spans the
whole change from € 0, so the parts visibly add up to it; the axis is the change itself, never a
total that would dwarf it. A rise is a solid bar and a fall a hatched one, so the chart reads in
greyscale too. The chart is an image with a title and a description, and the page puts the same
amounts in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from populatie.web.charts import INK
from populatie.web.formatting import euro_compact

__all__ = ["FALL_FILL", "RISE_FILL", "TOTAL_FILL", "Step", "waterfall_chart"]

RISE_FILL = "#08519c"
FALL_FILL = "#fdae6b"
TOTAL_FILL = "#deebf7"


@dataclass(frozen=True)
class Step:
    """A part of the change, in cents (positive: more budget)."""

    label: str
    cents: int


def _svg(prefix: str, width: float, height: float, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart waterfall" viewBox="0 0 '
        f'{width:.0f} {height:.0f}" role="img" aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(desc)}</desc>'
    )


def _hatch(prefix: str) -> str:
    return (
        f'<pattern id="{prefix}-fall" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{FALL_FILL}"/>'
        f'<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="{INK}" stroke-width="1"/>'
        "</pattern>"
    )


def _signed(cents: int) -> str:
    text = euro_compact(cents)
    return text.replace("€\u00a0", "€\u00a0+") if cents > 0 else text


def waterfall_chart(steps: Sequence[Step], *, prefix: str, title: str, description: str) -> Markup:
    """Horizontal floating bars, each part starting where the one before ended, then the
    whole change from zero: the parts visibly add up to it."""
    label_w, value_w, width = 150.0, 120.0, 640.0
    bar_h, gap, top = 18.0, 8.0, 24.0
    plot_w = width - label_w - value_w
    running = [0]
    for step in steps:
        running.append(running[-1] + step.cents)
    low, high = min(running), max(running)
    span = float(high - low) or 1.0

    def px(cents: float) -> float:
        return label_w + (cents - low) / span * plot_w

    rows = []
    y = top
    zero = px(0)
    bars = [(s.label, running[i], running[i + 1], False) for i, s in enumerate(steps)]
    bars.append(("Verschil", 0, running[-1], True))
    for label, start, end, total in bars:
        x0, x1 = sorted((px(start), px(end)))
        change = end - start
        if total:
            style = f'fill="{TOTAL_FILL}" stroke="{INK}"'
        elif change >= 0:
            style = f'fill="{RISE_FILL}"'
        else:
            style = f'fill="url(#{prefix}-fall)" stroke="{INK}"'
        weight = ' font-weight="bold"' if total else ""
        rows.append(
            f'<text x="0" y="{y + bar_h - 5:.1f}" class="bar-label"{weight}>{escape(label)}</text>'
            f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 1.0):.1f}" height="{bar_h:.1f}" '
            f"{style}/>"
            f'<text x="{max(x1, zero) + 5:.1f}" y="{y + bar_h - 5:.1f}" class="bar-value">'
            f"{escape(_signed(change))}</text>"
        )
        y += bar_h + gap
    axis = (
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top - 8:.1f}" y2="{y - gap + 4:.1f}" '
        f'stroke="{INK}" stroke-width="1.5"/>'
        f'<text x="{zero:.1f}" y="{top - 11:.1f}" text-anchor="middle" class="axis">€ 0</text>'
    )
    return Markup(
        _svg(prefix, width, y + 4, title, description)
        + f"<defs>{_hatch(prefix)}</defs>{axis}{''.join(rows)}</svg>"
    )
