"""The waterfall chart: an image with a title and description, one column per part between the
two totals, each part floating where the running total stands, a fall told apart by shape."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from populatie.web.waterfall_chart import Step, waterfall_chart

SVG = "{http://www.w3.org/2000/svg}"


def _chart(steps: list[Step], start: int, end: int) -> ET.Element:
    markup = waterfall_chart(
        ("2025", start),
        steps,
        ("2026", end),
        prefix="w-test",
        title="Gebied: van 2025 naar 2026",
        description="Uitleg <met> tekens & meer",
    )
    return ET.fromstring(str(markup))


def test_each_part_floats_on_the_running_total() -> None:
    steps = [Step("Budget", 300_000), Step("Bevolking", -120_000), Step("Demping", 0)]
    start, end = 10_000_000, 10_180_000
    svg = _chart(steps, start, end)
    assert svg.get("role") == "img"
    assert svg.findtext(f"{SVG}title") == "Gebied: van 2025 naar 2026"
    assert svg.findtext(f"{SVG}desc") == "Uitleg <met> tekens & meer"
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("x") and r.get("height")]
    assert len(bars) == len(steps) + 2
    scale = {}  # y of the top of each bar: a higher total sits higher (a smaller y)
    for bar in bars:
        scale[bar.get("x")] = (float(bar.get("y", 0)), float(bar.get("height", 0)))
    (y0, _), (y1, h1), (y2, h2), _, (y4, _) = scale.values()
    # the rise starts where the first total ends and ends higher; the fall comes down from there
    assert abs((y1 + h1) - y0) < 0.2
    assert abs(y2 - y1) < 0.2
    assert abs(y4 - (y2 + h2)) < 0.2  # the end total stands where the last part left it
    assert h1 > h2 > 0
    fills = [bar.get("fill", "") for bar in bars]
    assert fills[1] != fills[2]
    assert fills[2] == "url(#w-test-fall)"  # a fall is hatched, not only another shade
    labels = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert {"2025", "Budget", "Bevolking", "Demping", "2026"} <= set(labels)
    assert any(re.fullmatch("\\+€\u00a03\\.000", label) for label in labels)
    assert any(re.fullmatch("−€\u00a01\\.200", label) for label in labels)
    assert "de as begint niet bij nul" in labels


def test_no_change_still_draws_a_readable_chart() -> None:
    svg = _chart([Step("Budget", 0)], 0, 0)
    assert svg.findtext(f"{SVG}title")
    assert "de as begint niet bij nul" not in [t.text for t in svg.iter(f"{SVG}text")]
