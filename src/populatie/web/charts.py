"""Bars and a line chart as inline SVG, drawn on the server.

Each chart is an image with a title and a description for screen readers; the page puts the
same figures in a table beside it. Series are told apart by shape as well as shade (an outlined
bar, a solid bar, a hatched bar; a solid line with dots, a dashed line, a dotted line), so the
charts read in greyscale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from populatie.web.formatting import MONTHS_SHORT, euro_compact

__all__ = ["BarGroup", "MonthlySeries", "bar_chart", "line_chart", "nice_ticks"]

BUDGET_FILL = "#deebf7"
SPENT_FILL = "#08306b"
FORECAST_FILL = "#6baed6"
INK = "#1a1a1a"


@dataclass(frozen=True)
class BarGroup:
    """One domain of an area: budget, spent to date and forecast, in cents."""

    label: str
    budget_cents: int | None
    spent_cents: int
    forecast_cents: int


@dataclass(frozen=True)
class MonthlySeries:
    """Cumulative spending per month up to ``to_month``, against the year's budget."""

    budget_cents: int | None
    spent_by_month: Sequence[int]  # per month 1..12 (not cumulative); only to_month count
    to_month: int
    forecast_cents: int


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``high`` (1, 2 or 5 times a power of ten apart)."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    top = math.ceil(high / step) * step
    return [i * step for i in range(round(top / step) + 1)]


def _hatch(prefix: str) -> str:
    return (
        f'<pattern id="{prefix}-hatch" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{FORECAST_FILL}"/>'
        f'<path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke="{SPENT_FILL}" stroke-width="1.2"/>'
        "</pattern>"
    )


def bar_chart(groups: Sequence[BarGroup], *, prefix: str, title: str, description: str) -> Markup:
    """Horizontal bars per domain: budget (outlined), spent to date (solid), forecast (hatched)."""
    label_w, value_w, width = 170.0, 150.0, 640.0
    bar_h, gap, group_gap = 14.0, 3.0, 16.0
    plot_w = width - label_w - value_w
    high = max(
        [1.0]
        + [float(g.budget_cents or 0) for g in groups]
        + [float(g.spent_cents) for g in groups]
        + [float(g.forecast_cents) for g in groups]
    )
    rows = []
    y = 6.0
    for g in groups:
        series = (
            ("budget", g.budget_cents, f'fill="{BUDGET_FILL}" stroke="{INK}" stroke-width="1"'),
            ("besteed", g.spent_cents, f'fill="{SPENT_FILL}"'),
            ("prognose", g.forecast_cents, f'fill="url(#{prefix}-hatch)" stroke="{SPENT_FILL}"'),
        )
        rows.append(
            f'<text x="0" y="{y + bar_h * 1.5 + gap + 4:.1f}" class="bar-label">'
            f"{escape(g.label)}</text>"
        )
        for name, cents, style in series:
            w = 0.0 if cents is None else max(0.0, float(cents)) / high * plot_w
            text = "—" if cents is None else euro_compact(cents)
            rows.append(
                f'<rect x="{label_w:.1f}" y="{y:.1f}" width="{max(w, 0.5):.1f}" '
                f'height="{bar_h:.1f}" {style}/>'
                f'<text x="{label_w + w + 5:.1f}" y="{y + bar_h - 3:.1f}" class="bar-value">'
                f"{escape(name)} {escape(text)}</text>"
            )
            y += bar_h + gap
        y += group_gap
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 {width:.0f} '
        f'{y:.0f}" role="img" aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
        f"<defs>{_hatch(prefix)}</defs>{''.join(rows)}</svg>"
    )


def line_chart(series: MonthlySeries, *, prefix: str, title: str, description: str) -> Markup:
    """Cumulative spending per month (solid, with dots), the budget spread evenly over the
    year (dashed) and the run-rate forecast to December (dotted)."""
    width, height = 640.0, 300.0
    left, right, top, bottom = 86.0, 16.0, 14.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    cumulative = []
    running = 0
    for month in range(series.to_month):
        running += int(series.spent_by_month[month]) if month < len(series.spent_by_month) else 0
        cumulative.append(running)
    high = max([1.0, float(series.budget_cents or 0), float(series.forecast_cents), *cumulative])
    ticks = nice_ticks(high)
    top_value = ticks[-1]

    def px(month: float, cents: float) -> tuple[float, float]:
        return left + (month / 12) * plot_w, top + plot_h - (cents / top_value) * plot_h

    parts = []
    for tick in ticks:
        _, ty = px(0, tick)
        parts.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'class="grid"/>'
            f'<text x="{left - 6:.1f}" y="{ty + 4:.1f}" text-anchor="end" class="axis">'
            f"{escape(euro_compact(tick))}</text>"
        )
    for month, name in enumerate(MONTHS_SHORT, start=1):
        mx, _ = px(month - 0.5, 0)
        parts.append(
            f'<text x="{mx:.1f}" y="{height - 12:.1f}" text-anchor="middle" class="axis">'
            f"{name}</text>"
        )
    x0, y0 = px(0, 0)
    parts.append(
        f'<line x1="{x0:.1f}" x2="{width - right:.1f}" y1="{y0:.1f}" y2="{y0:.1f}" stroke="{INK}"/>'
    )
    if series.budget_cents is not None:
        bx, by = px(12, series.budget_cents)
        parts.append(
            f'<path d="M{x0:.1f},{y0:.1f}L{bx:.1f},{by:.1f}" class="line-budget" fill="none" '
            f'stroke="{INK}" stroke-width="2" stroke-dasharray="7 5"/>'
            f'<text x="{bx - 4:.1f}" y="{by - 6:.1f}" text-anchor="end" class="axis">'
            f"budget {escape(euro_compact(series.budget_cents))}</text>"
        )
    if cumulative:
        points = [px(0, 0)] + [px(m + 1, c) for m, c in enumerate(cumulative)]
        path = "L".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<path d="M{path}" class="line-spent" fill="none" stroke="{SPENT_FILL}" '
            'stroke-width="3"/>'
        )
        parts.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{SPENT_FILL}"/>'
            for x, y in points[1:]
        )
        if series.to_month < 12:
            lx, ly = points[-1]
            fx, fy = px(12, series.forecast_cents)
            parts.append(
                f'<path d="M{lx:.1f},{ly:.1f}L{fx:.1f},{fy:.1f}" class="line-forecast" '
                f'fill="none" stroke="{SPENT_FILL}" stroke-width="2" stroke-dasharray="2 4"/>'
            )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart line" viewBox="0 0 {width:.0f} '
        f'{height:.0f}" role="img" aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
        f"{''.join(parts)}</svg>"
    )
