"""The waterfall chart both pages draw: an image with a title and a description, each part a bar
starting where the one before ended, the last the whole change from € 0, a fall told apart by
its hatching and not by shade alone."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from populatie.web import waterfall_chart as chart_module
from populatie.web.waterfall_chart import FALL_FILL, RISE_FILL, TOTAL_FILL, Step, waterfall_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_the_chart_is_an_image_named_by_its_title_and_description() -> None:
    markup = waterfall_chart(
        [Step("Budget", 300_000), Step("Bevolking", -120_000)],
        prefix="w-test",
        title="Gebied: van 2025 naar 2026",
        description="Uitleg <met> tekens & meer",
    )
    svg = ET.fromstring(str(markup))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "w-test-title w-test-desc"
    assert svg.findtext(f"{SVG}title") == "Gebied: van 2025 naar 2026"
    assert svg.findtext(f"{SVG}desc") == "Uitleg <met> tekens & meer"
    labels = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert {"Budget", "Bevolking", "Verschil"} <= set(labels)
    assert "€\u00a0+3.000" in labels
    assert "€\u00a0-1.200" in labels
    assert "€\u00a0+1.800" in labels


def test_no_change_still_draws_a_readable_chart() -> None:
    svg = ET.fromstring(
        str(waterfall_chart([Step("Budget", 0)], prefix="w0", title="t", description="d"))
    )
    widths = [float(r.get("width", 0)) for r in svg.iter(f"{SVG}rect") if r.get("y")]
    assert widths
    assert all(w >= 1.0 for w in widths)  # a zero part is a visible sliver


def _bars(svg: str) -> list[tuple[float, float]]:
    return [
        (float(x), float(w))
        for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    ]


@given(st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=4, max_size=4))
def test_each_waterfall_bar_starts_where_the_one_before_ended(parts: list[int]) -> None:
    labels = ["Budget", "Bevolking", "Behoeftemix", "Demping"]
    svg = str(
        waterfall_chart(
            [Step(label, cents) for label, cents in zip(labels, parts, strict=True)],
            prefix="wf",
            title="t",
            description="d",
        )
    )
    # The plot spans 150 to 520 px, from the lowest running total to the highest.
    running = [0]
    for cents in parts:
        running.append(running[-1] + cents)
    low, span = min(running), (max(running) - min(running)) or 1

    def px(cents: int) -> float:
        return 150 + (cents - low) / span * 370

    spans = [(running[i], running[i + 1]) for i in range(4)] + [(0, running[-1])]
    bars = _bars(svg)
    assert len(bars) == 5
    for (x, w), (start, end) in zip(bars, spans, strict=True):
        left, right = sorted((px(start), px(end)))
        assert x == pytest.approx(left, abs=0.051)
        assert w == pytest.approx(max(right - left, 1.0), abs=0.051)


def test_a_fall_is_hatched_and_a_rise_solid() -> None:
    svg = str(
        waterfall_chart(
            [Step("Budget", 500), Step("Demping", -200)],
            prefix="w1",
            title="t",
            description="d",
        )
    )
    rects = re.findall(r"<rect [^>]*>", svg)
    # rects[0] is the hatch pattern's own; then the rise, the fall and the whole change
    assert 'fill="url(#w1-fall)"' not in rects[1]
    assert 'fill="url(#w1-fall)"' in rects[2]
    assert ">€\u00a0+5</text>" in svg
    assert ">€\u00a0-2</text>" in svg
    assert ">€\u00a0+3</text>" in svg


def test_the_pages_legend_shows_the_charts_own_colours() -> None:
    """Both pages include one legend; a colour changed in the chart but not there is caught."""
    legend = Path(chart_module.__file__).parent / "templates" / "_waterfall_legend.html"
    text = legend.read_text(encoding="utf-8")
    for fill in (RISE_FILL, FALL_FILL, TOTAL_FILL):
        assert f'fill="{fill}"' in text, fill
    assert 'fill="url(#legend-fall)"' in text  # a fall hatched there too
