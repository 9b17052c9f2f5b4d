"""The funnel plot as inline SVG, in the style of :mod:`populatie.web.charts`.

Cases on the horizontal axis, the share on the vertical; the target as a solid line, the 95 %
limits dashed and the 99.8 % limits dotted (told apart by shape, so it reads in greyscale);
each provider a dot, filled when outside the 95 % limits, with its name as the dot's title.
A withheld provider is not drawn at all.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from populatie.kpis import schemas
from populatie.web.charts import INK, SPENT_FILL, nice_ticks

__all__ = ["funnel_chart"]


def funnel_chart(view: schemas.Funnel, *, prefix: str, title: str, description: str) -> Markup:
    width, height = 640.0, 320.0
    left, right, top, bottom = 56.0, 16.0, 14.0, 40.0
    plot_w, plot_h = width - left - right, height - top - bottom
    shown = [p for p in view.providers if not p.suppressed and p.cases and p.proportion is not None]
    n_max = max([1, *(p.cases or 0 for p in shown)])
    highs = [0.05, *(p.proportion or 0.0 for p in shown)]
    if view.target is not None:
        highs.append(view.target * 2)
    x_ticks = nice_ticks(float(n_max))
    y_ticks = nice_ticks(min(1.0, max(highs) * 1.15))
    x_top, y_top = x_ticks[-1], y_ticks[-1]

    def px(n: float, share: float) -> tuple[float, float]:
        share = min(max(share, 0.0), y_top)
        return left + n / x_top * plot_w, top + plot_h - share / y_top * plot_h

    parts = []
    for tick in y_ticks:
        _, ty = px(0, tick)
        parts.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
            'class="grid"/>'
            f'<text x="{left - 6:.1f}" y="{ty + 4:.1f}" text-anchor="end" class="axis">'
            f"{tick * 100:.0f} %</text>"
        )
    for tick in x_ticks:
        tx, _ = px(tick, 0)
        parts.append(
            f'<text x="{tx:.1f}" y="{height - 22:.1f}" text-anchor="middle" class="axis">'
            f"{tick:.0f}</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 4:.1f}" text-anchor="middle" '
        'class="axis">aantal trajecten</text>'
    )
    x0, y0 = px(0, 0)
    parts.append(
        f'<line x1="{x0:.1f}" x2="{width - right:.1f}" y1="{y0:.1f}" y2="{y0:.1f}" stroke="{INK}"/>'
    )
    if view.target is not None and view.curve:
        tx1, ty1 = px(0, view.target)
        tx2, _ = px(x_top, view.target)
        parts.append(
            f'<path d="M{tx1:.1f},{ty1:.1f}L{tx2:.1f},{ty1:.1f}" fill="none" stroke="{INK}" '
            'stroke-width="2"/>'
        )
        lines = (
            ("lower_95", "7 5"),
            ("upper_95", "7 5"),
            ("lower_998", "2 4"),
            ("upper_998", "2 4"),
        )
        for name, dash in lines:
            points = [px(c.cases, getattr(c, name)) for c in view.curve]
            path = "L".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<path d="M{path}" fill="none" stroke="{SPENT_FILL}" stroke-width="1.5" '
                f'stroke-dasharray="{dash}"/>'
            )
    for p in shown:
        cx, cy = px(float(p.cases or 0), p.proportion or 0.0)
        outside = p.position not in (None, "inside")
        fill = SPENT_FILL if outside else "#ffffff"
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{fill}" stroke="{SPENT_FILL}" '
            f'stroke-width="2"><title>{escape(p.provider)}: {(p.proportion or 0) * 100:.1f} % '
            f"van {p.cases}</title></circle>"
        )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart funnel" viewBox="0 0 {width:.0f} '
        f'{height:.0f}" role="img" aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
        f"{''.join(parts)}</svg>"
    )
