"""The finance page's charts, as inline SVG drawn on the server in the style of
:mod:`populatie.web.charts`: spend against the ceiling per contract (bars, the ceiling a
marked line) and spending per month per domain (lines).

Each is an image with a title and a description; the page shows the same figures in a table
beside it. The domains are told apart by shape as well as shade (solid with dots, dashed with
squares, dotted with triangles), so the lines read in greyscale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from populatie.web.charts import FORECAST_FILL, INK, SPENT_FILL, nice_ticks
from populatie.web.formatting import DOMAIN_LABELS, MONTHS_SHORT, euro_compact

__all__ = ["CeilingBar", "ceiling_chart", "domain_trend_chart"]

OVER_FILL = "#a50f15"
# domain → (stroke dash pattern, marker shape)
DOMAIN_STYLES = {
    "prevention": ("", "circle"),
    "access": ("8 5", "square"),
    "specialist": ("2 4", "triangle"),
}
DOMAIN_INK = {"prevention": SPENT_FILL, "access": "#2171b5", "specialist": INK}


@dataclass(frozen=True)
class CeilingBar:
    """One contract's year: spent to date and forecast against its ceiling, in cents."""

    label: str
    spent_cents: int
    forecast_cents: int
    ceiling_cents: int | None


def _svg(kind: str, width: float, height: float, prefix: str, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" viewBox="0 0 {width:.0f} '
        f'{height:.0f}" role="img" aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(desc)}</desc>'
    )


def ceiling_chart(
    bars: Sequence[CeilingBar], *, prefix: str, title: str, description: str
) -> Markup:
    """Per contract: the forecast (light), spent to date over it (solid; dark red past the
    ceiling) and the ceiling as a black upright line with a label."""
    label_w, value_w, width = 150.0, 170.0, 640.0
    bar_h, row_gap = 16.0, 22.0
    plot_w = width - label_w - value_w
    high = max(
        [1.0]
        + [float(b.ceiling_cents or 0) for b in bars]
        + [float(max(b.spent_cents, b.forecast_cents, 0)) for b in bars]
    )
    parts = []
    y = 8.0
    for b in bars:
        spent_w = max(0.0, float(b.spent_cents)) / high * plot_w
        forecast_w = max(0.0, float(b.forecast_cents)) / high * plot_w
        over = b.ceiling_cents is not None and b.spent_cents > b.ceiling_cents
        fill = OVER_FILL if over else SPENT_FILL
        parts.append(
            f'<text x="0" y="{y + bar_h - 4:.1f}" class="bar-label">{escape(b.label)}</text>'
            f'<rect x="{label_w:.1f}" y="{y:.1f}" width="{max(forecast_w, 0.5):.1f}" '
            f'height="{bar_h:.1f}" fill="{FORECAST_FILL}" class="bar-forecast"/>'
            f'<rect x="{label_w:.1f}" y="{y + 3:.1f}" width="{max(spent_w, 0.5):.1f}" '
            f'height="{bar_h - 6:.1f}" fill="{fill}" class="bar-spent"/>'
        )
        if b.ceiling_cents is not None:
            cx = label_w + float(max(b.ceiling_cents, 0)) / high * plot_w
            parts.append(
                f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y - 4:.1f}" y2="{y + bar_h + 4:.1f}" '
                f'stroke="{INK}" stroke-width="3" class="ceiling"/>'
            )
        ceiling = (
            "geen plafond"
            if b.ceiling_cents is None
            else (f"plafond {euro_compact(b.ceiling_cents)}")
        )
        end = label_w + max(spent_w, forecast_w)
        if b.ceiling_cents is not None:
            end = max(end, label_w + float(max(b.ceiling_cents, 0)) / high * plot_w)
        parts.append(
            f'<text x="{end + 6:.1f}" y="{y + bar_h - 4:.1f}" class="bar-value">'
            f"{escape(euro_compact(b.spent_cents))} · {escape(ceiling)}</text>"
        )
        y += bar_h + row_gap
    return Markup(
        _svg("bars ceiling", width, y, prefix, title, description) + "".join(parts) + "</svg>"
    )


def _marker(shape: str, x: float, y: float, ink: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{ink}"/>'
    if shape == "triangle":
        return (
            f'<path d="M{x:.1f},{y - 4.5:.1f}L{x + 4.5:.1f},{y + 3.5:.1f}L{x - 4.5:.1f},'
            f'{y + 3.5:.1f}Z" fill="{ink}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{ink}"/>'


def domain_trend_chart(
    monthly: Mapping[str, Sequence[int]],
    to_month: int,
    *,
    prefix: str,
    title: str,
    description: str,
) -> Markup:
    """Spending per month (not cumulative) per domain, January to ``to_month``."""
    width, height = 640.0, 300.0
    left, right, top, bottom = 86.0, 16.0, 14.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for series in monthly.values() for v in series[:to_month]]
    ticks = nice_ticks(max([1.0, *map(float, values)]))
    top_value = ticks[-1]
    low = min([0.0, *map(float, values)])

    def px(month: float, cents: float) -> tuple[float, float]:
        span = top_value - low
        return left + ((month - 0.5) / 12) * plot_w, top + plot_h - ((cents - low) / span) * plot_h

    parts = []
    for tick in ticks:
        _, ty = px(0.5, tick)
        parts.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'class="grid"/>'
            f'<text x="{left - 6:.1f}" y="{ty + 4:.1f}" text-anchor="end" class="axis">'
            f"{escape(euro_compact(tick))}</text>"
        )
    for month, name in enumerate(MONTHS_SHORT, start=1):
        mx, _ = px(month, 0)
        parts.append(
            f'<text x="{mx:.1f}" y="{height - 12:.1f}" text-anchor="middle" class="axis">'
            f"{name}</text>"
        )
    for domain, series in monthly.items():
        dash, shape = DOMAIN_STYLES.get(domain, ("", "circle"))
        ink = DOMAIN_INK.get(domain, INK)
        points = [px(m + 1, float(series[m])) for m in range(min(to_month, len(series)))]
        if not points:
            continue
        path = "L".join(f"{x:.1f},{y:.1f}" for x, y in points)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<path d="M{path}" class="line-{escape(domain)}" fill="none" stroke="{ink}" '
            f'stroke-width="2.5"{dashed}><title>{escape(DOMAIN_LABELS.get(domain, domain))}'
            "</title></path>"
        )
        parts.extend(_marker(shape, x, y, ink) for x, y in points)
    return Markup(
        _svg("line trend", width, height, prefix, title, description) + "".join(parts) + "</svg>"
    )
