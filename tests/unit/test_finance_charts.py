"""The finance page's charts: every contract a bar with its ceiling marked in proportion, spend
past the ceiling shown apart; one line per domain with a point per month."""

from __future__ import annotations

import re

from populatie.web.finance_charts import (
    OVER_FILL,
    CeilingBar,
    ceiling_chart,
    domain_trend_chart,
)

BAR = re.compile(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" [^>]*class="bar-spent"')
CEILING = re.compile(r'<line x1="([\d.]+)" x2="[\d.]+" [^>]*class="ceiling"')


def test_the_ceiling_mark_stands_in_proportion_to_the_spend() -> None:
    bars = [
        CeilingBar("A", spent_cents=50_000, forecast_cents=80_000, ceiling_cents=100_000),
        CeilingBar("B", spent_cents=120_000, forecast_cents=150_000, ceiling_cents=100_000),
        CeilingBar("C", spent_cents=10_000, forecast_cents=20_000, ceiling_cents=None),
    ]
    svg = str(ceiling_chart(bars, prefix="t", title="Titel", description="Uitleg"))
    assert '<title id="t-title">Titel</title>' in svg
    assert '<desc id="t-desc">Uitleg</desc>' in svg
    spent = [(float(x), float(w)) for x, w in BAR.findall(svg)]
    ceilings = [float(x) for x in CEILING.findall(svg)]
    assert len(spent) == 3
    assert len(ceilings) == 2  # C has no ceiling
    left = spent[0][0]
    # A spent half its ceiling: the bar ends half-way to the mark.
    assert abs(spent[0][1] * 2 - (ceilings[0] - left)) < 0.2
    # B is past its ceiling: longer than the distance to the mark, and drawn in the alarm shade.
    assert spent[1][1] > ceilings[1] - left
    assert svg.count(f'fill="{OVER_FILL}"') == 1
    assert "geen plafond" in svg


def test_one_line_per_domain_with_a_point_per_month() -> None:
    monthly = {
        "prevention": [100, 200, 300] + [0] * 9,
        "access": [50, 50, 50] + [0] * 9,
        "specialist": [0, 400, 0] + [0] * 9,
    }
    svg = str(domain_trend_chart(monthly, 3, prefix="d", title="T", description="D"))
    for domain in monthly:
        path = re.search(rf'<path d="M([^"]+)" class="line-{domain}"', svg)
        assert path is not None
        assert len(path[1].split("L")) == 3
    assert 'stroke-dasharray="8 5"' in svg
    assert 'stroke-dasharray="2 4"' in svg
