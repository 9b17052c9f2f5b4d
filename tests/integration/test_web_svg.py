"""The pages' building blocks without a database: Dutch formatting, the colour scale and its
legend, and the SVG of maps and charts."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET

import pytest

from populatie.web import charts, maps
from populatie.web.formatting import count, euro, euro_compact, euro_whole, percent

SVG = "{http://www.w3.org/2000/svg}"
NBSP = "\u00a0"


def _plain(text: str) -> str:
    return text.replace(NBSP, " ")


def test_amounts_are_written_the_dutch_way() -> None:
    assert _plain(euro(123456789)) == "€ 1.234.567,89"
    assert _plain(euro(-123400)) == "€ -1.234,00"
    assert _plain(euro(5)) == "€ 0,05"
    assert euro(None) == "—"
    assert NBSP in euro(100), "an amount must not wrap between € and its figure"
    assert _plain(euro_whole(123456789)) == "€ 1.234.568"
    assert _plain(euro_whole(-150)) == "€ -2"
    assert _plain(euro_compact(1_340_000_00)) == "€ 1,3 mln"
    assert _plain(euro_compact(12_000_000_00)) == "€ 12 mln"
    assert _plain(euro_compact(85_000_000)) == "€ 850.000"


def test_counts_and_percentages_use_a_decimal_comma() -> None:
    assert count(1234567) == "1.234.567"
    assert count(28486.4) == "28.486"
    assert count(1234.56, 1) == "1.234,6"
    assert _plain(percent(12.345)) == "12,3 %"
    assert _plain(percent(3.0, 2, signed=True)) == "+3,00 %"
    assert _plain(percent(-0.5, signed=True)) == "-0,5 %"
    assert _plain(percent(0.0, signed=True)) == "0,0 %"
    assert percent(None) == "—"


def test_the_ramp_darkens_monotonically_so_it_reads_in_greyscale() -> None:
    luminance = [maps.relative_luminance(c) for c in maps.RAMP]
    assert luminance == sorted(luminance, reverse=True)
    # Neighbouring classes differ clearly in grey, not only in hue: a contrast ratio of at
    # least 1.4 between each pair of neighbours (WCAG contrast formula).
    for lighter, darker in itertools.pairwise(luminance):
        assert (lighter + 0.05) / (darker + 0.05) >= 1.4
    assert len(set(maps.PATTERNS)) == len(maps.RAMP), "every shade has its own pattern"


def test_a_scale_has_equal_classes_over_the_values_shown() -> None:
    scale = maps.sequential_scale([100.0, 200.0, 300.0, 400.0, 500.0, None], euro_whole, "x")
    assert len(scale.classes) == 5
    assert scale.classes[0].lower == 100.0
    assert scale.classes[-1].upper == 500.0
    assert [c.fill for c in scale.classes] == list(maps.RAMP)
    assert scale.class_of(100.0) is scale.classes[0]
    assert scale.class_of(500.0) is scale.classes[-1]
    assert scale.class_of(250.0) is scale.classes[1]
    assert scale.class_of(None) is None
    assert _plain(scale.classes[0].label) == "€ 1 – € 2"


def test_few_values_give_few_classes_far_apart_and_never_the_palest() -> None:
    two = maps.sequential_scale([96_100.0, 102_900.0], euro_whole, "per jeugdige")
    assert len(two.classes) == 2
    assert two.classes[0].fill != maps.RAMP[0]
    assert two.classes[-1].fill == maps.RAMP[-1]
    assert _plain(two.classes[0].label) == "€ 961 – € 995"
    same = maps.sequential_scale([3.0000001, 3.0000002], lambda v: percent(v), "verschil")
    assert len(same.classes) == 1, "values that read alike are one class"
    assert maps.sequential_scale([None], euro_whole, "x").classes == ()


def _square(lon: float, lat: float, size: float = 0.01) -> dict[str, object]:
    ring = [
        [lon, lat],
        [lon + size, lat],
        [lon + size, lat + size],
        [lon, lat + size],
        [lon, lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def _map() -> tuple[str, maps.Scale]:
    shapes = [
        maps.MapShape("WK000101", "Noord", "A-1", _square(4.30, 52.08)),
        maps.MapShape("WK000102", "Zuid", "A-1", _square(4.30, 52.07)),
        maps.MapShape(
            "WK000103",
            "Oost & <West>",
            "A-2",
            {"type": "MultiPolygon", "coordinates": [_square(4.31, 52.07)["coordinates"]]},
        ),
        maps.MapShape("WK000104", "Leeg", "A-3", _square(4.32, 52.07)),
    ]
    areas = [
        maps.MapArea("A-1", "L1", "Gebied een", 800.0, "€ 800"),
        maps.MapArea("A-2", "L2", "Gebied twee", 1200.0, "€ 1.200"),
        maps.MapArea("A-3", "L3", "Gebied drie", None, "—"),
    ]
    scale = maps.sequential_scale([a.value for a in areas], euro_whole, "per jeugdige")
    svg = maps.render_map(
        shapes, areas, scale, prefix="t", title="Kaart <test>", description="Beschrijving"
    )
    return str(svg), scale


def test_a_map_is_accessible_svg_with_a_class_fill_per_district() -> None:
    svg, scale = _map()
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "t-title t-desc"
    assert root.find(f"{SVG}title").text == "Kaart <test>"  # type: ignore[union-attr]
    districts = root.findall(f".//{SVG}path[@class='district']")
    assert len(districts) == 4
    fills = [d.get("fill") for d in districts]
    assert fills[0] == fills[1] == "url(#t-c0)"
    assert fills[2] == f"url(#t-c{len(scale.classes) - 1})"
    assert fills[3] == "url(#t-none)", "an area without a value is drawn as 'no data'"
    patterns = {p.get("id") for p in root.iter(f"{SVG}pattern")}
    assert {"t-c0", "t-c1", "t-none"} <= patterns
    titles = [d.find(f"{SVG}title").text for d in districts]  # type: ignore[union-attr]
    assert titles[2] == "Oost & <West> (WK000103), Gebied twee: € 1.200"
    labels = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "L1€ 800" in labels
    assert "L2€ 1.200" in labels


def test_map_coordinates_stay_inside_the_drawing_north_up() -> None:
    svg, _ = _map()
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.get("viewBox", "").split())
    first = root.findall(f".//{SVG}path[@class='district']")
    ys = []
    for path in first:
        d = path.get("d", "")
        numbers = [
            float(v)
            for v in d.replace("M", " ")
            .replace("L", " ")
            .replace("Z", " ")
            .replace(",", " ")
            .split()
        ]
        xs, ys_ = numbers[0::2], numbers[1::2]
        assert min(xs) >= 0
        assert max(xs) <= width
        assert min(ys_) >= 0
        assert max(ys_) <= height
        ys.append(min(ys_))
    # "Noord" (52.08) is drawn above "Zuid" (52.07): y grows southwards.
    assert ys[0] < ys[1]


def test_thinning_drops_points_closer_than_a_pixel() -> None:
    ring = [(0.0, 0.0)] + [(i * 0.1, 0.0) for i in range(1, 100)] + [(10.0, 10.0), (0.0, 0.0)]
    thin = maps._thin(ring)
    assert thin[0] == thin[-1] == (0.0, 0.0)
    assert len(thin) < 20
    assert all(math.dist(a, b) >= maps.MIN_STEP for a, b in itertools.pairwise(thin))


def test_a_legend_swatch_uses_the_maps_pattern() -> None:
    scale = maps.sequential_scale([100.0, 200.0], euro_whole, "x")
    swatch = str(maps.legend_swatch("m", scale.classes[1]))
    assert 'fill="url(#m-c1)"' in swatch
    assert 'aria-hidden="true"' in swatch
    assert 'fill="url(#m-none)"' in str(maps.legend_swatch("m", None))


@pytest.mark.parametrize(("high", "top"), [(0.0, 1.0), (7.0, 8.0), (76_836_536_93.0, 8e9)])
def test_nice_ticks_start_at_zero_and_cover_the_highest_value(high: float, top: float) -> None:
    ticks = charts.nice_ticks(high)
    assert ticks[0] == 0
    assert ticks[-1] >= high
    assert ticks[-1] == pytest.approx(top)


def test_bar_and_line_charts_are_labelled_svg() -> None:
    bars = charts.bar_chart(
        [charts.BarGroup("Preventie", 2_948_172_06, 2_917_219_79, 2_917_219_79)],
        prefix="b",
        title="Balken",
        description="Budget, besteed, prognose",
    )
    root = ET.fromstring(str(bars))
    assert root.get("aria-labelledby") == "b-title b-desc"
    texts = ["".join(t.itertext()).replace(NBSP, " ") for t in root.iter(f"{SVG}text")]
    assert texts == [
        "Preventie",
        "budget € 2,9 mln",
        "besteed € 2,9 mln",
        "prognose € 2,9 mln",
    ]
    line = charts.line_chart(
        charts.MonthlySeries(
            budget_cents=1200_00,
            spent_by_month=[100_00] * 6 + [0] * 6,
            to_month=6,
            forecast_cents=1200_00,
        ),
        prefix="l",
        title="Lijn",
        description="Per maand",
    )
    root = ET.fromstring(str(line))
    classes = {p.get("class") for p in root.iter(f"{SVG}path")}
    assert {"line-budget", "line-spent", "line-forecast"} <= classes
    assert len(root.findall(f"{SVG}circle")) == 6, "one dot per month with spending"
    months = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "jan" in months
    assert "dec" in months
