"""The planner page's charts as inline SVG: a waterfall of an area's change, estimated rates
with their intervals, and each area's budget range over those intervals.

Like :mod:`populatie.web.charts`, each chart is an image with a title and a description, the
page puts the same figures in a table beside it, and nothing depends on colour alone: a rise
is a solid bar and a fall a hatched one, a run's amount a dot and an estimate's a diamond.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from populatie.web.charts import INK, SPENT_FILL, nice_ticks
from populatie.web.formatting import euro_compact

__all__ = [
    "Interval",
    "RangeBar",
    "WaterfallStep",
    "interval_chart",
    "range_chart",
    "waterfall_chart",
]

RISE_FILL = "#08519c"
FALL_FILL = "#fdae6b"
TOTAL_FILL = "#deebf7"


@dataclass(frozen=True)
class WaterfallStep:
    label: str
    cents: int


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


def waterfall_chart(
    steps: Sequence[WaterfallStep], *, prefix: str, title: str, description: str
) -> Markup:
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
        _svg(prefix, "waterfall", width, y + 4, title, description)
        + f"<defs>{_hatch(prefix)}</defs>{axis}{''.join(rows)}</svg>"
    )


def _rate_text(value: float) -> str:
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"€\u00a0{text}"


def interval_chart(
    intervals: Sequence[Interval], *, prefix: str, title: str, description: str
) -> Markup:
    """One row per indicator, each on its own scale from 0 (rates of different indicators are
    in different units): the interval as a line with end ticks, the estimate as a dot."""
    label_w, value_w, width = 190.0, 190.0, 640.0
    row_h, top = 34.0, 8.0
    plot_w = width - label_w - value_w
    parts = []
    y = top
    for item in intervals:
        high = max(item.value, item.high or 0.0)
        scale = nice_ticks(high)[-1] if high > 0 else 1.0

        def px(value: float, scale: float = scale) -> float:
            return label_w + value / scale * plot_w

        mid = y + row_h / 2
        parts.append(
            f'<text x="0" y="{mid + 4:.1f}" class="bar-label">{escape(item.label)}</text>'
            f'<line x1="{label_w:.1f}" x2="{label_w + plot_w:.1f}" y1="{mid:.1f}" y2="{mid:.1f}" '
            'class="grid"/>'
            f'<text x="{label_w:.1f}" y="{y + row_h - 1:.1f}" class="axis">0</text>'
            f'<text x="{label_w + plot_w:.1f}" y="{y + row_h - 1:.1f}" text-anchor="end" '
            f'class="axis">{escape(_rate_text(scale))}</text>'
        )
        if item.low is not None and item.high is not None:
            lo, hi = px(item.low), px(item.high)
            parts.append(
                f'<path d="M{lo:.1f},{mid:.1f}H{hi:.1f}M{lo:.1f},{mid - 7:.1f}V{mid + 7:.1f}'
                f'M{hi:.1f},{mid - 7:.1f}V{mid + 7:.1f}" stroke="{INK}" stroke-width="2" '
                'fill="none"/>'
            )
            text = f"{_rate_text(item.value)} ({_rate_text(item.low)} – {_rate_text(item.high)})"
        else:
            text = _rate_text(item.value)
        parts.append(
            f'<circle cx="{px(item.value):.1f}" cy="{mid:.1f}" r="5" fill="{SPENT_FILL}"/>'
            f'<text x="{label_w + plot_w + 8:.1f}" y="{mid + 4:.1f}" class="bar-value">'
            f"{escape(text)}</text>"
        )
        y += row_h
    return Markup(
        _svg(prefix, "intervals", width, y + top, title, description) + "".join(parts) + "</svg>"
    )


def range_chart(bars: Sequence[RangeBar], *, prefix: str, title: str, description: str) -> Markup:
    """Per area a bar from the lowest to the highest amount, on one axis from € 0, with the
    run's amount as a dot and the amount at the estimate as a diamond."""
    label_w, width = 150.0, 640.0
    row_h, top, bottom = 30.0, 10.0, 26.0
    plot_w = width - label_w - 16
    high = max([1.0] + [float(max(b.high_cents, b.run_cents)) for b in bars])
    ticks = nice_ticks(high)
    scale = ticks[-1]

    def px(cents: float) -> float:
        return label_w + cents / scale * plot_w

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
        mid = y + row_h / 2
        lo, hi = px(b.low_cents), px(b.high_cents)
        ex = px(b.estimate_cents)
        parts.append(
            f'<text x="0" y="{mid + 4:.1f}" class="bar-label">{escape(b.label)}</text>'
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
